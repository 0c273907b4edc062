// Mirrors every committed job transition as a FHIR Task (jobs/task.ts jobToTask), so an EHR can see why a study has
// no findings yet. The Task id derives from the job id: re-mirroring updates the same Task.
import type { Repository } from '../fhir/repository.js';
import { jobToTask } from '../jobs/task.js';
import type { Job, TransitionListener } from '../jobs/types.js';
import type { Logger } from '../log.js';

/** A transition listener writing the job's Task; a failure is logged and retried on the next transition. */
export function taskMirror(repo: Repository, logger: Logger): TransitionListener {
  return async (job: Job) => {
    try {
      await repo.update(jobToTask(job));
    } catch (err) {
      logger.warn('task mirror failed', { jobId: job.id, error: (err as Error).message });
    }
  };
}
