// Paging by position for searches sorted by `_lastUpdated` (http://hl7.org/fhir/R4/http.html#paging): the next and
// previous links name the place of the page's last / first match (`_after` / `_before` = `instant|id`) instead of an
// offset, so that a resource written between two pages shifts no other match from one page to the next.
import type { Resource } from 'fhir/r4.js';
import { badRequest } from '../outcomes.js';
import { parseDateRange, restoreZonePlus } from './date.js';
import type { SearchKey, SortRule } from './types.js';
import { isValidId } from './values.js';

/** The directions of a sort that positions can page: `_lastUpdated`, then (optionally) `_id`; else undefined. */
export function keysetOrder(sort: SortRule[]): { lastUpdatedDesc: boolean; idDesc: boolean } | undefined {
  const [first, second, ...rest] = sort;
  if (first?.param.code !== '_lastUpdated' || rest.length > 0) return undefined;
  if (second !== undefined && second.param.code !== '_id') return undefined;
  // Ties on lastUpdated are broken by id ascending unless `_id` says otherwise (store/search-sql.ts searchOrder).
  return { lastUpdatedDesc: first.descending, idDesc: second?.descending ?? false };
}

/** `instant|id`, the instant with milliseconds as meta.lastUpdated has it. */
export function formatSearchKey(key: SearchKey): string {
  return `${new Date(key.lastUpdated).toISOString()}|${key.id}`;
}

export function parseSearchKey(text: string, name: string): SearchKey {
  const bar = text.lastIndexOf('|');
  const time = bar < 0 ? undefined : parseDateRange(restoreZonePlus(text.slice(0, bar)));
  const id = text.slice(bar + 1);
  if (!time || !isValidId(id)) throw badRequest(`Invalid ${name}: "${text}" is not instant|id`, name);
  return { lastUpdated: time.start, id };
}

/** A match's place, from its meta.lastUpdated (written from the stored row's instant). */
export function searchKeyOf(resource: Resource): SearchKey | undefined {
  const lastUpdated = Date.parse(resource.meta?.lastUpdated ?? '');
  return resource.id !== undefined && !Number.isNaN(lastUpdated) ? { lastUpdated, id: resource.id } : undefined;
}
