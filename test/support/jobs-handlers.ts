// Handlers used by the job fault tests (in-process and in child processes). Each writes through the queue's
// connection lock so it is safe on SQLite's shared connection.
//   test.effect  upserts one job_effect row keyed by job id (runs counts executions), then sleeps payload.firstMs on
//                attempt 1 only: a retried job finishes at once.
//   test.log     logs start/end times per run in job_run_log, sleeping payload.ms between (overlap checks).
//   test.fail    always throws "boom <payload.tag>".
import type { JobQueue } from '../../src/jobs/queue.js';
import { query } from '../../src/jobs/sql.js';
import type { HandlerRegistry, Job, JobContext, JobResult } from '../../src/jobs/types.js';
import { sleepUnlessAborted } from '../../src/jobs/diagnostics.js';

const num = (payload: unknown, key: string): number => {
  const v = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>)[key] : undefined;
  return typeof v === 'number' ? v : 0;
};

/** The fault-test handlers bound to a queue. */
export function testHandlers(queue: JobQueue): HandlerRegistry {
  const d = queue.dialect;
  return {
    'test.effect': async (job: Job, ctx: JobContext): Promise<JobResult> => {
      await queue.run((m) =>
        query(
          m,
          d,
          `INSERT INTO job_effect (job_id, runs, worker) VALUES (:id, 1, :worker)
           ON CONFLICT (job_id) DO UPDATE SET runs = job_effect.runs + 1, worker = excluded.worker`,
          { id: job.id, worker: ctx.workerId },
        ),
      );
      if (ctx.attempt === 1) await sleepUnlessAborted(num(job.payload, 'firstMs'), ctx.signal);
      return { output: [{ reference: `Observation/effect-${job.id}` }] };
    },
    'test.log': async (job: Job, ctx: JobContext): Promise<JobResult> => {
      const [row] = await queue.run((m) =>
        query<{ id: number | string }>(
          m,
          d,
          'INSERT INTO job_run_log (job_id, worker, started_ms) VALUES (:id, :worker, :t) RETURNING id',
          { id: job.id, worker: ctx.workerId, t: Date.now() },
        ),
      );
      await sleepUnlessAborted(num(job.payload, 'ms'), ctx.signal);
      await queue.run((m) =>
        query(m, d, 'UPDATE job_run_log SET ended_ms = :t WHERE id = :id', { t: Date.now(), id: Number(row!.id) }),
      );
      return {};
    },
    'test.fail': async (job: Job): Promise<JobResult> => {
      const tag = (job.payload as { tag?: unknown } | null)?.tag;
      throw new Error(`boom ${String(tag)}`);
    },
  };
}
