// The FHIR endpoint on plain node:http: builds a FhirRequest from the request, dispatches it and writes the
// FhirResponse. It does not go through express: the FHIR surface is one catch-all anyway, and express's per-request
// work (prototype swaps, router, res.send) cost about 200 µs of CPU per request here, four times a whole node:http
// request (bench/fhir-rest). Errors always leave as OperationOutcome, never as stack traces.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FhirContext } from '../fhir/context.js';
import { badRequest, toOutcomeError } from '../fhir/outcomes.js';
import type { FhirMethod, FhirRequest, FhirResponse } from '../fhir/request.js';
import { dispatch } from '../fhir/router.js';
import type { Logger } from '../log.js';
import { nativeBinary, nativeBinaryAccept } from './binary-native.js';
import { parseBody, parsePrefer, responseType } from './content.js';
import { readBody } from './request-body.js';

export interface FhirEndpointOptions {
  ctx: FhirContext;
  logger: Logger;
  maxBodyBytes: number;
}

/** Handles one request below the FHIR base: `path` is the part after `/fhir`, `search` the query without `?`. */
export type FhirEndpoint = (
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  search: string,
  requestId: string,
) => Promise<void>;

// Frozen bodies (the CapabilityStatement) cannot change, so their compact encoding is made once.
const frozenBodies = new WeakMap<object, Buffer>();

/** The body as JSON text; a frozen body's as bytes encoded once. */
function encode(body: unknown, pretty: boolean): string | Buffer {
  if (pretty) return JSON.stringify(body, null, 2);
  if (!body || typeof body !== 'object' || !Object.isFrozen(body)) return JSON.stringify(body);
  let bytes = frozenBodies.get(body);
  if (bytes === undefined) frozenBodies.set(body, (bytes = Buffer.from(JSON.stringify(body))));
  return bytes;
}

/** The Content-Type of a FHIR JSON body. */
const utf8 = (type: string): string => `${type}; charset=utf-8`;

/** Writes a JSON body with its length; node:http leaves the body out for HEAD. */
export function sendJson(res: ServerResponse, status: number, body: unknown, type: string, pretty = false): void {
  writeResponse(res, status, [], encode(body, pretty), utf8(type));
}

/**
 * Writes the status line, the headers and the body in one go. The headers go to writeHead as one raw list rather
 * than through setHeader each: setHeader keeps a lower-cased map of them, which cost more per read than the database
 * lookup did. A string body (stored JSON text) is joined to the header block and leaves in one write.
 */
function writeResponse(
  res: ServerResponse,
  status: number,
  headers: string[],
  body: string | Buffer | undefined,
  contentType: string,
): void {
  if (body !== undefined) {
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    headers.push('Content-Type', contentType, 'Content-Length', String(length));
  }
  res.writeHead(status, headers);
  res.end(body);
}

/** The path with %-escapes decoded; a malformed escape is the client's error (400), not a server failure. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw badRequest(`Malformed percent-encoding in the URL path: ${path.slice(0, 200)}`);
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function fhirRequest(req: IncomingMessage, path: string, query: URLSearchParams, body: unknown): FhirRequest {
  return {
    method: (req.method ?? 'GET').toUpperCase() as FhirMethod,
    path: decodePath(path.replace(/^\/+|\/+$/g, '')),
    query,
    body,
    ifMatch: header(req, 'if-match'),
    ifNoneExist: header(req, 'if-none-exist'),
    ifNoneMatch: header(req, 'if-none-match'),
    ifModifiedSince: header(req, 'if-modified-since'),
    ...parsePrefer(header(req, 'prefer')),
    acceptsJson: true,
  };
}

/** The version headers of a response: Location, ETag, Last-Modified. */
function fhirHeaders(out: FhirResponse, headers: string[]): string[] {
  if (out.location) headers.push('Location', out.location, 'Content-Location', out.location);
  if (out.etag) headers.push('ETag', out.etag);
  if (out.lastModified) headers.push('Last-Modified', out.lastModified);
  return headers;
}

