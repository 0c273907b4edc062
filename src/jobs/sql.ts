// Dialect helpers for the job SQL: named parameters, the database clock, structured query results, row mapping.
// Statements are written once with `:name` parameters and dialect fragments; PostgreSQL gets $n, SQLite gets ?.
import type { DataSource, EntityManager } from 'typeorm';
import type { JobRow } from './schema.js';
import type { Job, JobResult, JobStatus } from './types.js';
import { JOB_STATUSES } from './types.js';

export type Dialect = 'sqlite' | 'postgres';

/** The dialect of a DataSource (better-sqlite3 or postgres). */
export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * The database clock in epoch ms. Every lease, runAt and timestamp uses it, so processes on hosts with skewed clocks
 * still agree on lease expiry. PostgreSQL: statement_timestamp() is fixed for the statement (usable in index
 * conditions) and, unlike now(), advances between statements of one transaction.
 */
export function nowMs(dialect: Dialect): string {
  return dialect === 'postgres'
    ? '(EXTRACT(EPOCH FROM statement_timestamp()) * 1000)::bigint'
    : "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
}

/** GREATEST / LEAST: scalar max and min are spelled differently. */
export function greatest(dialect: Dialect, ...args: string[]): string {
  return `${dialect === 'postgres' ? 'GREATEST' : 'max'}(${args.join(', ')})`;
}
export function least(dialect: Dialect, ...args: string[]): string {
  return `${dialect === 'postgres' ? 'LEAST' : 'min'}(${args.join(', ')})`;
}

export type Params = Record<string, unknown>;

/**
 * Replaces `:name` with a placeholder and collects the values; an array value expands to a list (`IN (:types)`).
 * `::` (a PostgreSQL cast) is left alone. Throws on a name without a value, so a typo cannot bind NULL.
 */
export function bind(dialect: Dialect, text: string, params: Params): [string, unknown[]] {
  const values: unknown[] = [];
  const placeholder = (): string => (dialect === 'postgres' ? `$${values.length}` : '?');
  const out = text.replace(/(?<![:\w]):([a-zA-Z_]\w*)/g, (_m, name: string) => {
    if (!(name in params)) throw new Error(`SQL parameter :${name} has no value`);
    const v = params[name];
    if (Array.isArray(v)) {
      if (v.length === 0) throw new Error(`SQL parameter :${name} is an empty list`);
      return v
        .map((item) => {
          values.push(item);
          return placeholder();
        })
        .join(', ');
    }
    values.push(v === undefined ? null : v);
    return placeholder();
  });
  return [out, values];
}

/** Runs one statement and returns its rows (RETURNING included) whatever the driver's result shape. */
export async function query<T = Record<string, unknown>>(
  manager: EntityManager,
  dialect: Dialect,
  text: string,
  params: Params = {},
): Promise<T[]> {
  const [sqlText, values] = bind(dialect, text, params);
  const own = manager.queryRunner ? undefined : manager.connection.createQueryRunner();
  const runner = manager.queryRunner ?? own!;
  try {
    // Structured: typeorm returns [rows, count] for a plain PostgreSQL UPDATE ... RETURNING otherwise.
    const result = await runner.query(sqlText, values, true);
    return (result.records ?? []) as T[];
  } finally {
    // better-sqlite3 shares one runner; releasing it is a no-op there and returns the pooled client on PostgreSQL.
    if (own) await own.release();
  }
}

const ms = (v: number | string | null): number | undefined => (v === null || v === undefined ? undefined : Number(v));
const date = (v: number | string | null): Date | undefined => {
  const n = ms(v);
  return n === undefined ? undefined : new Date(n);
};

function parseJson(text: string | null, what: string, id: string): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`job ${id}: stored ${what} is not JSON`);
  }
}

/** A stored row as a Job. */
export function rowToJob(row: JobRow): Job {
  const id = String(row.id);
  if (!(JOB_STATUSES as readonly string[]).includes(row.status)) {
    throw new Error(`job ${id}: unknown status "${row.status}"`);
  }
  const job: Job = {
    id,
    type: row.type,
    payload: parseJson(row.payload, 'payload', id),
    status: row.status as JobStatus,
    priority: Number(row.priority),
    runAt: date(row.run_at)!,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    rerun: Number(row.rerun) === 1,
    createdAt: date(row.created_at)!,
    updatedAt: date(row.updated_at)!,
  };
  if (row.dedupe_key !== null) job.dedupeKey = row.dedupe_key;
  if (row.locked_by !== null) job.lockedBy = row.locked_by;
  if (row.locked_until !== null) job.lockedUntil = date(row.locked_until);
  if (row.last_error !== null) job.lastError = row.last_error;
  if (row.result !== null) job.result = parseJson(row.result, 'result', id) as JobResult;
  if (row.started_at !== null) job.startedAt = date(row.started_at);
  if (row.finished_at !== null) job.finishedAt = date(row.finished_at);
  return job;
}
