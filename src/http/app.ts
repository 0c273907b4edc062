// The express 5 adapter: one catch-all route under /fhir that builds a FhirRequest, dispatches it and writes the
// FhirResponse; plus health, readiness and metrics. Errors always leave as OperationOutcome, never as stack traces.
import { randomUUID } from 'node:crypto';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { FhirContext } from '../fhir/context.js';
import type { OperationOutcomeError } from '../fhir/outcomes.js';
import { badRequest, toOutcomeError, tooLarge } from '../fhir/outcomes.js';
import type { FhirMethod, FhirRequest, FhirResponse } from '../fhir/request.js';
import { dispatch } from '../fhir/router.js';
import type { Logger } from '../log.js';
import { parseBody, parsePrefer, responseType } from './content.js';
import { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<{ ok: boolean; detail?: string }>;
}

export interface AppOptions {
  ctx: FhirContext;
  logger: Logger;
  maxBodyBytes: number;
  readiness?: ReadinessCheck[];
  metrics?: Metrics;
  /** Extra routers mounted before the FHIR catch-all (admin API, SMART discovery). */
  extra?: (app: express.Express) => void;
}

// Frozen bodies (the CapabilityStatement) cannot change, so their compact serialization is made once.
const frozenBodies = new WeakMap<object, string>();

function serialize(body: unknown, pretty: boolean): string {
  if (pretty) return JSON.stringify(body, null, 2);
  if (!body || typeof body !== 'object' || !Object.isFrozen(body)) return JSON.stringify(body);
  let text = frozenBodies.get(body);
  if (text === undefined) frozenBodies.set(body, (text = JSON.stringify(body)));
  return text;
}

function send(res: Response, status: number, body: unknown, type: string, pretty: boolean): void {
  res.status(status).type(type);
  res.send(serialize(body, pretty));
}

/** The path with %-escapes decoded; a malformed escape is the client's error (400), not a server failure. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw badRequest(`Malformed percent-encoding in the URL path: ${path.slice(0, 200)}`);
  }
}

function fhirRequest(req: Request, query: URLSearchParams, body: unknown): FhirRequest {
  const header = (name: string): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  return {
    method: req.method.toUpperCase() as FhirMethod,
    path: decodePath(req.path.replace(/^\/+|\/+$/g, '')),
    query,
    body,
    ifMatch: header('if-match'),
    ifNoneExist: header('if-none-exist'),
    ifNoneMatch: header('if-none-match'),
    ifModifiedSince: header('if-modified-since'),
    ...parsePrefer(header('prefer')),
  };
}

function writeFhir(res: Response, out: FhirResponse, type: string, pretty: boolean): void {
  if (out.location) res.setHeader('Location', out.location).setHeader('Content-Location', out.location);
  if (out.etag) res.setHeader('ETag', out.etag);
  if (out.lastModified) res.setHeader('Last-Modified', out.lastModified);
  if (out.body === undefined) res.status(out.status).end();
  else send(res, out.status, out.body, type, pretty);
}

/** Builds the express application. */
export function createApp(options: AppOptions): express.Express {
  const { ctx, logger } = options;
  const metrics = options.metrics ?? new Metrics();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', (q: string) => q);

  app.use((req, res, next) => {
    const requestId = (req.headers['x-request-id'] as string | undefined) ?? randomUUID();
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = req.path.startsWith('/fhir') ? 'fhir' : req.path;
      metrics.inc('http_requests_total', { method: req.method, status: String(res.statusCode) });
      metrics.observe({ route, method: req.method }, seconds);
      logger.debug('request', {
        requestId,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        ms: seconds * 1000,
      });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      (options.readiness ?? []).map(async (r) => {
        try {
          return { name: r.name, ...(await r.check()) };
        } catch (err) {
          return { name: r.name, ok: false, detail: (err as Error).message };
        }
      }),
    );
    const ok = results.every((r) => r.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: results });
  });
  app.get('/metrics', (_req, res) => {
    res.type('text/plain; version=0.0.4').send(metrics.render());
  });
  options.extra?.(app);

  // GET, HEAD and DELETE carry no FHIR body; skipping the parser spares reading an empty stream per read.
  const rawBody = express.raw({ type: () => true, limit: options.maxBodyBytes });
  app.use('/fhir', (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'DELETE') next();
    else rawBody(req, res, next);
  });
  app.use('/fhir', async (req, res) => {
    const query = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
    const pretty = query.get('_pretty') === 'true';
    let type = 'application/fhir+json';
    try {
      type = responseType(req, query);
      const { body, form } = parseBody(req, Buffer.isBuffer(req.body) ? req.body : undefined);
      if (form) for (const [k, v] of form) query.append(k, v);
      query.delete('_format');
      query.delete('_pretty');
      const out = await dispatch(ctx, fhirRequest(req, query, body));
      writeFhir(res, out, type, pretty);
    } catch (err) {
      const e = toOutcomeError(err);
      if (e.status >= 500)
        logger.error('request failed', {
          requestId: res.locals.requestId as string,
          status: e.status,
          error: String((err as Error)?.stack ?? err),
        });
      send(res, e.status, e.outcome, type, pretty);
    }
  });

  // Errors raised before the FHIR handler (body too large, malformed framing) still leave as OperationOutcome.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    const e: OperationOutcomeError =
      status === 413 ? tooLarge(`Request body exceeds ${options.maxBodyBytes} bytes`) : toOutcomeError(err);
    if (status && status >= 400 && status < 500 && status !== 413)
      e.outcome.issue[0]!.diagnostics = (err as Error).message;
    send(res, status && status < 500 ? status : e.status, e.outcome, 'application/fhir+json', false);
  });
  return app;
}