function writeFhir(res: ServerResponse, out: FhirResponse, headers: string[], type: string, pretty: boolean): void {
  fhirHeaders(out, headers);
  let body: string | Buffer | undefined;
  if (out.json !== undefined) body = pretty ? encode(JSON.parse(out.json), true) : out.json;
  else if (out.body !== undefined) body = encode(out.body, pretty);
  writeResponse(res, out.status, headers, body, utf8(type));
}

/**
 * Logs a 5xx by error name and code (a pg SQLSTATE, a SQLite code) only: driver messages quote the values that failed
 * (a duplicate identifier, a name too long for an index), and logs must carry no patient data. The stack, message
 * included, is logged at debug. A 503 (database unavailable) is expected during an outage: a warning, no stack.
 */
function logFailure(logger: Logger, requestId: string, status: number, err: unknown): void {
  let cause = err;
  for (let depth = 0; depth < 8 && cause instanceof Error && cause.cause !== undefined; depth++) cause = cause.cause;
  const name = cause instanceof Error ? cause.name : typeof cause;
  const code = (cause as { code?: unknown } | null)?.code;
  const fields = { requestId, status, error: name, code: typeof code === 'string' ? code : undefined };
  if (status === 503) return logger.warn('request failed: dependency unavailable', fields);
  logger.error('request failed', fields);
  if (logger.enabled('debug'))
    logger.debug('request failed: stack', { requestId, stack: String(cause instanceof Error ? cause.stack : cause) });
}

// GET, HEAD and DELETE carry no FHIR body; node:http discards one if a client sends it anyway.
const BODYLESS = new Set(['GET', 'HEAD', 'DELETE']);

/** The FHIR endpoint handler. */
export function fhirEndpoint({ ctx, logger, maxBodyBytes }: FhirEndpointOptions): FhirEndpoint {
  return async (req, res, path, search, requestId) => {
    const query = new URLSearchParams(search);
    const pretty = query.get('_pretty') === 'true';
    let type = 'application/fhir+json';
    try {
      const native = nativeBinaryAccept(req, path, query);
      if (!native) type = responseType(req, query);
      const raw = BODYLESS.has(req.method ?? 'GET')
        ? undefined
        : await readBody(req, maxBodyBytes).catch((err: unknown) => {
            // A refused body was not read to its end: the connection cannot carry another request.
            res.setHeader('Connection', 'close');
            throw err;
          });
      const { body, form } = parseBody(req, raw);
      if (form) for (const [k, v] of form) query.append(k, v);
      query.delete('_format');
      query.delete('_pretty');
      const fhirReq = fhirRequest(req, path, query, body);
      // A batch answers its entries' failures instead of throwing them: it logs them itself, under this request's id.
      const reqCtx =
        fhirReq.method === 'POST' && fhirReq.path === '' ? { ...ctx, logger: logger.child({ requestId }) } : ctx;
      const out = await dispatch(reqCtx, fhirReq);
      if (native && out.status === 200) {
        // The bytes as stored, under their own type: nosniff and a sandbox so that stored HTML or SVG cannot run as a
        // page of this origin.
        const { bytes, type: contentType } = nativeBinary(out, native);
        const headers = [
          'X-Request-Id',
          requestId,
          'X-Content-Type-Options',
          'nosniff',
          'Content-Security-Policy',
          'sandbox',
        ];
        writeResponse(res, 200, fhirHeaders(out, headers), bytes, contentType);
      } else writeFhir(res, out, ['X-Request-Id', requestId], type, pretty);
    } catch (err) {
      const e = toOutcomeError(err);
      if (e.status >= 500) logFailure(logger, requestId, e.status, err);
      if (res.headersSent) res.end();
      else writeResponse(res, e.status, ['X-Request-Id', requestId], encode(e.outcome, pretty), utf8(type));
    }
  };
}
