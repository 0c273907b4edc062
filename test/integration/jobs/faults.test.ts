// Fault tests with real processes (node --import tsx test/support/jobs-*.ts): kill -9 mid-job and lease takeover,
// kill -9 around the outbox commit, SIGTERM graceful shutdown, no double runs and a cluster limit across processes.
// On PostgreSQL and on SQLite (several processes on one WAL database file).
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { databaseKinds } from '../../support/databases.js';
import type { TestDatabase } from '../../support/databases.js';
import { openJobsDb } from '../../support/jobs-db.js';
import type { WorkerProcess } from '../../support/jobs-process.js';
import { runScript, startScript, waitFor } from '../../support/jobs-process.js';
import { JobQueue } from '../../../src/jobs/queue.js';
import { enqueue } from '../../../src/jobs/enqueue.js';
import { query } from '../../../src/jobs/sql.js';
import type { Job } from '../../../src/jobs/types.js';

const WORKER = 'test/support/jobs-worker.ts';
const EMBEDDED = 'test/support/jobs-embedded.ts';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface EffectRow {
  job_id: string;
  runs: number;
  worker: string;
}
interface RunRow {
  job_id: string;
  worker: string;
  started_ms: number | string;
  ended_ms: number | string | null;
}

for (const { kind, make } of databaseKinds) {
  describe(`job faults on ${kind}`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let queue: JobQueue;
    let children: WorkerProcess[] = [];

    const rows = <T>(text: string): Promise<T[]> => queue.run((m) => query<T>(m, queue.dialect, text));
    const worker = async (env: Record<string, string>): Promise<WorkerProcess> => {
      const w = await startScript(WORKER, { DATABASE_URL: db.url, POLL_MS: '100', ...env });
      children.push(w);
      return w;
    };
    const allDone = (n: number, ms = 60_000): Promise<Job[]> =>
      waitFor(
        `${n} jobs completed`,
        async () => {
          const jobs = await queue.jobs("SELECT * FROM job WHERE status = 'completed'");
          return jobs.length === n ? jobs : undefined;
        },
        ms,
      );

    beforeEach(async () => {
      db = await make();
      ds = await openJobsDb(db.url);
      queue = new JobQueue(ds);
    });
    afterEach(async () => {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      await Promise.all(children.map((c) => c.exited));
      children = [];
      queue.close();
      await ds.destroy();
      await db.drop();
    });

    it('kill -9 of a worker mid-job: another worker completes it after the lease expires, one effect row', async () => {
      const { job } = await queue.enqueue({ type: 'test.effect', payload: { firstMs: 60_000 } });
      const a = await worker({ WORKER_ID: 'A', LEASE_MS: '2500' });
      await waitFor('A to run the job', async () => ((await queue.get(job.id))?.lockedBy === 'A' ? true : undefined));
      await waitFor('the effect of the first run', async () =>
        (await rows<EffectRow>('SELECT * FROM job_effect')).length === 1 ? true : undefined,
      );
      await worker({ WORKER_ID: 'B', LEASE_MS: '2500' });
      await sleep(3000); // longer than the lease: A's heartbeats keep the job from B
      assert.equal((await queue.get(job.id))?.lockedBy, 'A');
      a.child.kill('SIGKILL');
      assert.equal((await a.exited).signal, 'SIGKILL');
      const [done] = await allDone(1, 15_000);
      assert.equal(done!.attempts, 2);
      assert.equal(done!.lastError, undefined);
      const effects = await rows<EffectRow>('SELECT * FROM job_effect');
      assert.equal(effects.length, 1, 'exactly one visible effect');
      assert.equal(Number(effects[0]!.runs), 2, 'the handler ran twice (at least once), idempotently');
      assert.equal(effects[0]!.worker, 'B');
    });

    it('kill -9 of an embedded process after commit, before the job ran: on restart the job runs', async () => {
      const crash = await runScript(EMBEDDED, { DATABASE_URL: db.url }, ['after-commit']);
      assert.equal(crash.signal, 'SIGKILL', crash.stderr);
      const [resource] = await rows<{ id: string }>('SELECT id FROM outbox_resource');
      assert.equal(resource?.id, 'r1');
      const [pending] = await queue.jobs('SELECT * FROM job');
      assert.equal(pending?.status, 'queued');
      assert.equal(pending?.attempts, 0, 'the job had not started');
      assert.equal((await rows<EffectRow>('SELECT * FROM job_effect')).length, 0);
      await worker({}); // the restarted process resumes the queue
      const [done] = await allDone(1, 15_000);
      assert.equal(done!.id, pending!.id);
      assert.equal((await rows<EffectRow>('SELECT * FROM job_effect')).length, 1);
    });

    it('kill -9 inside the outbox transaction: neither the resource nor the job exists', async () => {
      const crash = await runScript(EMBEDDED, { DATABASE_URL: db.url }, ['before-commit']);
      assert.equal(crash.signal, 'SIGKILL', crash.stderr);
      assert.equal((await rows('SELECT id FROM outbox_resource')).length, 0);
      assert.equal((await queue.jobs('SELECT * FROM job')).length, 0);
    });

    it('two worker processes never run the same job', async () => {
      const n = 120;
      await Promise.all([worker({ CONCURRENCY: '4' }), worker({ CONCURRENCY: '4' })]);
      await queue.transaction(async (m) => {
        for (let i = 0; i < n; i++) await enqueue(m, { type: 'test.log', payload: { ms: 5 } });
      });
      await allDone(n);
      const runs = await rows<RunRow>('SELECT * FROM job_run_log');
      assert.equal(runs.length, n, 'one run per job');
      assert.equal(new Set(runs.map((r) => r.job_id)).size, n);
      assert.equal(new Set(runs.map((r) => r.worker)).size, 2, 'both processes took part');
    });

    it('a cluster limit of 1 holds across two worker processes', async () => {
      const n = 6;
      await queue.transaction(async (m) => {
        for (let i = 0; i < n; i++) await enqueue(m, { type: 'test.log', payload: { ms: 150 } });
      });
      const env = { CONCURRENCY: '3', JOB_LIMITS: 'test.log=/1' };
      await Promise.all([worker(env), worker(env)]);
      await allDone(n);
      const runs = (await rows<RunRow>('SELECT * FROM job_run_log')).map((r) => ({
        start: Number(r.started_ms),
        end: Number(r.ended_ms),
      }));
      runs.sort((x, y) => x.start - y.start);
      for (let i = 1; i < runs.length; i++) {
        assert.ok(runs[i]!.start >= runs[i - 1]!.end, `run ${i} started before run ${i - 1} ended`);
      }
    });

    it(
      'a worker rides out the database dropping its connections and finishes every job',
      { skip: kind === 'sqlite' && 'PostgreSQL only' },
      async () => {
        const n = 150;
        await queue.transaction(async (m) => {
          for (let i = 0; i < n; i++) await enqueue(m, { type: 'test.log', payload: { ms: 5 } });
        });
        await worker({ CONCURRENCY: '4' });
        await waitFor('some progress', async () => {
          const done = await queue.jobs("SELECT * FROM job WHERE status = 'completed'");
          return done.length >= 20 ? true : undefined;
        });
        for (let i = 0; i < 3; i++) {
          // Terminates every other session on this database: the worker's pool and its LISTEN connection.
          await rows(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          ).catch(() => undefined);
          await sleep(300);
        }
        await waitFor(
          `${n} jobs completed`,
          async () => {
            const done = await queue.jobs("SELECT * FROM job WHERE status = 'completed'").catch(() => []);
            return done.length === n ? true : undefined;
          },
          60_000,
        ).catch(async (err: Error) => {
          // Where the jobs stand tells a stuck worker (leased, running) from one that never saw them (queued).
          const byStatus = await rows<{ status: string; n: string }>(
            'SELECT status, COUNT(*) AS n FROM job GROUP BY status',
          );
          const logs = children.map((c) => c.stderr().split('\n').slice(-15).join('\n')).join('\n---\n');
          throw new Error(`${err.message}; jobs by status: ${JSON.stringify(byStatus)}; worker log:\n${logs}`, {
            cause: err,
          });
        });
        const runs = await rows<RunRow>('SELECT * FROM job_run_log');
        assert.equal(new Set(runs.map((r) => r.job_id)).size, n, 'every job ran');
      },
    );

    it(
      'a worker process starts a job committed by another process without waiting for its poll (NOTIFY)',
      { skip: kind === 'sqlite' && 'SQLite worker processes poll; embedded mode wakes in-process' },
      async () => {
        await worker({ POLL_MS: '60000' });
        await sleep(1000); // start-up claim and listener connect are over; only a notification can wake the worker now
        const { job } = await queue.enqueue({ type: 'diagnostic.noop', payload: {} });
        const [done] = await allDone(1, 5000);
        assert.equal(done!.id, job.id);
        assert.ok(done!.startedAt!.getTime() - done!.createdAt.getTime() < 2000);
      },
    );

    it('SIGTERM: the worker finishes short jobs, releases long ones, claims nothing more and exits 0', async () => {
      const short = await queue.enqueue({ type: 'diagnostic.sleep', payload: { ms: 400 } });
      const long = await queue.enqueue({ type: 'diagnostic.sleep', payload: { ms: 60_000 } });
      const w = await worker({ CONCURRENCY: '2', STOP_TIMEOUT_MS: '1500' });
      await waitFor('both running', async () => {
        const running = await queue.jobs("SELECT * FROM job WHERE status = 'running'");
        return running.length === 2 ? true : undefined;
      });
      const waiting = await queue.enqueue({ type: 'diagnostic.noop', payload: {} });
      const t0 = Date.now();
      w.child.kill('SIGTERM');
      const exit = await w.exited;
      assert.equal(exit.code, 0);
      assert.ok(Date.now() - t0 < 5000, 'exited within the stop timeout');
      assert.deepEqual(w.lines.at(-1), { stopped: { finished: 1, released: 1 } });
      assert.equal((await queue.get(short.job.id))?.status, 'completed');
      const released = (await queue.get(long.job.id))!;
      assert.equal(released.status, 'queued');
      assert.equal(released.attempts, 0);
      assert.equal((await queue.get(waiting.job.id))?.status, 'queued');
    });
  });
}
