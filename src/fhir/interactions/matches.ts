// Resolving a search query to its matches for conditional create/update/delete and conditional references.
// http://hl7.org/fhir/R4/http.html#cond-update: unknown parameters must fail, so parsing is strict here.
import type { Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { badRequest } from '../outcomes.js';
import type { Repository } from '../repository.js';
import { formatSearchRequest } from '../search/format.js';
import { parseSearchRequest } from '../search/parse.js';
import type { SearchRequest } from '../search/types.js';

/** The condition as a search; 400 without criteria (`PUT Patient`, `?_sort=name`), which would match every resource. */
function parseCondition(ctx: FhirContext, resourceType: string, query: URLSearchParams): SearchRequest {
  const request = parseSearchRequest(resourceType, query, {
    strict: true,
    defaultCount: 2,
    maxCount: ctx.maxCount,
    baseUrl: ctx.baseUrl,
  });
  if (request.filters.length === 0) {
    throw badRequest(`A conditional ${resourceType} interaction needs search criteria; it would match every resource`);
  }
  return { ...request, count: 2, offset: 0, total: 'none', include: [], revinclude: [] };
}

/**
 * The canonical form of a condition (`Patient?identifier=a|1` however it was written): writers that take it as a
 * Repository.lock key before matching cannot both find nothing and both create.
 */
export function conditionKey(ctx: FhirContext, resourceType: string, query: URLSearchParams): string {
  return keyOf(parseCondition(ctx, resourceType, query));
}

const keyOf = (request: SearchRequest): string => `${request.resourceType}?${formatSearchRequest(request)}`;

/**
 * Up to two matches of `resourceType?query` (two are enough to detect "several"). With `lock`, the condition is
 * locked first (inside the caller's transaction), for a conditional create or update that writes on no match.
 */
export async function findMatches(
  ctx: FhirContext,
  repo: Repository,
  resourceType: string,
  query: URLSearchParams,
  options: { lock?: boolean } = {},
): Promise<Resource[]> {
  const request = parseCondition(ctx, resourceType, query);
  if (options.lock) await repo.lock([keyOf(request)]);
  return (await repo.search(request)).resources;
}
