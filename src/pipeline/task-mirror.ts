// Mirrors every committed job transition as a FHIR Task (jobs/task.ts jobToTask), so an EHR can see why a study has
// no findings yet. The Task id derives from the job id: re-mirroring updates the same Task. Two processes may deliver
// one job's transitions in either order, so an older transition never overwrites a newer Task (lastModified).
// Transitions that piled up while the previous batch was written go together: only each job's latest is written,
// all in one transaction, so a backlog under load costs one commit instead of one per transition.
import type { Task } from 'fhir/r4.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import { readIfPresent, type Repository } from '../fhir/repository.js';
import { jobToTask } from '../jobs/task.js';
import { parseSearchRequest } from '../fhir/search/parse.js';
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

/** Writes the latest transition of each job; a chunk that meets a concurrent writer is redone job by job. */
export async function mirrorJobs(repo: Repository, jobs: Job[]): Promise<void> {
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
  }
}

/** The transition listener writing the jobs' Tasks; a failure is logged (the next transition writes it again). */
export function taskMirror(repo: Repository, logger: Logger): TransitionBatchListener {
  return async (jobs: Job[]) => {
    try {
      await mirrorJobs(repo, jobs);
    } catch (err) {
      logger.warn('task mirror failed', { jobs: jobs.length, error: (err as Error).message });
    }
  };
}
