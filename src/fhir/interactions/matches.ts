// Resolving a search query to its matches for conditional create/update/delete and conditional references.
// http://hl7.org/fhir/R4/http.html#cond-update: unknown parameters must fail, so parsing is strict here.
import type { Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import type { Repository } from '../repository.js';
import { parseSearchRequest } from '../search/parse.js';

/** Up to two matches of `resourceType?query` (two are enough to detect "several"). */
export async function findMatches(
  ctx: FhirContext,
  repo: Repository,
  resourceType: string,
  query: URLSearchParams,
): Promise<Resource[]> {
  const request = parseSearchRequest(resourceType, query, {
    strict: true,
    defaultCount: 2,
    maxCount: ctx.maxCount,
  });
  const result = await repo.search({ ...request, count: 2, offset: 0, total: 'none', include: [], revinclude: [] });
  return result.resources;
}
