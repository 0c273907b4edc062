// Composition root of `serve`: the core (database, repository, jobs), the HTTP server and in-process workers.
// Tests start the same server as `ct-fhir serve`.
import { createServer, type RequestListener, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Config, redactDatabaseUrl } from './config.js';
import { type Core, type CoreParts, openCore, workerLimits } from './core.js';
import { jobsAdminRouter } from './http/admin.js';
import { hl7AdminRouter } from './http/hl7-admin.js';
import { fhirBatchExecutor, fhirExecutor } from './hl7v2/execute.js';
import { startHl7Server } from './hl7v2/index.js';
import { Hl7MessageStore } from './hl7v2/store/message-store.js';
import { adminAuth, isLoopback } from './http/admin-auth.js';
import { createApp, type ReadinessCheck } from './http/app.js';
import { graceful, type GracefulServer } from './http/shutdown.js';
import { Metrics } from './http/metrics.js';
import { Worker } from './jobs/worker.js';
import type { Logger } from './log.js';

export interface RunningServer extends Core {
  /** The FHIR base URL actually listened on. */
  baseUrl: string;
  port: number;
  /** The MLLP port listened on, when MLLP_PORT is not 0. */
  mllpPort?: number;
  workers: Worker[];
}

export type ServerParts = CoreParts;

// Node's defaults (headers within 60 s, the whole request within 300 s, both checked every 30 s) let a client that
// drips a byte every few seconds hold a connection for minutes (slowloris).
const HEADERS_TIMEOUT_MS = 20_000;
const TIMEOUT_CHECK_MS = 1000;

/** The HTTP server: request timeouts, a connection cap, graceful shutdown counting every request. */
async function listen(app: RequestListener, config: Config): Promise<{ http: HttpServer; shutdown: GracefulServer }> {
  const http = createServer({
    requestTimeout: config.httpRequestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.httpRequestTimeoutMs),
    connectionsCheckingInterval: TIMEOUT_CHECK_MS,
  });
  http.keepAliveTimeout = 65_000;
  http.maxConnections = config.httpMaxConnections;
  // graceful() before the app: it must see each request before the app can answer it.
  const shutdown = graceful(http);
  http.on('request', app);
  await new Promise<void>((resolve, reject) => {
    http.once('error', (err) => reject(listenError(`HOST=${config.host} PORT=${config.port}`, err)));
    http.listen(config.port, config.host, resolve);
  });
  return { http, shutdown };
}

/** A failure to listen named by the settings behind it (the raw one says only "getaddrinfo ENOTFOUND x"). */
function listenError(settings: string, err: unknown): unknown {
  const syscall = (err as { syscall?: unknown } | null)?.syscall;
  if (syscall !== 'listen' && syscall !== 'getaddrinfo') return err;
  return new Error(`cannot listen on ${settings}: ${(err as Error).message}`, { cause: err });
}

/** True when `work` settles within ms, false otherwise (it goes on; the caller stops waiting). */
async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

type Hl7Server = Awaited<ReturnType<typeof startHl7Server>> & { store: Hl7MessageStore };

/** Starts the FHIR server for a configuration; `close()` stops workers and listeners and closes the database. */
export async function startServer(config: Config, logger: Logger, parts: ServerParts = {}): Promise<RunningServer> {
  const core = await openCore(config, logger, parts);
  let hl7: Hl7Server | undefined;
  try {
    const store = new Hl7MessageStore(core.dataSource);
    // MLLP first (it finishes messages a crash left 'received'), so /readyz is only green with the listener up.
    if (config.mllpPort > 0) {
      const started = await startHl7Server({
        port: config.mllpPort,
        host: config.host,
        logger,
        store,
        execute: fhirExecutor(core.ctx),
        // Opt-in: messages arriving together share one transaction. It saves round trips to a distant database;
        // on a local one, per-message transactions in parallel lanes measured faster (bench/hl7).
        executeBatch: config.hl7GroupCommit ? fhirBatchExecutor(core.ctx) : undefined,
      }).catch((err: unknown) => {
        throw listenError(`HOST=${config.host} MLLP_PORT=${config.mllpPort}`, err);
      });
      hl7 = { ...started, store };
    }
    return await serveHttp(core, hl7, config, logger);
  } catch (err) {
    // Leave nothing open (HOST that does not resolve, PORT in use), so the process can exit with its message.
    await hl7?.listener.close();
    await core.close();
    throw err;
  }
}

