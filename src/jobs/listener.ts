// PostgreSQL LISTEN on the job channel: a dedicated connection (not from the pool) that wakes the worker when any
// process commits a job. It reconnects with backoff when the server restarts; polling covers the gap.
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../log.js';
import { NOTIFY_CHANNEL } from './enqueue.js';

interface PgOptions {
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string | (() => string) | (() => Promise<string>);
  database?: string;
}

/** pg client settings equivalent to the DataSource's connection options. */
export function clientConfig(ds: DataSource): pg.ClientConfig {
  const o = ds.options as PgOptions;
  const config: pg.ClientConfig = {};
  if (o.url) config.connectionString = o.url;
  if (o.host) config.host = o.host;
  if (o.port) config.port = o.port;
  if (o.username) config.user = o.username;
  if (typeof o.password === 'string') config.password = o.password;
  if (o.database) config.database = o.database;
  return config;
}

export interface JobListener {
  close(): Promise<void>;
}

/** Listens for job notifications and calls onNotify(type) for each; never throws after start. */
export function listenForJobs(ds: DataSource, onNotify: (type: string) => void, logger: Logger): JobListener {
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 250;
  let timer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client(clientConfig(ds));
    c.on('notification', (msg) => onNotify(msg.payload ?? ''));
    c.on('error', (err) => {
      logger.warn('job listener connection error', { error: err.message });
      lost(c);
    });
    c.on('end', () => lost(c));
    try {
      await c.connect();
      await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      retryMs = 250;
      onNotify(''); // jobs may have been committed while we were not listening
    } catch (err) {
      logger.warn('job listener cannot connect; polling meanwhile', { error: (err as Error).message, retryMs });
      c.end().catch(() => undefined);
      schedule();
    }
  };
  const schedule = (): void => {
    if (closed || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, 10_000);
  };
  const lost = (c: pg.Client): void => {
    if (client !== c) return;
    client = undefined;
    c.end().catch(() => undefined);
    schedule();
  };

  void connect();
  return {
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) await c.end().catch(() => undefined);
    },
  };
}
