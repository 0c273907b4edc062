// Composition root of `serve`: the core (database, repository, jobs), the HTTP server and in-process workers.
// Tests start the same server as `ct-fhir serve`.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { type Core, type CoreParts, DEFAULT_LIMITS, openCore } from './core.js';
import { jobsAdminRouter } from './http/admin.js';
import { hl7AdminRouter } from './http/hl7-admin.js';
import { fhirBatchExecutor, fhirExecutor } from './hl7v2/execute.js';
import { startHl7Server } from './hl7v2/index.js';
import { Hl7MessageStore } from './hl7v2/store/message-store.js';
import { createApp } from './http/app.js';
import { graceful } from './http/shutdown.js';
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

/** Starts the FHIR server for a configuration; `close()` stops workers and listeners and closes the database. */
export async function startServer(config: Config, logger: Logger, parts: ServerParts = {}): Promise<RunningServer> {
  const core = await openCore(config, logger, parts);
  const { ctx, dataSource, queue } = core;
  const metrics = new Metrics();
  const hl7Store = new Hl7MessageStore(dataSource);
  // MLLP first (it finishes messages a crash left 'received'), so /readyz is only green with the listener up.
  const hl7 =
    config.mllpPort > 0
      ? await startHl7Server({
          port: config.mllpPort,
          host: config.host,
          logger,
          store: hl7Store,
          execute: fhirExecutor(ctx),
          // Opt-in: messages arriving together share one transaction. It saves round trips to a distant database;
          // on a local one, per-message transactions in parallel lanes measured faster (bench/hl7).
          executeBatch: config.hl7GroupCommit ? fhirBatchExecutor(ctx) : undefined,
        })
      : undefined;
  const app = createApp({
    ctx,
    logger,
    metrics,
    maxBodyBytes: config.maxBodyBytes,
    extra: (express) => {
      express.use('/admin/jobs', jobsAdminRouter(queue));
      if (hl7) express.use('/admin/hl7', hl7AdminRouter(hl7Store, hl7.processor));
    },
    readiness: [
      {
        name: 'model',
        // refresh() re-checks the folder: a model deleted or swapped since shows here, not only at the next job.
        check: async () => {
          const st = await core.models.refresh();
          return st.ready
            ? { ok: true, detail: `${st.model} ${st.version} (${st.provider})` }
            : { ok: false, detail: st.error?.message ?? 'model not loaded' };
        },
      },
      {
        name: 'database',
        check: async () => {
          await dataSource.query('SELECT 1');
          return { ok: true };
        },
      },
    ],
  });
  const http: HttpServer = await new Promise((resolve, reject) => {
    const s = createServer(app).listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  http.keepAliveTimeout = 65_000;
  const httpShutdown = graceful(http);
  const port = (http.address() as AddressInfo).port;
  // With PORT=0 the base URL names the port actually bound.
  if (config.port === 0) ctx.baseUrl = config.baseUrl.replace(/:0(?=\/|$)/, `:${port}`);
  const workers =
    config.workers > 0
      ? [new Worker(queue, { handlers: core.handlers, concurrency: config.workers, limits: DEFAULT_LIMITS, logger })]
      : [];
  for (const w of workers) w.start();
  logger.info('listening', {
    fhir: ctx.baseUrl,
    workers: config.workers,
    database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@'),
  });
  return {
    ...core,
    baseUrl: ctx.baseUrl,
    port,
    mllpPort: hl7?.address.port,
    workers,
    close: async () => {
      await Promise.all(workers.map((w) => w.stop(10_000)));
      await hl7?.listener.close();
      // Requests already running finish before the database closes under them.
      if (!(await httpShutdown.close(config.shutdownTimeoutMs)))
        logger.warn('shutdown: requests still running were cut off', { afterMs: config.shutdownTimeoutMs });
      await core.close();
    },
  };
}
