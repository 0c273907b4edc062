// The HTTP surface: the FHIR endpoint under /fhir on plain node:http (fhir-endpoint.ts), and an express 5 app for
// health, readiness, metrics and the admin APIs. Every request gets an X-Request-Id, a metrics sample and a debug log
// line. Errors always leave as OperationOutcome, never as stack traces.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { FhirContext } from '../fhir/context.js';
import type { OperationOutcomeError } from '../fhir/outcomes.js';
import { notFound, toOutcomeError } from '../fhir/outcomes.js';
import type { Logger } from '../log.js';
import { fhirEndpoint, sendJson } from './fhir-endpoint.js';
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
  /** Extra routers on the express app (the admin APIs). */
  extra?: (app: express.Express) => void;
}

// A client's X-Request-Id is kept when it is a plain token, so a gateway's id follows the request into our logs.
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

/** Picks the request id (the caller sends it as X-Request-Id) and records the status and duration when done. */
function instrument(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  metrics: Metrics,
  logger: Logger,
): string {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const method = req.method ?? 'GET';
    metrics.request(route, method, res.statusCode, seconds);
    if (logger.enabled('debug'))
      logger.debug('request', { requestId, method, path: req.url, status: res.statusCode, ms: seconds * 1000 });
  });
  return requestId;
}

/** The express app for everything outside /fhir. */
function opsApp(options: AppOptions, metrics: Metrics): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', (q: string) => q);
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
  app.use((req, res) => {
    sendJson(res, 404, notFound(`No route for ${req.method} ${req.path}`).outcome, 'application/fhir+json');
  });
  // Errors raised by express routes leave as OperationOutcome too.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    const e: OperationOutcomeError = toOutcomeError(err);
    if (status && status >= 400 && status < 500) e.outcome.issue[0]!.diagnostics = (err as Error).message;
    sendJson(res, status && status < 500 ? status : e.status, e.outcome, 'application/fhir+json');
  });
  return app;
}

/** The server's request listener: /fhir to the FHIR endpoint, the rest to the express app. */
export function createApp(options: AppOptions): RequestListener {
  const metrics = options.metrics ?? new Metrics();
  const ops = opsApp(options, metrics);
  const fhir = fhirEndpoint(options);
  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/fhir' || path.startsWith('/fhir/')) {
      const requestId = instrument(req, res, 'fhir', metrics, options.logger);
      void fhir(req, res, path.slice(5), q < 0 ? '' : url.slice(q + 1), requestId);
    } else {
      // The first two segments name the route (/admin/jobs), so ids in paths do not multiply the metric series.
      res.setHeader('X-Request-Id', instrument(req, res, path.split('/', 3).join('/'), metrics, options.logger));
      void ops(req, res);
    }
  };
}
