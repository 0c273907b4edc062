// Admin API for operators (not FHIR): the job dead letter, retrying one job, requeueing every failed job of a type.
// JSON in and out; errors are OperationOutcome like the FHIR endpoint. Job status itself is readable as FHIR Tasks.
import express from 'express';
import type { Request, Response } from 'express';
import { toOutcomeError } from '../fhir/outcomes.js';
import { getJob, listDeadLetters, requeueFailed, retryJob } from '../jobs/admin.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Job } from '../jobs/types.js';

type Handler = (req: Request) => Promise<unknown>;

function route(handler: Handler): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    try {
      res.json(await handler(req));
    } catch (err) {
      const e = toOutcomeError(err);
      res.status(e.status).type('application/fhir+json').send(JSON.stringify(e.outcome));
    }
  };
}

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
// The app keeps query strings raw (FHIR parses its own), so read parameters from the URL.
const params = (req: Request): URLSearchParams => new URL(req.originalUrl, 'http://local').searchParams;

/** Routes under /admin/jobs. */
export function jobsAdminRouter(queue: JobQueue): express.Router {
  const r = express.Router();
  r.get(
    '/dead-letter',
    route(async (req) => {
      const q = params(req);
      const type = q.get('type') ?? undefined;
      const jobs = await listDeadLetters(queue, { type, limit: int(q.get('limit')), offset: int(q.get('offset')) });
      return { jobs: jobs.map(view) };
    }),
  );
  r.get(
    '/:id',
    route(async (req) => view(await getJob(queue, String(req.params.id)))),
  );
  r.post(
    '/:id/retry',
    route(async (req) => view(await retryJob(queue, String(req.params.id)))),
  );
  r.post(
    '/requeue',
    route(async (req) => {
      const type = params(req).get('type') ?? '';
      return { jobs: (await requeueFailed(queue, type)).map(view) };
    }),
  );
  return r;
}
