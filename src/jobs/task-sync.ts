// Which job transitions have their Task written (job.task_synced_at, migration 2): the Task mirror marks what it
// wrote, and a sweep reads back the transitions it never wrote, so a crash between a job's commit and its Task's
// costs a delay, not a Task that shows "in-progress" forever for a job that completed.
import type { JobQueue } from './queue.js';
import { TASK_STALE, type JobRow } from './schema.js';
import { nowMs, query, rowToJob, type Params } from './sql.js';
import type { Job } from './types.js';

/** Records that the Tasks of these transitions are written; a job that moved on since stays stale. */
export async function markTasksSynced(queue: JobQueue, jobs: Job[]): Promise<void> {
  if (jobs.length === 0) return;
  const params: Params = {};
  const terms = jobs.map((job, i) => {
    params[`i${i}`] = Number(job.id);
    params[`u${i}`] = job.updatedAt.getTime();
    return `(id = :i${i} AND updated_at = :u${i})`;
  });
  await queue.run((m) =>
    query(m, queue.dialect, `UPDATE job SET task_synced_at = updated_at WHERE ${terms.join(' OR ')}`, params),
  );
}

/** Jobs whose latest transition, at least `olderThanMs` old, has no Task written; oldest first. */
export async function jobsWithStaleTasks(queue: JobQueue, olderThanMs: number, limit: number): Promise<Job[]> {
  const rows = await queue.run((m) =>
    query<JobRow>(
      m,
      queue.dialect,
      `SELECT * FROM job WHERE ${TASK_STALE} AND updated_at < ${nowMs(queue.dialect)} - :olderThan
       ORDER BY updated_at LIMIT :limit`,
      { olderThan: olderThanMs, limit },
    ),
  );
  return rows.map(rowToJob);
}
