// Content negotiation for the FHIR endpoint (http://hl7.org/fhir/R4/http.html#mime-type): JSON only; XML and other
// formats are refused clearly (415 for bodies, 406 for responses).
import type { IncomingMessage } from 'node:http';
import { badRequest, notAcceptable, unsupportedMediaType } from '../fhir/outcomes.js';
import type { PreferReturn } from '../fhir/request.js';

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir']);
const JSON_FORMATS = new Set(['json', ...JSON_TYPES]);
// FHIR's own formats (R4 http.html#mime-type): a client naming one wants a resource, even where only JSON is served.
const FHIR_TYPES = new Set([...JSON_TYPES, 'application/fhir+xml', 'application/xml+fhir', 'application/fhir+turtle']);

/** A media type of a FHIR format (JSON, XML or Turtle), rather than a document's own. */
export const isFhirFormat = (type: string): boolean => FHIR_TYPES.has(type);

/** The media type without parameters, lower case. */
export function mediaType(header: string | undefined): string | undefined {
  return header?.split(';')[0]?.trim().toLowerCase() || undefined;
}

/** Parses a request body: JSON for FHIR types, form data for POST _search; anything else is 415. */
export function parseBody(req: IncomingMessage, raw: Buffer | undefined): { body?: unknown; form?: URLSearchParams } {
  if (!raw || raw.length === 0) return {};
  const type = mediaType(req.headers['content-type']);
  if (type === 'application/x-www-form-urlencoded') return { form: new URLSearchParams(raw.toString('utf8')) };
  if (type === undefined || JSON_TYPES.has(type)) {
    try {
      return { body: JSON.parse(raw.toString('utf8')) as unknown };
    } catch (err) {
      throw badRequest(`Malformed JSON: ${(err as Error).message}`);
    }
  }
  throw unsupportedMediaType(`Content-Type ${type} is not supported; use application/fhir+json`);
}

/** Checks `_format` and Accept; returns the response media type. */
export function responseType(req: IncomingMessage, query: URLSearchParams): string {
  const format = query.get('_format');
  if (format !== null) {
    if (!JSON_FORMATS.has(format.toLowerCase())) throw notAcceptable(`_format=${format} is not supported; use json`);
    return 'application/fhir+json';
  }
  const accept = req.headers.accept;
  if (!accept) return 'application/fhir+json';
  const types = accept.split(',').map((t) => mediaType(t)!);
  if (types.some((t) => JSON_TYPES.has(t) || t === '*/*' || t === 'application/*')) {
    return types.includes('application/json') && !types.includes('application/fhir+json')
      ? 'application/json'
      : 'application/fhir+json';
  }
  throw notAcceptable(`Accept ${accept} is not supported; use application/fhir+json`);
}

/** Parses the Prefer header (return=..., handling=...). */
export function parsePrefer(header: string | undefined): {
  preferReturn?: PreferReturn;
  preferHandling?: 'strict' | 'lenient';
} {
  const out: { preferReturn?: PreferReturn; preferHandling?: 'strict' | 'lenient' } = {};
  for (const part of (header ?? '').split(/[;,]/)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (k === 'return' && (v === 'minimal' || v === 'representation' || v === 'OperationOutcome')) out.preferReturn = v;
    if (k === 'handling' && (v === 'strict' || v === 'lenient')) out.preferHandling = v;
  }
  return out;
}
