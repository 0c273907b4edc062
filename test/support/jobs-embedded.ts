// An embedded-mode process (API + in-process worker on one DataSource) that crashes on purpose, for the outbox
// fault tests: `node --import tsx test/support/jobs-embedded.ts <mode>` with DATABASE_URL.
//   after-commit   writes a resource row and enqueues test.effect in one transaction, commits, then kill -9s itself
//                  before the worker (already started) can claim the job
//   before-commit  the same, but kill -9s itself inside the transaction, after both writes
import { JobQueue } from '../../src/jobs/queue.js';
import { Worker } from '../../src/jobs/worker.js';
import { enqueue } from '../../src/jobs/enqueue.js';
import { query } from '../../src/jobs/sql.js';
import { openJobsDb } from './jobs-db.js';
import { testHandlers } from './jobs-handlers.js';

const mode = process.argv[2];
if (mode !== 'after-commit' && mode !== 'before-commit') throw new Error('mode must be after-commit or before-commit');
const ds = await openJobsDb(process.env.DATABASE_URL ?? '');
const queue = new JobQueue(ds);
const worker = new Worker(queue, { handlers: testHandlers(queue), pollMs: 60_000 });
worker.start();
await new Promise((r) => setTimeout(r, 200)); // the worker's first (empty) claim is done
await queue.transaction(async (m) => {
  await query(m, queue.dialect, 'INSERT INTO outbox_resource (id) VALUES (:id)', { id: 'r1' });
  await enqueue(m, { type: 'test.effect', payload: { focus: 'DiagnosticReport/r1' } });
  if (mode === 'before-commit') process.kill(process.pid, 'SIGKILL');
});
// Committed; the worker's wake-up is queued behind this continuation, so it never runs.
process.kill(process.pid, 'SIGKILL');
