// Composition root: opens the database, builds the repository and the FHIR context, and starts the HTTP server.
// Adapters (express, MLLP, workers) are created here and nowhere else, so tests start the same server as `serve`.
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { Config } from './config.js';
import type { FhirContext, OperationDef } from './fhir/context.js';
import { validateOperation } from './fhir/operations/validate.js';
import type { Repository } from './fhir/repository.js';
import { indexResource } from './fhir/search/indexer.js';
import { loadDefinitions } from './fhir/validation.js';
import { createApp } from './http/app.js';
import { Metrics } from './http/metrics.js';
import type { Logger } from './log.js';
import { type StoreModule, openDataSource } from './store/datasource.js';
import { SqlRepository, type WriteHook } from './store/sql-repository.js';

export interface RunningServer {
  /** The FHIR base URL actually listened on. */
  baseUrl: string;
  port: number;
  dataSource: DataSource;
  repo: Repository;
  ctx: FhirContext;
  close(): Promise<void>;
}

export interface ServerParts {
  modules?: StoreModule[];
  hooks?: WriteHook[];
  operations?: OperationDef[];
}

/** Starts the FHIR server for a configuration; `close()` stops listeners and closes the database. */
export async function startServer(config: Config, logger: Logger, parts: ServerParts = {}): Promise<RunningServer> {
  loadDefinitions();
  const dataSource = await openDataSource(config.databaseUrl, { modules: parts.modules });
  const repo = new SqlRepository(dataSource, { indexResource, hooks: parts.hooks });
  const ctx: FhirContext = {
    repo,
    baseUrl: config.baseUrl,
    defaultCount: 20,
    maxCount: 1000,
    operations: [validateOperation, ...(parts.operations ?? [])],
    validate: true,
  };
  const metrics = new Metrics();
  const app = createApp({
    ctx,
    logger,
    metrics,
    maxBodyBytes: config.maxBodyBytes,
    readiness: [
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
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  http.keepAliveTimeout = 65_000;
  const port = (http.address() as AddressInfo).port;
  // With PORT=0 the base URL names the port actually bound.
  if (config.port === 0) ctx.baseUrl = config.baseUrl.replace(/:0(?=\/|$)/, `:${port}`);
  logger.info('listening', { fhir: ctx.baseUrl, database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@') });
  return {
    baseUrl: ctx.baseUrl,
    port,
    dataSource,
    repo,
    ctx,
    close: async () => {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await dataSource.destroy();
    },
  };
}
