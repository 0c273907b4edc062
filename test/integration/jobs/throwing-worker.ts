// A worker process whose handlers fail in unusual ways, for handler-faults.test.ts:
// `node --import tsx test/integration/jobs/throwing-worker.ts` with DATABASE_URL. Prints {"ready":<id>}.
//   test.throw   throws the non-Error value payload.kind names
//   test.bigint  returns a result that is not JSON (a BigInt)
//   diagnostic.* as in jobs/diagnostics.ts (a long sleep shows that other runs in the process survive)
import { JobQueue } from '../../../src/jobs/queue.js';
import { Worker } from '../../../src/jobs/worker.js';
import { diagnosticHandlers } from '../../../src/jobs/diagnostics.js';
import type { Job, JobResult } from '../../../src/jobs/types.js';
import { createLogger } from '../../../src/log.js';
import { openJobsDb } from '../../support/jobs-db.js';

const thrown: Record<string, () => unknown> = {
  'null-prototype': () => Object.create(null),
  'throwing-tostring': () => ({
    toString(): string {
      throw new Error('toString');
    },
  }),
  'plain-object': () => ({ message: 'RIS unreachable', code: 'E_RIS' }),
  undefined: () => undefined,
};

const ds = await openJobsDb(process.env.DATABASE_URL ?? '');
const queue = new JobQueue(ds);
const worker = new Worker(queue, {
  handlers: {
    ...diagnosticHandlers,
    'test.throw': async (job: Job): Promise<JobResult> => {
      throw thrown[(job.payload as { kind: string }).kind]!();
    },
    'test.bigint': async (): Promise<JobResult> => ({ data: { n: 1n } }),
  },
  concurrency: 4,
  pollMs: 100,
  backoff: { baseMs: 20, maxMs: 50 },
  logger: createLogger('error'),
});
worker.start();
process.stdout.write(JSON.stringify({ ready: worker.id }) + '\n');