/** The HTTP side (FHIR, health, metrics, admin) and the in-process workers over an open core. */
async function serveHttp(
  core: Core,
  hl7: Hl7Server | undefined,
  config: Config,
  logger: Logger,
): Promise<RunningServer> {
  const { ctx, dataSource, queue } = core;
  const metrics = new Metrics();
  let stopping = false;
  const readiness: ReadinessCheck[] = [
    {
      name: 'database',
      check: async () => {
        await dataSource.query('SELECT 1');
        return { ok: true };
      },
    },
  ];
  // Only a process that runs jobs uses the model; an API-only one (WORKERS=0) stays ready without it.
  if (config.workers > 0)
    readiness.unshift({
      name: 'model',
      // refresh() re-checks the folder: a model deleted or swapped since shows here, not only at the next job.
      check: async () => {
        const st = await core.models.refresh();
        return st.ready ? { ok: true } : { ok: false, detail: st.error?.message ?? 'model not loaded' };
      },
    });
  const app = createApp({
    ctx,
    logger,
    metrics,
    maxBodyBytes: config.maxBodyBytes,
    extra: (express) => {
      // Before the admin routers: unknown /admin paths are refused too rather than listed as 404s.
      express.use('/admin', adminAuth(config.adminToken, logger));
      express.use('/admin/jobs', jobsAdminRouter(queue));
      if (hl7) express.use('/admin/hl7', hl7AdminRouter(hl7.store, hl7.processor));
    },
    readiness,
    stopping: () => stopping,
  });
  const { http, shutdown: httpShutdown } = await listen(app, config);
  const port = (http.address() as AddressInfo).port;
  // With PORT=0 the base URL names the port actually bound.
  if (config.port === 0) ctx.baseUrl = config.baseUrl.replace(/:0(?=\/|$)/, `:${port}`);
  const workers =
    config.workers > 0
      ? [
          new Worker(queue, {
            handlers: core.handlers,
            concurrency: config.workers,
            limits: workerLimits(config),
            logger,
          }),
        ]
      : [];
  for (const w of workers) w.start();
  logger.info('listening', {
    fhir: ctx.baseUrl,
    workers: config.workers,
    database: redactDatabaseUrl(config.databaseUrl),
    admin: config.adminToken ? 'bearer token' : 'loopback clients only',
  });
  if (!isLoopback(config.host) && config.host !== 'localhost')
    logger.warn('the FHIR endpoint has no authentication: keep it behind the gateway (README "Security")', {
      host: config.host,
    });
  return {
    ...core,
    baseUrl: ctx.baseUrl,
    port,
    mllpPort: hl7?.address.port,
    workers,
    close: async () => {
      // One deadline for all: readiness fails at once, then workers, MLLP and HTTP requests wind down together.
      stopping = true;
      const timeoutMs = config.shutdownTimeoutMs;
      const [, mllpDone, drained] = await Promise.all([
        Promise.all(workers.map((w) => w.stop(timeoutMs))),
        hl7 ? within(hl7.listener.close(), timeoutMs) : true,
        httpShutdown.close(timeoutMs),
      ]);
      if (!drained) logger.warn('shutdown: requests still running were cut off', { afterMs: timeoutMs });
      if (!mllpDone) logger.warn('shutdown: MLLP messages still running were cut off', { afterMs: timeoutMs });
      // Requests already running finished (or were cut off) before the database closes under them.
      await core.close();
    },
  };
}
