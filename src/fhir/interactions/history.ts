// History at instance, type and system level (http://hl7.org/fhir/R4/http.html#history): a history Bundle,
// newest first, with request/response per entry and paging links that name versions, not offsets (#paging).
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { badRequest } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { dateProblem, parseDateRange, restoreZonePlus, type DateRange } from '../search/date.js';
import { isKnownResourceType } from '../search/registry.js';
import type { HistoryRequest } from '../repository.js';
import type { HistoryKey } from '../search/types.js';
import { assertKnownType, assertValidId } from './body.js';

/**
 * `_since` is an instant (http.html#history): a date with a time, read by the same grammar as search dates (no zone
 * = UTC, as there), not by Date.parse, which reads a zone-less time in the server's zone and rolls 02-30 into March.
 */
function instant(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const raw = restoreZonePlus(text);
  const range = raw.includes('T') ? parseDateRange(raw) : undefined;
  if (!range) throw badRequest(`Invalid ${name}: "${raw}" is not an instant (${dateProblem(raw) ?? 'no time'})`, name);
  return range.start;
}

/**
 * `_at` is a dateTime of any precision (http.html#history): the period it covers, e.g. a whole day for `2024-01-14`,
 * in which a version must have been current.
 */
function period(query: URLSearchParams, name: string): DateRange | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const raw = restoreZonePlus(text);
  const range = parseDateRange(raw);
  if (!range) throw badRequest(`Invalid ${name}: "${raw}" is not a date or dateTime (${dateProblem(raw) ?? ''})`, name);
  return range;
}

function int(query: URLSearchParams, name: string, dflt: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid ${name}: "${raw}"`, name);
  return Math.min(n, max);
}

/** The page position parameters of history links: the first page's newest version, and the page's neighbour. */
const POSITION = ['_snapshot', '_after', '_before'] as const;
type PositionParam = (typeof POSITION)[number];
const VERSION_REF = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/([1-9]\d{0,14})$/;

/** `instant|Type/id/_history/v`: a version by its reference and its lastUpdated, as history links carry it. */
function formatKey(k: HistoryKey): string {
  return `${new Date(k.lastUpdated).toISOString()}|${k.resourceType}/${k.id}/_history/${k.versionId}`;
}

function position(query: URLSearchParams, name: PositionParam): HistoryKey | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const bar = text.indexOf('|');
  const time = bar < 0 ? undefined : parseDateRange(restoreZonePlus(text.slice(0, bar)));
  const ref = VERSION_REF.exec(text.slice(bar + 1));
  if (!time || !ref || !isKnownResourceType(ref[1]!)) {
    throw badRequest(`Invalid ${name}: "${text}" is not instant|Type/id/_history/version`, name);
  }
  return { lastUpdated: time.start, resourceType: ref[1]!, id: ref[2]!, versionId: Number(ref[3]) };
}

/** An entry's place in the history order, from the version's own meta (written from the stored row). */
function keyOf(resource: Resource): HistoryKey | undefined {
  const lastUpdated = Date.parse(resource.meta?.lastUpdated ?? '');
  const versionId = Number(resource.meta?.versionId);
  if (!resource.id || Number.isNaN(lastUpdated) || !Number.isInteger(versionId)) return undefined;
  return { lastUpdated, resourceType: resource.resourceType, id: resource.id, versionId };
}

/** GET [type]/[id]/_history, [type]/_history, _history */
export async function historyInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType?: string,
  id?: string,
): Promise<FhirResponse> {
  if (resourceType) assertKnownType(resourceType);
  if (id) assertValidId(id);
  const at = period(req.query, '_at');
  const request: HistoryRequest = {
    resourceType,
    id,
    since: instant(req.query, '_since'),
    at: at?.start,
    atEnd: at?.end,
    count: int(req.query, '_count', ctx.defaultCount, ctx.maxCount),
    offset: int(req.query, '_offset', 0, Number.MAX_SAFE_INTEGER),
    snapshot: position(req.query, '_snapshot'),
    after: position(req.query, '_after'),
    before: position(req.query, '_before'),
  };
  const page = await ctx.repo.history(request);
  const path = [resourceType, id, '_history'].filter(Boolean).join('/');
  const keys = page.entries.map((e) => keyOf(e.resource));
  const first = keys[0];
  const last = keys[keys.length - 1];
  // Pages after the first keep its newest version as the snapshot: versions written since then sort before it and
  // stay out of every later page and of the total, and each page starts right after the last version shown.
  const paging = request.after !== undefined || request.before !== undefined || request.offset > 0;
  const snapshot = request.snapshot ?? (paging ? undefined : first);
  const url = (move?: { name: '_after' | '_before'; key: HistoryKey }): string => {
    const q = new URLSearchParams(req.query);
    for (const name of [...POSITION, '_offset', '_count']) q.delete(name);
    q.set('_count', String(request.count));
    if (move === undefined) {
      for (const name of [...POSITION, '_offset']) {
        const value = req.query.get(name);
        if (value !== null) q.set(name, value);
      }
    } else {
      if (snapshot !== undefined) q.set('_snapshot', formatKey(snapshot));
      q.set(move.name, formatKey(move.key));
    }
    // `:` and `/` are legal in a query (RFC 3986) and keep the positions readable.
    return `${ctx.baseUrl}/${path}?${q.toString().replace(/%3A/g, ':').replace(/%2F/g, '/')}`;
  };
  const entries: BundleEntry[] = page.entries.map((e) => {
    const r = e.resource;
    const entry: BundleEntry = {
      fullUrl: `${ctx.baseUrl}/${r.resourceType}/${r.id}`,
      request: { method: e.method, url: e.method === 'POST' ? r.resourceType : `${r.resourceType}/${r.id}` },
      response: {
        status: e.deleted ? '204' : e.method === 'POST' ? '201' : '200',
        etag: `W/"${r.meta?.versionId}"`,
        lastModified: r.meta?.lastUpdated,
      },
    };
    if (!e.deleted) entry.resource = r;
    return entry;
  });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    total: page.total,
    link: [{ relation: 'self', url: url() }],
    entry: entries,
  };
  // hasMore looks the way the page was read: older versions going forward, newer ones going back (`_before`).
  const backward = request.before !== undefined && request.after === undefined;
  if (last !== undefined && (backward || page.hasMore))
    bundle.link!.push({ relation: 'next', url: url({ name: '_after', key: last }) });
  if (first !== undefined && (backward ? page.hasMore : paging))
    bundle.link!.push({ relation: 'previous', url: url({ name: '_before', key: first }) });
  return { status: 200, body: bundle };
}
