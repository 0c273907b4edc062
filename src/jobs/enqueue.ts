// enqueue(): writes a job row through the caller's EntityManager, i.e. inside the caller's transaction (outbox):
// the resource and its job commit together or not at all. On PostgreSQL the same statement NOTIFYs the worker
// processes (NOTIFY is delivered at COMMIT, never for a rolled-back job).
import type { EntityManager } from 'typeorm';
import { afterCommit } from './commit-hooks.js';
import type { JobRow } from './schema.js';
import { normaliseSpec } from './spec.js';
import type { Dialect } from './sql.js';
import { dialectOf, greatest, least, nowMs, query, rowToJob } from './sql.js';
import type { EnqueueResult, EnqueueSpec, Job } from './types.js';

/** The PostgreSQL LISTEN/NOTIFY channel that wakes workers. */
export const NOTIFY_CHANNEL = 'ct_fhir_jobs';

function insertSql(dialect: Dialect): string {
  const now = nowMs(dialect);
  const insert = `INSERT INTO job (type, payload, status, priority, dedupe_key, run_at, attempts, max_attempts, rerun,
      created_at, updated_at)
    VALUES (:type, :payload, 'queued', :priority, :dedupeKey, COALESCE(:runAt, ${now}), 0, :maxAttempts, 0,
      ${now}, ${now})
    ON CONFLICT DO NOTHING RETURNING *`;
  if (dialect === 'sqlite') return insert;
  return `WITH ins AS (${insert}) SELECT ins.*, pg_notify('${NOTIFY_CHANNEL}', ins.type) AS notified FROM ins`;
}

// A trigger that meets an unfinished job with the same key: a queued job takes the higher priority and earlier
// runAt; a running job is flagged to run once more after it finishes, so a change made while it ran is not missed.
function coalesceSql(dialect: Dialect): string {
  const now = nowMs(dialect);
  return `UPDATE job SET
      rerun = CASE WHEN status = 'running' THEN 1 ELSE rerun END,
      priority = ${greatest(dialect, 'priority', ':priority')},
      run_at = CASE WHEN status = 'queued' THEN ${least(dialect, 'run_at', `COALESCE(:runAt, ${now})`)} ELSE run_at END,
      updated_at = ${now}
    WHERE dedupe_key = :dedupeKey AND status IN ('queued', 'running')
    RETURNING *`;
}

/**
 * Enqueues a job inside the caller's transaction (transactional outbox); with a dedupeKey an unfinished job with the
 * same key absorbs the trigger. Returns the job and whether a new row was written.
 */
export async function enqueue<P>(manager: EntityManager, spec: EnqueueSpec<P>): Promise<EnqueueResult<P>> {
  const s = normaliseSpec(spec);
  const dialect = dialectOf(manager.connection);
  const params = { ...s };
  // The unfinished job with our key can finish between the INSERT and the UPDATE; a few rounds always settle it.
  for (let round = 0; round < 5; round++) {
    const [inserted] = await query<JobRow>(manager, dialect, insertSql(dialect), params);
    if (inserted) {
      const job = rowToJob(inserted) as Job<P>;
      afterCommit(manager, job);
      return { job, created: true };
    }
    if (s.dedupeKey === null) throw new Error(`enqueue: insert of a ${s.type} job returned no row`);
    const [existing] = await query<JobRow>(manager, dialect, coalesceSql(dialect), params);
    if (existing) {
      const job = rowToJob(existing) as Job<P>;
      afterCommit(manager, job);
      return { job, created: false };
    }
  }
  throw new Error(`enqueue: could not settle dedupe key "${s.dedupeKey}" (it keeps finishing and reappearing)`);
}
