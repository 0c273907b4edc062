// A Binary read in the content's own format (FHIR R4 http.html#binary, binary.html#rest): a read or vread of a
// Binary whose Accept names no FHIR format answers with the bytes themselves and Binary.contentType, so that a
// DocumentReference's content.attachment.url (Binary/<id>) opens in a viewer. A FHIR format, `_format`, no Accept, or
// only `*/*` (what fetch and curl send) keep the Binary resource as FHIR JSON.
import type { IncomingMessage } from 'node:http';
import type { Binary } from 'fhir/r4.js';
import { notAcceptable, serverError } from '../fhir/outcomes.js';
import type { FhirResponse } from '../fhir/request.js';
import { isFhirFormat, mediaType } from './content.js';

const BINARY_READ = /^\/*Binary\/[^/]+(?:\/_history\/[^/]+)?\/*$/;

/**
 * The media types the client accepts when it asks for a Binary in its native format; undefined when the request is
 * not a Binary read or vread, or asks for FHIR.
 */
export function nativeBinaryAccept(req: IncomingMessage, path: string, query: URLSearchParams): string[] | undefined {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !BINARY_READ.test(path) || query.has('_format')) return;
  const accept = req.headers.accept;
  if (!accept) return;
  const types = accept.split(',').flatMap((t) => mediaType(t) ?? []);
  if (types.length === 0 || types.some(isFhirFormat) || types.every((t) => t === '*/*')) return;
  return types;
}

/** `type` matches an Accept entry: equal, `type/*` or `*\/*` (parameters such as charset are not compared). */
function accepted(type: string, accept: string[]): boolean {
  const major = type.split('/')[0];
  return accept.some((a) => a === type || a === '*/*' || a === `${major}/*`);
}

/** The bytes and media type of the Binary a read answered with; 406 when the client accepts neither. */
export function nativeBinary(out: FhirResponse, accept: string[]): { bytes: Buffer; type: string } {
  const binary = (out.body ?? (out.json !== undefined ? JSON.parse(out.json) : undefined)) as Binary | undefined;
  if (binary?.resourceType !== 'Binary') throw serverError('Binary read did not return a Binary');
  const type = binary.contentType;
  if (!accepted(mediaType(type) ?? type, accept)) {
    throw notAcceptable(
      `Binary/${binary.id} is ${type}; Accept ${accept.join(', ')} includes neither it nor a FHIR format (application/fhir+json)`,
    );
  }
  return { bytes: Buffer.from(binary.data ?? '', 'base64'), type };
}
