// State changes of claimed jobs: completion, retry, failure, dead letter, heartbeat, lease reaping and release.
// Every change of a running job is fenced by (locked_by, attempts): a worker that lost its lease (reaped, taken over)
// cannot overwrite the new owner's state.
import type { EntityManager } from 'typeorm';
import type { JobQueue } from './queue.js';
import type { Dialect, Params } from './sql.js';
import { greatest, nowMs, query } from './sql.js';
import type { Job, JobResult } from './types.js';

/** How a run ended, as decided by the worker. */
export type RunOutcome =
  | { kind: 'completed'; result: JobResult }
  | { kind: 'retry'; error: string; delayMs: number }
  | { kind: 'failed'; error: string }
  | { kind: 'dead'; error: string };

const STATUS: Record<RunOutcome['kind'], string> = {
  completed: 'completed',
  retry: 'queued',
  failed: 'failed',
  dead: 'dead',
};

/** Longest error text kept on a job (Task.statusReason). */
export const MAX_ERROR_CHARS = 2000;

/**
 * What was thrown, as text: an Error's name and message; for other values (a handler or library may throw anything)
 * a string's text, a `message` string, or the kind of value. Never throws: String() fails on an object without
 * prototype or with a throwing toString, and an exception here would escape the worker as an unhandled rejection.
 */
function describeThrown(err: unknown): string {
  if (err instanceof Error) return `${err.name === 'Error' ? '' : err.name + ': '}${err.message}`;
  if (typeof err === 'string') return err;
  if (typeof err === 'object' && err !== null) {
    const { message } = err as { message?: unknown };
    // Only a message: other fields (a JSON dump) may carry patient data into Task.statusReason.
    if (typeof message === 'string' && message !== '') return `non-Error thrown: ${message}`;
    return 'non-Error object thrown';
  }
  if (typeof err === 'symbol' || typeof err === 'function') return `non-Error ${typeof err} thrown`;
  return `non-Error value thrown: ${String(err)}`;
}

/** Error text for storage: the message only (stacks stay in the logs), truncated. */
export function errorText(err: unknown): string {
  let text: string;
  try {
    text = describeThrown(err);
  } catch {
    text = 'unreadable value thrown'; // an Error whose message getter throws
  }
  return text.length > MAX_ERROR_CHARS ? text.slice(0, MAX_ERROR_CHARS - 1) + '…' : text;
}

/**
 * Records the end of a run. A job flagged `rerun` (its dedupe key was triggered while it ran) goes back to the queue
 * with fresh attempts instead. Returns undefined when this worker no longer holds the lease.
 */
export async function finishRun(
  queue: JobQueue,
  job: Job,
  workerId: string,
  outcome: RunOutcome,
): Promise<Job | undefined> {
  const now = nowMs(queue.dialect);
  const terminal = outcome.kind !== 'retry';
  const runAt = outcome.kind === 'retry' ? `${now} + :delayMs` : 'run_at';
  const [updated] = await queue.jobs(
    `UPDATE job SET
        status = CASE WHEN rerun = 1 THEN 'queued' ELSE :status END,
        attempts = CASE WHEN rerun = 1 THEN 0 ELSE attempts END,
        run_at = CASE WHEN rerun = 1 THEN ${now} ELSE ${runAt} END,
        finished_at = ${terminal ? `CASE WHEN rerun = 1 THEN NULL ELSE ${now} END` : 'NULL'},
        rerun = 0, result = :result, last_error = :error,
        locked_by = NULL, locked_until = NULL, updated_at = ${now}
      WHERE id = :id AND status = 'running' AND locked_by = :workerId AND attempts = :attempt
      RETURNING *`,
    {
      id: Number(job.id),
      workerId,
      attempt: job.attempts,
      status: STATUS[outcome.kind],
      delayMs: outcome.kind === 'retry' ? outcome.delayMs : 0,
      result: outcome.kind === 'completed' ? JSON.stringify(outcome.result) : null,
      error: outcome.kind === 'completed' ? null : outcome.error,
    },
  );
  return updated;
}

/** One run of a job, as the worker knows it: the claim's `attempts` tells this run from a later one. */
export type RunKey = Pick<Job, 'id' | 'attempts'>;

