// jobToTask (pure): the FHIR R4 Task that mirrors a job, so an EHR can see why a study has no findings yet.
// Task: http://hl7.org/fhir/R4/task.html. The id and identifier are derived from the job id, so mirroring the same
// job again is an update of the same Task (PUT Task/<id> or conditional update on the identifier).
import type { CodeableConcept, Reference, Task } from 'fhir/r4.js';
import type { Job, JobStatus } from './types.js';
import { JOB_PRIORITY } from './types.js';

export const JOB_IDENTIFIER_SYSTEM = 'urn:ct-fhir:job';
export const JOB_TYPE_SYSTEM = 'urn:ct-fhir:job-type';
export const JOB_STATUS_SYSTEM = 'urn:ct-fhir:job-status';

const TASK_STATUS: Record<JobStatus, Task['status']> = {
  queued: 'requested',
  running: 'in-progress',
  completed: 'completed',
  failed: 'failed',
  dead: 'failed',
};

/** The Task id for a job (ids are [A-Za-z0-9-.]{1,64}). */
export function taskIdForJob(jobId: string): string {
  return `job-${jobId}`;
}

/** The job's finer state for Task.businessStatus. */
export function businessStatus(job: Job): { code: string; display: string } {
  switch (job.status) {
    case 'queued':
      if (job.attempts > 0)
        return { code: 'retry-scheduled', display: `Retry scheduled after attempt ${job.attempts}` };
      return { code: 'queued', display: 'Waiting for a worker' };
    case 'running':
      return { code: 'running', display: `Running, attempt ${job.attempts} of ${job.maxAttempts}` };
    case 'completed':
      return { code: 'completed', display: 'Completed' };
    case 'failed':
      return { code: 'failed', display: 'Failed; retrying cannot help' };
    case 'dead':
      return { code: 'dead-letter', display: `Gave up after ${job.attempts} attempts` };
  }
}

function taskPriority(priority: number): Task['priority'] {
  if (priority >= JOB_PRIORITY.stat) return 'stat';
  if (priority >= JOB_PRIORITY.asap) return 'asap';
  if (priority >= JOB_PRIORITY.urgent) return 'urgent';
  return 'routine';
}

const REFERENCE = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** The payload's `focus` ('Type/id' or a Reference with a relative 'Type/id'), if well-formed. */
export function focusOf(payload: unknown): Reference | undefined {
  if (typeof payload !== 'object' || payload === null || !('focus' in payload)) return undefined;
  const focus = (payload as { focus: unknown }).focus;
  if (typeof focus === 'string') return REFERENCE.test(focus) ? { reference: focus } : undefined;
  if (typeof focus === 'object' && focus !== null && 'reference' in focus) {
    const { reference, display } = focus as { reference: unknown; display?: unknown };
    if (typeof reference !== 'string' || !REFERENCE.test(reference)) return undefined;
    return typeof display === 'string' ? { reference, display } : { reference };
  }
  return undefined;
}

const iso = (d: Date | undefined): string | undefined => d?.toISOString();

/** The Task mirroring a job: status, businessStatus, statusReason (last error), focus, output, timing. */
export function jobToTask(job: Job): Task {
  const code: CodeableConcept = { coding: [{ system: JOB_TYPE_SYSTEM, code: job.type }], text: job.type };
  const bs = businessStatus(job);
  const task: Task = {
    resourceType: 'Task',
    id: taskIdForJob(job.id),
    identifier: [{ system: JOB_IDENTIFIER_SYSTEM, value: job.id }],
    status: TASK_STATUS[job.status],
    businessStatus: { coding: [{ system: JOB_STATUS_SYSTEM, code: bs.code, display: bs.display }], text: bs.display },
    intent: 'order',
    priority: taskPriority(job.priority),
    code,
    authoredOn: job.createdAt.toISOString(),
    lastModified: job.updatedAt.toISOString(),
  };
  if (job.lastError && job.status !== 'completed' && job.status !== 'running') {
    task.statusReason = { text: job.lastError };
  }
  const focus = focusOf(job.payload);
  if (focus) task.focus = focus;
  if (job.startedAt) {
    task.executionPeriod = { start: iso(job.startedAt) };
    if (job.finishedAt) task.executionPeriod.end = iso(job.finishedAt);
  }
  const outputs = job.status === 'completed' ? (job.result?.output ?? []) : [];
  const valid = outputs.filter((o) => typeof o?.reference === 'string' && REFERENCE.test(o.reference));
  if (valid.length > 0) {
    task.output = valid.map((o) => ({
      type: { text: 'produced' },
      valueReference: o.display ? { reference: o.reference, display: o.display } : { reference: o.reference },
    }));
  }
  if (job.status === 'completed' && job.result?.summary) task.note = [{ text: job.result.summary }];
  return task;
}
