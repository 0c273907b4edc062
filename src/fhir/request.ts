// The HTTP-independent shape of a FHIR request and response (FHIR R4 RESTful API, http://hl7.org/fhir/R4/http.html).
// The HTTP adapter builds a FhirRequest and writes the FhirResponse; batch/transaction entries use the same shapes.
import type { Resource } from 'fhir/r4.js';

export type FhirMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';

/** `Prefer: return=...` (http://hl7.org/fhir/R4/http.html#ops). */
export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export interface FhirRequest {
  method: FhirMethod;
  /** Path below the FHIR base, without leading slash: "Patient/123/_history/2". */
  path: string;
  query: URLSearchParams;
  body?: unknown;
  ifMatch?: string;
  ifNoneExist?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  preferReturn?: PreferReturn;
  /** `Prefer: handling=strict|lenient` for unknown search parameters. */
  preferHandling?: 'strict' | 'lenient';
  /** The caller writes bodies as bytes (the HTTP adapter): a read may answer with `json` instead of `body`. */
  acceptsJson?: boolean;
}

export interface FhirResponse {
  status: number;
  body?: Resource;
  /** The body as JSON text, when the store had it serialised already (only for requests with acceptsJson). */
  json?: string;
  /** Location of a created resource (absolute, with _history/vid). */
  location?: string;
  etag?: string;
  lastModified?: string;
}

/** Weak ETag for a version id: W/"3" (http://hl7.org/fhir/R4/http.html#versioning). */
export function etagOf(versionId: string | undefined): string | undefined {
  return versionId === undefined ? undefined : `W/"${versionId}"`;
}

/** Extracts the version from an If-Match value: accepts W/"3", "3" and 3. */
export function versionFromEtag(value: string): string {
  const m = /^(?:W\/)?"?([^"]*)"?$/.exec(value.trim());
  return m?.[1] ?? value;
}

/** RFC 7231 HTTP-date for Last-Modified from a FHIR instant. */
export function httpDate(instant: string | undefined): string | undefined {
  return instant ? new Date(instant).toUTCString() : undefined;
}