/** `(id = .. AND attempts = ..) OR ...` for the runs, their values added to params. */
function runFences(runs: RunKey[], params: Params): string {
  return runs
    .map((r, i) => {
      params[`id${i}`] = Number(r.id);
      params[`at${i}`] = r.attempts;
      return `(id = :id${i} AND attempts = :at${i})`;
    })
    .join(' OR ');
}

/**
 * Extends the leases of runs this worker holds; returns the ids it still holds (the others were lost). Fenced by
 * attempts too: a run whose job was reaped and claimed again, even by this worker, holds nothing.
 */
export async function heartbeat(
  queue: JobQueue,
  workerId: string,
  runs: RunKey[],
  leaseMs: number,
): Promise<Set<string>> {
  if (runs.length === 0) return new Set();
  const params: Params = { leaseMs, workerId };
  const rows = await queue.run((m) =>
    query<{ id: number | string }>(
      m,
      queue.dialect,
      `UPDATE job SET locked_until = ${nowMs(queue.dialect)} + :leaseMs
        WHERE status = 'running' AND locked_by = :workerId AND (${runFences(runs, params)}) RETURNING id`,
      params,
    ),
  );
  return new Set(rows.map((r) => String(r.id)));
}

/**
 * The fence of a run's own writes, run inside the caller's transaction: true when the run still holds the job, whose
 * row it then keeps (PostgreSQL row lock, SQLite write lock) until that transaction ends, so no reaper or release can
 * take the job between this check and the commit. A write proves the run alive, so it renews the lease as well.
 */
export async function holdLease(
  manager: EntityManager,
  dialect: Dialect,
  workerId: string,
  run: RunKey,
  leaseMs: number,
): Promise<boolean> {
  const rows = await query<{ id: number | string }>(
    manager,
    dialect,
    `UPDATE job SET locked_until = ${greatest(dialect, 'locked_until', `${nowMs(dialect)} + :leaseMs`)}
      WHERE id = :id AND status = 'running' AND locked_by = :workerId AND attempts = :attempt RETURNING id`,
    { id: Number(run.id), attempt: run.attempts, workerId, leaseMs },
  );
  return rows.length === 1;
}

/**
 * Takes back jobs whose lease expired (their worker was killed or stalled): queued again, or dead when that run
 * was the last allowed attempt. Like finishRun, a job flagged `rerun` goes back to the queue with fresh attempts
 * instead, so a trigger that arrived during the lost run is not dropped with it. Any worker may reap; row locks make
 * each job reaped once.
 */
export function reapExpired(queue: JobQueue): Promise<Job[]> {
  const now = nowMs(queue.dialect);
  const last = 'rerun = 0 AND attempts >= max_attempts';
  return queue.jobs(
    `UPDATE job SET
        status = CASE WHEN ${last} THEN 'dead' ELSE 'queued' END,
        finished_at = CASE WHEN ${last} THEN ${now} ELSE NULL END,
        attempts = CASE WHEN rerun = 1 THEN 0 ELSE attempts END,
        last_error = 'lease expired: worker ' || locked_by || ' stopped renewing it (killed or stalled)',
        run_at = ${now}, rerun = 0, locked_by = NULL, locked_until = NULL, updated_at = ${now}
      WHERE status = 'running' AND locked_until < ${now}
      RETURNING *`,
  );
}

/**
 * Hands running jobs back to the queue at shutdown; the interrupted run does not count as an attempt. Fenced by
 * attempts like heartbeat: only the runs named are released, never a later run of the same job.
 */
export function releaseRuns(queue: JobQueue, workerId: string, runs: RunKey[]): Promise<Job[]> {
  if (runs.length === 0) return Promise.resolve([]);
  const now = nowMs(queue.dialect);
  const params: Params = { workerId };
  return queue.jobs(
    `UPDATE job SET status = 'queued', attempts = ${greatest(queue.dialect, 'attempts - 1', '0')},
        run_at = ${now}, rerun = 0, started_at = NULL, locked_by = NULL, locked_until = NULL, updated_at = ${now}
      WHERE status = 'running' AND locked_by = :workerId AND (${runFences(runs, params)})
      RETURNING *`,
    params,
  );
}
