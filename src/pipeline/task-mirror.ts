// Mirrors every committed job transition as a FHIR Task (jobs/task.ts jobToTask), so an EHR can see why a study has
// no findings yet. The Task id derives from the job id: re-mirroring updates the same Task. Two processes may deliver
// one job's transitions in either order, so an older transition never overwrites a newer Task (lastModified).
import type { Task } from 'fhir/r4.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import type { Repository } from '../fhir/repository.js';
import { jobToTask } from '../jobs/task.js';
import type { Job, TransitionListener } from '../jobs/types.js';
import type { Logger } from '../log.js';

async function current(repo: Repository, id: string): Promise<Task | undefined> {
  try {
    return await repo.read<Task>('Task', id);
  } catch (err) {
    if (err instanceof OperationOutcomeError && (err.status === 404 || err.status === 410)) return undefined;
    throw err;
  }
}

/** Writes the job's Task unless a newer transition is already stored; conflicts are retried once. */
export async function mirrorJob(repo: Repository, job: Job): Promise<void> {
  const task = jobToTask(job);
  for (let attempt = 0; attempt < 2; attempt++) {
    const stored = await current(repo, task.id!);
    if (stored?.lastModified && task.lastModified && stored.lastModified > task.lastModified) return;
    try {
      await repo.update(task, stored ? { ifMatch: stored.meta?.versionId } : {});
      return;
    } catch (err) {
      const conflict = err instanceof OperationOutcomeError && (err.status === 409 || err.status === 412);
      if (!conflict || attempt === 1) throw err;
    }
  }
}

/** A transition listener writing the job's Task; a failure is logged (the next transition writes it again). */
export function taskMirror(repo: Repository, logger: Logger): TransitionListener {
  return async (job: Job) => {
    try {
      await mirrorJob(repo, job);
    } catch (err) {
      logger.warn('task mirror failed', { jobId: job.id, error: (err as Error).message });
    }
  };
}
