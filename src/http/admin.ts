// Admin API for operators (not FHIR): the job dead letter, retrying one job, requeueing every failed job of a type.
// JSON in and out; errors are OperationOutcome like the FHIR endpoint. Job status itself is readable as FHIR Tasks.
import express from 'express';
import { getJob, listDeadLetters, requeueFailed, retryJob } from '../jobs/admin.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Job } from '../jobs/types.js';
import { jsonRoute } from './json-route.js';

/** The job as operators see it (no payload beyond its focus: payloads may carry identifiers). */
function view(job: Job): Record<string, unknown> {
  const focus = (job.payload as { focus?: unknown } | null)?.focus;
  return {
    id: job.id,
    type: job.type,
    status: job.status,
    priority: job.priority,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    focus: typeof focus === 'string' ? focus : undefined,
    lastError: job.lastError,
    task: `Task/job-${job.id}`,
    createdAt: job.createdAt.toISOString(),
    finishedAt: job.finishedAt?.toISOString(),
  };
}

const int = (v: string | null): number | undefined => (v !== null && v !== '' ? Number(v) : undefined);

/** Routes under /admin/jobs. */
export function jobsAdminRouter(queue: JobQueue): express.Router {
  const r = express.Router();
  r.get(
    '/dead-letter',
    jsonRoute(async (req, q) => {
      const type = q.get('type') ?? undefined;
      const jobs = await listDeadLetters(queue, { type, limit: int(q.get('limit')), offset: int(q.get('offset')) });
      return { jobs: jobs.map(view) };
    }),
  );
  r.get(
    '/:id',
    jsonRoute(async (req) => view(await getJob(queue, String(req.params.id)))),
  );
  r.post(
    '/:id/retry',
    jsonRoute(async (req) => view(await retryJob(queue, String(req.params.id)))),
  );
  r.post(
    '/requeue',
    jsonRoute(async (req, q) => {
      const type = q.get('type') ?? '';
      return { jobs: (await requeueFailed(queue, type)).map(view) };
    }),
  );
  return r;
}
