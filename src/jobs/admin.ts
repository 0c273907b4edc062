// Admin operations over the queue (exposed over HTTP by the API layer): look up a job, list the dead letter,
// retry one failed/dead job, requeue all failed/dead jobs of a type, purge old completed jobs, count jobs (metrics). Errors are OperationOutcomeErrors.
import { badRequest, conflict, notFound } from '../fhir/outcomes.js';
import type { JobQueue } from './queue.js';
import { nowMs, query } from './sql.js';
import type { Job } from './types.js';

const REQUEUE_SET = (now: string): string =>
  `status = 'queued', attempts = 0, rerun = 0, run_at = ${now}, finished_at = NULL, started_at = NULL,
   locked_by = NULL, locked_until = NULL, updated_at = ${now}`;

// A requeued job must not collide with an unfinished job holding the same dedupe key (one per key).
const NO_ACTIVE_TWIN = `(dedupe_key IS NULL OR NOT EXISTS (
  SELECT 1 FROM job a WHERE a.dedupe_key = job.dedupe_key AND a.status IN ('queued', 'running')))`;

/** The job with this id; 404 when unknown. */
export async function getJob(queue: JobQueue, id: string): Promise<Job> {
  const job = await queue.get(id);
  if (!job) throw notFound(`Job ${id} not found`);
  return job;
}

export interface DeadLetterQuery {
  type?: string;
  /** Default 50, at most 1000. */
  limit?: number;
  offset?: number;
}

/** Failed and dead jobs, most recently finished first (the dead letter). */
export async function listDeadLetters(queue: JobQueue, q: DeadLetterQuery = {}): Promise<Job[]> {
  const limit = q.limit ?? 50;
  const offset = q.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('limit must be an integer in [1, 1000]');
  if (!Number.isInteger(offset) || offset < 0) throw badRequest('offset must be a non-negative integer');
  const byType = q.type === undefined ? '' : 'AND type = :type';
  return queue.jobs(
    `SELECT * FROM job WHERE status IN ('failed', 'dead') ${byType}
      ORDER BY finished_at DESC, id DESC LIMIT :limit OFFSET :offset`,
    { type: q.type ?? null, limit, offset },
  );
}

/** Puts one failed or dead job back in the queue with fresh attempts; 404 unknown, 409 not failed/dead. */
export async function retryJob(queue: JobQueue, id: string): Promise<Job> {
  const current = await getJob(queue, id);
  if (current.status !== 'failed' && current.status !== 'dead') {
    throw conflict(`Job ${id} is ${current.status}; only failed or dead jobs can be retried`);
  }
  const now = nowMs(queue.dialect);
  const [job] = await queue.jobs(
    `UPDATE job SET ${REQUEUE_SET(now)}
      WHERE id = :id AND status IN ('failed', 'dead') AND ${NO_ACTIVE_TWIN}
      RETURNING *`,
    { id: Number(id) },
  );
  if (!job) {
    const again = await getJob(queue, id);
    if (again.status !== 'failed' && again.status !== 'dead') throw conflict(`Job ${id} is ${again.status} now`);
    throw conflict(`Job ${id}: an unfinished job with dedupe key "${again.dedupeKey}" already covers it`);
  }
  queue.publish([job]);
  return job;
}

/**
 * Requeues every failed and dead job of a type (after a fix is deployed). Of several with one dedupe key only the
 * newest is requeued, and none whose key an unfinished job already holds. Returns the requeued jobs.
 */
export async function requeueFailed(queue: JobQueue, type: string): Promise<Job[]> {
  if (typeof type !== 'string' || type.length === 0) throw badRequest('type is required');
  const now = nowMs(queue.dialect);
  const jobs = await queue.jobs(
    `UPDATE job SET ${REQUEUE_SET(now)}
      WHERE type = :type AND status IN ('failed', 'dead') AND ${NO_ACTIVE_TWIN}
        AND (dedupe_key IS NULL OR id = (
          SELECT max(d.id) FROM job d WHERE d.dedupe_key = job.dedupe_key AND d.status IN ('failed', 'dead')))
      RETURNING *`,
    { type },
  );
  queue.publish(jobs);
  return jobs;
}

/** Deletes completed jobs finished before `before` (their Tasks stay); returns how many. Dead letters are kept. */
export async function purgeCompleted(queue: JobQueue, before: Date): Promise<number> {
  const t = before.getTime();
  if (!Number.isFinite(t)) throw badRequest('before must be a valid instant');
  const rows = await queue.run((m) =>
    query<{ id: number | string }>(
      m,
      queue.dialect,
      "DELETE FROM job WHERE status = 'completed' AND finished_at < :t RETURNING id",
      { t },
    ),
  );
  return rows.length;
}

/** Jobs per type and status (for /metrics gauges). */
export async function countJobs(queue: JobQueue): Promise<{ type: string; status: string; count: number }[]> {
  const rows = await queue.run((m) =>
    query<{ type: string; status: string; n: number | string }>(
      m,
      queue.dialect,
      'SELECT type, status, count(*) AS n FROM job GROUP BY type, status ORDER BY type, status',
    ),
  );
  return rows.map((r) => ({ type: r.type, status: r.status, count: Number(r.n) }));
}
