// Mirrors every committed job transition as a FHIR Task (jobs/task.ts jobToTask), so an EHR can see why a study has
// no findings yet. The Task id derives from the job id: re-mirroring updates the same Task. Two processes may deliver
// one job's transitions in either order, so an older transition never overwrites a newer Task (lastModified).
// Transitions that piled up while the previous batch was written go together: only each job's latest is written,
// all in one transaction, so a backlog under load costs one commit instead of one per transition.
// What was written is marked on the job (jobs/task-sync.ts); a transition left unwritten (the process died between the
// job's commit and the Task's, or the write failed) is written by the sweep in any process, so the last transition of
// a job (completed, dead) cannot stay unmirrored: no later transition would repair it.
import type { Task } from 'fhir/r4.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import { readIfPresent, type Repository } from '../fhir/repository.js';
import { jobToTask } from '../jobs/task.js';
import { parseSearchRequest } from '../fhir/search/parse.js';
import type { JobQueue } from '../jobs/queue.js';
import { jobsWithStaleTasks, markTasksSynced } from '../jobs/task-sync.js';
import type { Job, TransitionBatchListener } from '../jobs/types.js';
import type { Logger } from '../log.js';

const current = (repo: Repository, id: string): Promise<Task | undefined> => readIfPresent<Task>(repo, 'Task', id);

const isConflict = (err: unknown): boolean =>
  err instanceof OperationOutcomeError && (err.status === 409 || err.status === 412);

const newer = (stored: Task | undefined, task: Task): boolean =>
  !!stored?.lastModified && !!task.lastModified && stored.lastModified > task.lastModified;

/** Writes the job's Task unless a newer transition is already stored; conflicts are retried once. */
export async function mirrorJob(repo: Repository, job: Job): Promise<void> {
  const task = jobToTask(job);
  for (let attempt = 0; attempt < 2; attempt++) {
    const stored = await current(repo, task.id!);
    if (newer(stored, task)) return;
    try {
      await repo.update(task, stored ? { ifMatch: stored.meta?.versionId } : {});
      return;
    } catch (err) {
      if (!isConflict(err) || attempt === 1) throw err;
    }
  }
}

/** Tasks written per transaction. */
const CHUNK = 200;

/** Writes the Tasks of several jobs in one transaction: the stored ones read in one search, older ones skipped. */
async function mirrorChunk(repo: Repository, tasks: Task[]): Promise<void> {
  await repo.transaction(async (tx) => {
    const query = new URLSearchParams({ _id: tasks.map((t) => t.id!).join(','), _count: String(tasks.length) });
    const request = parseSearchRequest('Task', query, { strict: true, defaultCount: CHUNK, maxCount: CHUNK });
    const stored = new Map((await tx.search<Task>(request)).resources.map((t) => [t.id!, t]));
    for (const task of tasks) {
      const current = stored.get(task.id!);
      if (!newer(current, task)) await tx.update(task, current ? { current } : { absent: true });
    }
  });
}

/**
 * Writes the latest transition of each job; a chunk that meets a concurrent writer is redone job by job. `written` gets
 * each chunk once its Tasks are committed (or found superseded by a newer Task); a failure throws.
 */
export async function mirrorJobs(
  repo: Repository,
  jobs: Job[],
  written?: (jobs: Job[]) => Promise<void>,
): Promise<void> {
  const latest = new Map<string, Job>();
  for (const job of jobs) latest.set(job.id, job);
  const pending = [...latest.values()];
  for (let i = 0; i < pending.length; i += CHUNK) {
    const chunk = pending.slice(i, i + CHUNK);
    try {
      await mirrorChunk(repo, chunk.map(jobToTask));
    } catch (err) {
      if (!isConflict(err)) throw err;
      for (const job of chunk) await mirrorJob(repo, job);
    }
    await written?.(chunk);
  }
}

/**
 * The transition listener writing the jobs' Tasks and marking them written on the jobs; a failure is logged and left
 * to the sweep (taskMirrorSweep).
 */
export function taskMirror(repo: Repository, logger: Logger, queue: () => JobQueue): TransitionBatchListener {
  return async (jobs: Job[]) => {
    try {
      await mirrorJobs(repo, jobs, (chunk) => markTasksSynced(queue(), chunk));
    } catch (err) {
      logger.warn('task mirror failed', { jobs: jobs.length, error: (err as Error).message });
    }
  };
}

/** Jobs the sweep mirrors per pass; a full pass is followed at once by another. */
const SWEEP_BATCH = 200;

/**
 * Every `afterMs / 2`, writes the Tasks of transitions that are at least `afterMs` old and still unmirrored (the grace
 * leaves them to the process that committed them). Returns the stop function, which waits for a pass under way.
 */
export function taskMirrorSweep(
  queue: JobQueue,
  repo: Repository,
  logger: Logger,
  afterMs: number,
): () => Promise<void> {
  let stopped = false;
  let pass: Promise<void> | undefined;
  // A Task that cannot be written (whatever the reason) must not hold back the others of its pass: it is logged and
  // stays stale, to be tried again on the next pass.
  const oneByOne = async (jobs: Job[]): Promise<void> => {
    const failed: string[] = [];
    let error = '';
    for (const job of jobs) {
      try {
        await mirrorJob(repo, job);
        await markTasksSynced(queue, [job]);
      } catch (err) {
        failed.push(job.id);
        error ||= (err as Error).message;
      }
    }
    if (failed.length > 0)
      logger.warn('task mirror sweep: Tasks not written', { jobs: failed.length, ids: failed.slice(0, 10), error });
  };
  const sweep = async (): Promise<void> => {
    try {
      for (let full = true; full && !stopped;) {
        const stale = await jobsWithStaleTasks(queue, afterMs, SWEEP_BATCH);
        if (stale.length === 0) return;
        await mirrorJobs(repo, stale, (chunk) => markTasksSynced(queue, chunk)).catch(() => oneByOne(stale));
        logger.info('task mirror: wrote Tasks of transitions left unmirrored', {
          jobs: stale.length,
          ids: stale.slice(0, 10).map((j) => j.id),
        });
        full = stale.length === SWEEP_BATCH;
      }
    } catch (err) {
      logger.warn('task mirror sweep failed', { error: (err as Error).message });
    }
  };
  // A pass still running when the next tick comes (a backlog) is not joined by a second one.
  const timer = setInterval(
    () => {
      pass ??= sweep().finally(() => (pass = undefined));
    },
    Math.max(100, afterMs / 2),
  );
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await pass;
  };
}
