// Shared response builders for write interactions (Prefer handling, Location, ETag, Last-Modified).
import type { Resource } from 'fhir/r4.js';
import type { FhirContext } from '../context.js';
import { allOk } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../request.js';
import { etagOf, httpDate } from '../request.js';

/** Absolute versioned URL of a resource: [base]/Type/id/_history/vid. */
export function versionedUrl(ctx: FhirContext, resource: Resource): string {
  return `${ctx.baseUrl}/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId}`;
}

/** A response carrying a resource with its version headers (read, vread, search-free interactions). */
export function resourceResponse(status: number, resource: Resource): FhirResponse {
  return {
    status,
    body: resource,
    etag: etagOf(resource.meta?.versionId),
    lastModified: httpDate(resource.meta?.lastUpdated),
  };
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
