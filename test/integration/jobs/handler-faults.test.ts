// Handlers that fail in unusual ways, run by a real worker process: a thrown value that is not an Error (even one
// that String() cannot convert) and a result that cannot be stored must end the job with a readable reason on the
// job and its Task, and must not take the worker process (and every other run in it) down.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { openJobsDb } from '../../support/jobs-db.js';
import { startScript, waitFor, type WorkerProcess } from '../../support/jobs-process.js';
import { listDeadLetters } from '../../../src/jobs/admin.js';
import { JobQueue } from '../../../src/jobs/queue.js';
import { jobToTask } from '../../../src/jobs/task.js';
import type { Job } from '../../../src/jobs/types.js';

const KINDS = ['null-prototype', 'throwing-tostring', 'plain-object', 'undefined'];

for (const { kind, make } of databaseKinds) {
  describe(`handler faults in a worker process (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let queue: JobQueue;
    let worker: WorkerProcess;
    before(async () => {
      db = await make();
      ds = await openJobsDb(db.url);
      queue = new JobQueue(ds);
      worker = await startScript('test/integration/jobs/throwing-worker.ts', { DATABASE_URL: db.url });
    });
    after(async () => {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await worker.exited;
      queue.close();
      await ds.destroy();
      await db.drop();
    });

    it('a thrown non-Error value is retried, then dead-lettered with a readable reason; the process lives on', async () => {
      const bystander = await queue.enqueue({ type: 'diagnostic.sleep', payload: { ms: 1500 } });
      const jobs: Job[] = [];
      for (const k of KINDS)
        jobs.push((await queue.enqueue({ type: 'test.throw', payload: { kind: k }, maxAttempts: 2 })).job);
      const dead = await waitFor(
        'every test.throw job dead',
        async () => {
          const all = await Promise.all(jobs.map((j) => queue.get(j.id)));
          return all.every((j) => j?.status === 'dead') ? all.map((j) => j!) : undefined;
        },
        10_000,
      ).catch((err: Error) => {
        throw new Error(
          `${err.message}; worker exit ${worker.child.exitCode ?? worker.child.signalCode}: ${worker.stderr()}`,
        );
      });
      assert.deepEqual(
        dead.map((j) => [j.attempts, j.lastError]),
        [
          [2, 'non-Error object thrown'],
          [2, 'non-Error object thrown'],
          [2, 'non-Error thrown: RIS unreachable'],
          [2, 'non-Error value thrown: undefined'],
        ],
      );
      assert.equal(jobToTask(dead[2]!).statusReason?.text, 'non-Error thrown: RIS unreachable');
      const letters = await listDeadLetters(queue, { type: 'test.throw' });
      assert.equal(letters.length, KINDS.length);
      await waitFor('the bystander run to complete', async () =>
        (await queue.get(bystander.job.id))?.status === 'completed' ? true : undefined,
      );
      assert.equal(worker.child.exitCode, null, `the worker process exited: ${worker.stderr()}`);
    });

    it('a result that is not JSON fails the job at once with the reason', async () => {
      const { job } = await queue.enqueue({ type: 'test.bigint', payload: {} });
      const failed = await waitFor(
        'the job to fail',
        async () => {
          const j = await queue.get(job.id);
          return j?.status === 'failed' || j?.status === 'dead' ? j : undefined;
        },
        5000,
      );
      assert.equal(failed.status, 'failed');
      assert.equal(failed.attempts, 1);
      assert.match(
        failed.lastError ?? '',
        /^PermanentJobError: the handler's result is not JSON \(TypeError: .*BigInt/,
      );
    });
  });
}
