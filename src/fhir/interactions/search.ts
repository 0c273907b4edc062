// Type-level search (GET [type]?, POST [type]/_search) returning a searchset Bundle with paging links,
// included resources (search.mode include) and warnings as an OperationOutcome entry.
// FHIR R4 search: http://hl7.org/fhir/R4/search.html, bundles: http://hl7.org/fhir/R4/bundle.html#searchset
import type { Bundle, BundleEntry, BundleLink, OperationOutcome, Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { formatSearchRequest } from '../search/format.js';
import { parseSearchRequest } from '../search/parse.js';
import { keysetOrder, searchKeyOf } from '../search/keyset.js';
import type { SearchRequest, SearchResult } from '../search/types.js';
import { subset } from '../summary.js';
import { assertKnownType } from './body.js';

function link(ctx: FhirContext, relation: string, request: SearchRequest): BundleLink {
  const query = formatSearchRequest(request);
  return { relation, url: `${ctx.baseUrl}/${request.resourceType}${query ? `?${query}` : ''}` };
}

/**
 * next / previous of a page: by the position of its last / first match where the sort is led by _lastUpdated
 * (fhir/search/keyset.ts), so a write between two pages shifts no other match; by offset otherwise.
 */
function pageLinks(ctx: FhirContext, request: SearchRequest, result: SearchResult): BundleLink[] {
  const out: BundleLink[] = [];
  const { after: _after, before: _before, ...rest } = request;
  if (keysetOrder(request.sort)) {
    const first = result.resources[0];
    const last = result.resources[result.resources.length - 1];
    const firstKey = first && searchKeyOf(first);
    const lastKey = last && searchKeyOf(last);
    const backward = request.before !== undefined;
    const hasBefore = backward ? result.hasMore : request.after !== undefined || request.offset > 0;
    if (lastKey && (backward || result.hasMore)) out.push(link(ctx, 'next', { ...rest, offset: 0, after: lastKey }));
    if (firstKey && hasBefore) out.push(link(ctx, 'previous', { ...rest, offset: 0, before: firstKey }));
    return out;
  }
  if (result.hasMore) out.push(link(ctx, 'next', { ...rest, offset: request.offset + request.count }));
  if (request.offset > 0)
    out.push(link(ctx, 'previous', { ...rest, offset: Math.max(0, request.offset - request.count) }));
  return out;
}

function entry(ctx: FhirContext, resource: Resource, mode: 'match' | 'include', request: SearchRequest): BundleEntry {
  // _elements applies to the matches only, not to included resources (search.html#elements).
  const elements = mode === 'match' ? request.elements : undefined;
  return {
    fullUrl: `${ctx.baseUrl}/${resource.resourceType}/${resource.id}`,
    resource: subset(resource, request.summary, elements),
    search: { mode },
  };
}

/** Runs a parsed search and formats the searchset Bundle. */
export async function searchBundle(ctx: FhirContext, request: SearchRequest): Promise<Bundle> {
  // _count=0 is the same request as _summary=count (search.html#count): the total, no entries.
  const countOnly = request.summary === 'count' || request.count === 0;
  const result = await ctx.repo.search(
    countOnly ? { ...request, count: 0, total: 'accurate', include: [], revinclude: [] } : request,
  );
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset' };
  if (result.total !== undefined) bundle.total = result.total;
  bundle.link = [link(ctx, 'self', request)];
  // A count-only page has no next or previous: a page of 0 would be this page again, and a client following it
  // would never stop.
  if (!countOnly) bundle.link.push(...pageLinks(ctx, request, result));
  const entries = [
    ...result.resources.map((r) => entry(ctx, r, 'match', request)),
    ...result.included.map((r) => entry(ctx, r, 'include', request)),
  ];
  const warnings = [...(request.warnings ?? []), ...result.warnings.filter((w) => !request.warnings?.includes(w))];
  if (warnings.length > 0) {
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      issue: warnings.map((diagnostics) => ({ severity: 'warning', code: 'not-supported', diagnostics })),
    };
    entries.push({ resource: outcome, search: { mode: 'outcome' } });
  }
  // _summary=count has no entry at all unless there are warnings to return.
  if (!countOnly || entries.length > 0) bundle.entry = entries;
  return bundle;
}

/** GET [type]?params and POST [type]/_search (form body merged with the URL query). */
export async function searchInteraction(
  ctx: FhirContext,
  req: FhirRequest,
  resourceType: string,
): Promise<FhirResponse> {
  assertKnownType(resourceType);
  const request = parseSearchRequest(resourceType, req.query, {
    strict: req.preferHandling === 'strict',
    defaultCount: ctx.defaultCount,
    maxCount: ctx.maxCount,
    baseUrl: ctx.baseUrl,
  });
  return { status: 200, body: await searchBundle(ctx, request) };
}
