// The HTTP surface: the FHIR endpoint under /fhir on plain node:http (fhir-endpoint.ts), and an express 5 app for
// health, readiness, metrics and the admin APIs. Every request gets an X-Request-Id, a metrics sample and a debug log
// line. Errors always leave as OperationOutcome, never as stack traces. Query values (identifiers, names) never reach
// the logs, and metrics labels name only known routes (an unknown path may hold anything).
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
  /** True once shutdown began: /readyz answers 503 so load balancers stop sending work here. */
  stopping?: () => boolean;
}

// A client's X-Request-Id is kept when it is a plain token, so a gateway's id follows the request into our logs.
const REQUEST_ID = /^[\w.:@/+=-]{1,128}$/;

// The metrics route label: a fixed set, so neither ids nor arbitrary paths multiply the series or reach the labels.
const EXACT_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);
const PREFIX_ROUTES = ['/admin/jobs', '/admin/hl7'];

/** The metrics route label of a path outside /fhir: a known route, or `unmatched`. */
function routeLabel(path: string): string {
  if (EXACT_ROUTES.has(path)) return path;
  return PREFIX_ROUTES.find((r) => path === r || path.startsWith(`${r}/`)) ?? 'unmatched';
}

/** The names of a query's parameters, without their values (which may be identifiers or names). */
function paramNames(search: string): string[] | undefined {
  if (!search) return undefined;
  return [...new Set(search.split('&').map((p) => p.split('=', 1)[0]!))];
}

/** Picks the request id (the caller sends it as X-Request-Id) and records the status and duration when done. */
function instrument(
  req: IncomingMessage,
  res: ServerResponse,
  route: string,
  path: string,
  search: string,
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
    if (logger.enabled('debug')) {
      const params = paramNames(search);
      logger.debug('request', { requestId, method, path, params, status: res.statusCode, ms: seconds * 1000 });
    }
  });
  return requestId;
}

/**
 * GET /readyz: each check's name and ok flag. A failure's detail (a folder path, the database's host and port) goes to
 * the log, once per change, and the response says only where to look: readiness is often reachable from outside.
 */
function readyz({ readiness = [], stopping, logger }: AppOptions): (req: Request, res: Response) => Promise<void> {
  const lastFailure = new Map<string, string>();
  const note = (name: string, ok: boolean, detail = 'not ready'): void => {
    if (ok && lastFailure.delete(name)) logger.info('readiness check passes again', { check: name });
    if (!ok && lastFailure.get(name) !== detail) {
      lastFailure.set(name, detail);
      logger.warn('readiness check failed', { check: name, detail });
    }
  };
  return async (_req, res) => {
    if (stopping?.()) {
      res.status(503).json({ status: 'not ready', checks: [{ name: 'shutdown', ok: false, detail: 'shutting down' }] });
      return;
    }
    const checks = await Promise.all(
      readiness.map(async ({ name, check }) => {
        const { ok, detail } = await check().catch((err: unknown) => ({ ok: false, detail: (err as Error).message }));
        note(name, ok, detail);
        return ok ? { name, ok } : { name, ok, detail: 'failed; the server log has the reason' };
      }),
    );
    const ok = checks.every((c) => c.ok);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks });
  };
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
  app.get('/readyz', readyz(options));
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
    const search = q < 0 ? '' : url.slice(q + 1);
    if (path === '/fhir' || path.startsWith('/fhir/')) {
      const requestId = instrument(req, res, 'fhir', path, search, metrics, options.logger);
      void fhir(req, res, path.slice(5), search, requestId);
    } else {
      res.setHeader('X-Request-Id', instrument(req, res, routeLabel(path), path, search, metrics, options.logger));
      void ops(req, res);
    }
  };
}
