// A worker process for the job fault tests and the benchmark: `node --import tsx test/support/jobs-worker.ts`.
// Env: DATABASE_URL, CONCURRENCY (1), LEASE_MS (30000), POLL_MS (200), JOB_LIMITS, STOP_TIMEOUT_MS (10000),
// WORKER_ID. Prints {"ready":<workerId>} when started; on SIGTERM stops gracefully, prints {"stopped":...}, exits 0.
import { JobQueue } from '../../src/jobs/queue.js';
import { Worker } from '../../src/jobs/worker.js';
import { parseTypeLimits } from '../../src/jobs/limits.js';
import { diagnosticHandlers } from '../../src/jobs/diagnostics.js';
import { openJobsDb } from './jobs-db.js';
import { testHandlers } from './jobs-handlers.js';
import { createLogger } from '../../src/log.js';

const env = process.env;
const ds = await openJobsDb(env.DATABASE_URL ?? '');
const queue = new JobQueue(ds);
const worker = new Worker(queue, {
  handlers: { ...diagnosticHandlers, ...testHandlers(queue) },
  concurrency: Number(env.CONCURRENCY ?? 1),
  leaseMs: Number(env.LEASE_MS ?? 30_000),
  pollMs: Number(env.POLL_MS ?? 200),
  limits: parseTypeLimits(env.JOB_LIMITS),
  backoff: { baseMs: 50, maxMs: 200 },
  // Warnings go to stderr, which a failing fault test quotes (what the worker saw of the database).
  logger: createLogger('warn'),
  ...(env.WORKER_ID ? { workerId: env.WORKER_ID } : {}),
});
process.on('SIGTERM', () => {
  void (async () => {
    const result = await worker.stop(Number(env.STOP_TIMEOUT_MS ?? 10_000));
    process.stdout.write(JSON.stringify({ stopped: result }) + '\n');
    queue.close();
    await ds.destroy();
    process.exit(0);
  })();
});
worker.start();
process.stdout.write(JSON.stringify({ ready: worker.id }) + '\n');
