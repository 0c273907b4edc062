// Shared response builders for write interactions (Prefer handling, Location, ETag, Last-Modified).
import type { Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { allOk } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { etagOf, httpDate, versionFromEtag } from '../request.js';

/** Absolute versioned URL of a resource: [base]/Type/id/_history/vid. */
export function versionedUrl(ctx: FhirContext, resource: Resource): string {
  return `${ctx.baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
}

/** ETag and Last-Modified of a resource version. */
export function versionHeaders(
  versionId: string | undefined,
  lastUpdated: string | undefined,
): Pick<FhirResponse, 'etag' | 'lastModified'> {
  return { etag: etagOf(versionId), lastModified: httpDate(lastUpdated) };
}

/** A response carrying a resource with its version headers (read, vread, search-free interactions). */
export function resourceResponse(status: number, resource: Resource): FhirResponse {
  return { status, body: resource, ...versionHeaders(resource.meta?.versionId, resource.meta?.lastUpdated) };
}

/** The response to create/update honouring `Prefer: return` (http://hl7.org/fhir/R4/http.html#ops). */
export function writeResponse(ctx: FhirContext, req: FhirRequest, status: number, resource: Resource): FhirResponse {
  const res = resourceResponse(status, resource);
  if (status === 201) res.location = versionedUrl(ctx, resource);
  if (req.preferReturn === 'minimal') delete res.body;
  else if (req.preferReturn === 'OperationOutcome') {
    res.body = allOk(`${resource.resourceType}/${resource.id} version ${resource.meta?.versionId} stored`);
  }
  return res;
}

/**
 * Conditional read (http://hl7.org/fhir/R4/http.html#cread): 304 without a body when If-None-Match names the current
 * version (or is *), or, without If-None-Match, when the resource has not changed since If-Modified-Since.
 */
export function notModifiedOr(req: FhirRequest, res: FhirResponse): FhirResponse {
  if (res.status !== 200) return res;
  const etag = res.etag === undefined ? undefined : versionFromEtag(res.etag);
  const unchanged =
    req.ifNoneMatch !== undefined
      ? req.ifNoneMatch.split(',').some((t) => t.trim() === '*' || versionFromEtag(t) === etag)
      : req.ifModifiedSince !== undefined &&
        res.lastModified !== undefined &&
        Date.parse(res.lastModified) <= Date.parse(req.ifModifiedSince);
  return unchanged ? { ...res, status: 304, body: undefined, json: undefined } : res;
}
