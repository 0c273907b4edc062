// History at instance, type and system level (http://hl7.org/fhir/R4/http.html#history): a history Bundle,
// newest first, with request/response per entry and paging links.
import type { Bundle, BundleEntry } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { badRequest } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import type { HistoryRequest } from '../repository.js';
import { parseDateRange, restoreZonePlus, type DateRange } from '../search/date.js';
import { assertKnownType, assertValidId } from './body.js';

function instant(query: URLSearchParams, name: string): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const raw = restoreZonePlus(text);
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms))
    throw badRequest(`Invalid ${name}: "${raw}" is not an instant`, name);
  return ms;
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
  if (!range) throw badRequest(`Invalid ${name}: "${raw}" is not a date or dateTime`, name);
  return range;
}

function int(query: URLSearchParams, name: string, dflt: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`Invalid ${name}: "${raw}"`, name);
  return Math.min(n, max);
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
  };
  const page = await ctx.repo.history(request);
  const path = [resourceType, id, '_history'].filter(Boolean).join('/');
  const url = (offset: number): string => {
    const q = new URLSearchParams(req.query);
    q.set('_count', String(request.count));
    q.set('_offset', String(offset));
    return `${ctx.baseUrl}/${path}?${q.toString()}`;
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
    link: [{ relation: 'self', url: url(request.offset) }],
    entry: entries,
  };
  if (page.hasMore) bundle.link!.push({ relation: 'next', url: url(request.offset + request.count) });
  if (request.offset > 0)
    bundle.link!.push({ relation: 'previous', url: url(Math.max(0, request.offset - request.count)) });
  return { status: 200, body: bundle };
}
