// `ct-fhir worker` as a real process: it runs queued diagnostic jobs and stops cleanly on SIGTERM.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { databaseKinds } from '../../support/databases.js';
import { openJobsDb } from '../../support/jobs-db.js';
import { waitFor } from '../../support/jobs-process.js';
import { JobQueue } from '../../../src/jobs/queue.js';

for (const { kind, make } of databaseKinds) {
  describe(`ct-fhir worker on ${kind}`, () => {
    it('runs queued jobs and exits 0 on SIGTERM', async () => {
      const db = await make();
      const ds = await openJobsDb(db.url);
      const queue = new JobQueue(ds);
      try {
        const noop = await queue.enqueue({ type: 'diagnostic.noop', payload: {} });
        const sleep = await queue.enqueue({ type: 'diagnostic.sleep', payload: { ms: 50 } });
        const child = spawn(process.execPath, ['bin/ct-fhir.js', 'worker', '--workers', '2', '--job-poll-ms', '100'], {
          env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
        const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
        for (const id of [noop.job.id, sleep.job.id]) {
          await waitFor(
            `job ${id}`,
            async () => ((await queue.get(id))?.status === 'completed' ? true : undefined),
            20_000,
          );
        }
        child.kill('SIGTERM');
        assert.equal(await exited, 0, stderr);
        assert.deepEqual((await queue.get(sleep.job.id))?.result, { data: { sleptMs: 50 } });
      } finally {
        queue.close();
        await ds.destroy();
        await db.drop();
      }
    });
  });
}
