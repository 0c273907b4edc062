// POST ImagingStudy/[id]/$classify: queues the study for classification now (e.g. after the PACS received more
// series, or after a model update) and answers 202 with the job's Task, which tells how it went.
import type { ImagingStudy, Task } from 'fhir/r4.js';
import type { OperationDef } from '../fhir/context.js';
import { badRequest } from '../fhir/outcomes.js';
import type { JobQueue } from '../jobs/queue.js';
import { jobToTask } from '../jobs/task.js';
import { JOB_PRIORITY } from '../jobs/types.js';
import { IMAGING_CLASSIFY } from './job-types.js';
import { isClassifiable } from './triggers.js';

/** The $classify operation over a queue. */
export function classifyOperation(queue: JobQueue): OperationDef {
  return {
    name: 'classify',
    types: ['ImagingStudy'],
    instance: true,
    definition: 'https://ct-fhir.example/fhir/OperationDefinition/ImagingStudy-classify',
    handler: async (_req, ctx, target) => {
      if (!target.id) throw badRequest('$classify runs on one ImagingStudy: POST ImagingStudy/[id]/$classify');
      const study = await ctx.repo.read<ImagingStudy>('ImagingStudy', target.id);
      if (!isClassifiable(study)) {
        throw badRequest(
          'ImagingStudy must be available and carry a urn:dicom:uid identifier to be classified',
          'ImagingStudy.status',
        );
      }
      const focus = `ImagingStudy/${study.id}`;
      const { job } = await queue.enqueue({
        type: IMAGING_CLASSIFY,
        payload: { focus },
        dedupeKey: `${IMAGING_CLASSIFY}:${focus}`,
        priority: JOB_PRIORITY.urgent,
      });
      const task: Task = jobToTask(job);
      return { status: 202, body: task };
    },
  };
}
