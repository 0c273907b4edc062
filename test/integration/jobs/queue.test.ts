// The job queue in one process, on SQLite and PostgreSQL: outbox enqueue, dedupe, ordering, wake-up after commit,
// transitions and their Task mirror, retries, dead letter, limits, admin operations, lease loss and graceful stop.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { databaseKinds } from '../../support/databases.js';
import type { TestDatabase } from '../../support/databases.js';
import { openJobsDb } from '../../support/jobs-db.js';
import { waitFor } from '../../support/jobs-process.js';
import { JobQueue } from '../../../src/jobs/queue.js';
import { Worker } from '../../../src/jobs/worker.js';
import type { WorkerOptions } from '../../../src/jobs/worker.js';
import { enqueue } from '../../../src/jobs/enqueue.js';
import { query } from '../../../src/jobs/sql.js';
import { withTransaction } from '../../../src/store/datasource.js';
import { heartbeat, reapExpired, releaseRuns } from '../../../src/jobs/lifecycle.js';
import { countJobs, listDeadLetters, purgeCompleted, requeueFailed, retryJob } from '../../../src/jobs/admin.js';
import { claimJobs } from '../../../src/jobs/claim.js';
import { jobToTask } from '../../../src/jobs/task.js';
import type { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import type { HandlerRegistry, Job, JobResult } from '../../../src/jobs/types.js';
import { PermanentJobError } from '../../../src/jobs/types.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A promise with its resolver, for handlers the test releases. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

for (const { kind, make } of databaseKinds) {
  describe(`job queue on ${kind}`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let queue: JobQueue;
    let workers: Worker[] = [];

    const startWorker = (handlers: HandlerRegistry, options: Partial<WorkerOptions> = {}): Worker => {
      const w = new Worker(queue, { handlers, pollMs: 100, backoff: { baseMs: 20, maxMs: 100 }, ...options });
      workers.push(w);
      w.start();
      return w;
    };
    const status = async (id: string): Promise<Job> => (await queue.get(id))!;
    const until = (id: string, s: Job['status'], ms = 10_000): Promise<Job> =>
      waitFor(`job ${id} ${s}`, async () => ((await status(id)).status === s ? status(id) : undefined), ms);
    const expireLease = (id: string): Promise<unknown> =>
      queue.run((m) => query(m, queue.dialect, 'UPDATE job SET locked_until = 0 WHERE id = :id', { id: Number(id) }));
    // Simulates a stall past the lease: expires it and reaps (a heartbeat landing between the two statements
    // legitimately renews the lease, so repeat until the reaper wins).
    const reapAfterStall = (id: string): Promise<Job[]> =>
      waitFor('the reaper to take the job', async () => {
        await expireLease(id);
        const jobs = await reapExpired(queue);
        return jobs.length > 0 ? jobs : undefined;
      });

    beforeEach(async () => {
      db = await make();
      ds = await openJobsDb(db.url);
      queue = new JobQueue(ds);
    });
    afterEach(async () => {
      for (const w of workers) await w.stop(500);
      workers = [];
      queue.close();
      await ds.destroy();
      await db.drop();
    });

    it('enqueue joins the caller transaction: a rollback leaves neither resource nor job', async () => {
      await assert.rejects(
        queue.transaction(async (m) => {
          await query(m, queue.dialect, "INSERT INTO outbox_resource (id) VALUES ('a')");
          await enqueue(m, { type: 'x.work', payload: { focus: 'DiagnosticReport/a' } });
          throw new Error('handler failed after both writes');
        }),
        /handler failed/,
      );
      await queue.transaction(async (m) => {
        await query(m, queue.dialect, "INSERT INTO outbox_resource (id) VALUES ('b')");
        await enqueue(m, { type: 'x.work', payload: { focus: 'DiagnosticReport/b' } });
      });
      const jobs = await queue.jobs('SELECT * FROM job');
      const resources = await queue.run((m) =>
        query<{ id: string }>(m, queue.dialect, 'SELECT id FROM outbox_resource'),
      );
      assert.deepEqual(
        resources.map((r) => r.id),
        ['b'],
      );
      assert.equal(jobs.length, 1);
      assert.deepEqual(jobs[0]!.payload, { focus: 'DiagnosticReport/b' });
      assert.equal(jobs[0]!.status, 'queued');
    });

    it('publishes enqueue transitions only after commit, and none for a rollback', async () => {
      const seen: string[] = [];
      queue.onTransition((j) => void seen.push(`${j.type}:${j.status}`));
      await queue.transaction(async (m) => {
        await enqueue(m, { type: 'x.kept', payload: {} });
        assert.deepEqual(seen, [], 'nothing is published inside the transaction');
      });
      await assert.rejects(
        queue.transaction(async (m) => {
          await enqueue(m, { type: 'x.dropped', payload: {} });
          throw new Error('rollback');
        }),
      );
      await queue.idle();
      assert.deepEqual(seen, ['x.kept:queued']);
    });

    it('a transaction that fails beside others sharing its commit publishes none of its jobs; they publish theirs', async () => {
      const seen: string[] = [];
      queue.onTransition((j) => void seen.push(j.type));
      // Submitted in one turn: on SQLite they share one group commit, each unit in its own savepoint.
      const outcomes = await Promise.allSettled([
        withTransaction(ds, (m) => enqueue(m, { type: 'x.kept-1', payload: {} })),
        withTransaction(ds, async (m) => {
          await enqueue(m, { type: 'x.dropped', payload: {} });
          throw new Error('a later entry of the Bundle failed');
        }),
        withTransaction(ds, (m) => enqueue(m, { type: 'x.kept-2', payload: {} })),
      ]);
      assert.deepEqual(
        outcomes.map((o) => o.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      await queue.idle();
      const stored = (await queue.jobs('SELECT * FROM job ORDER BY id')).map((j) => j.type);
      assert.deepEqual(stored, ['x.kept-1', 'x.kept-2']);
      assert.deepEqual(seen, stored, 'exactly the committed jobs are published');
    });

    it('a batch listener gets the transitions that piled up while it was busy in one call, in commit order', async () => {
      const calls: string[][] = [];
      const busy = gate();
      const batched = new JobQueue(ds, {
        onTransitions: async (jobs) => {
          calls.push(jobs.map((j) => j.type));
          if (calls.length === 1) await busy.promise;
        },
      });
      try {
        await batched.enqueue({ type: 'x.b1', payload: {} });
        await batched.enqueue({ type: 'x.b2', payload: {} });
        await batched.enqueue({ type: 'x.b3', payload: {} });
        busy.open();
        await batched.idle();
        assert.deepEqual(calls, [['x.b1'], ['x.b2', 'x.b3']]);
      } finally {
        batched.close();
      }
    });

    it('a second trigger with the same dedupe key while queued is absorbed and raises the priority', async () => {
      const a = await queue.enqueue({ type: 'x.dedupe', payload: { n: 1 }, dedupeKey: 'report-1', priority: 0 });
      const b = await queue.enqueue({ type: 'x.dedupe', payload: { n: 2 }, dedupeKey: 'report-1', priority: 10 });
      assert.equal(a.created, true);
      assert.equal(b.created, false);
      assert.equal(b.job.id, a.job.id);
      assert.equal(b.job.priority, 10);
      assert.deepEqual(b.job.payload, { n: 1 }, 'the queued job keeps its payload');
      const other = await queue.enqueue({ type: 'x.dedupe', payload: {}, dedupeKey: 'report-2' });
      assert.equal(other.created, true);
      assert.equal((await queue.jobs('SELECT * FROM job')).length, 2);
    });

    it('a trigger while the job runs makes it run once more after it finishes', async () => {
      const g = gate();
      let runs = 0;
      startWorker({
        'x.rerun': async () => {
          runs++;
          if (runs === 1) await g.promise;
          return {};
        },
      });
      const { job } = await queue.enqueue({ type: 'x.rerun', payload: {}, dedupeKey: 'k' });
      await until(job.id, 'running');
      const again = await queue.enqueue({ type: 'x.rerun', payload: {}, dedupeKey: 'k' });
      assert.equal(again.created, false);
      assert.equal(again.job.rerun, true);
      g.open();
      const done = await until(job.id, 'completed');
      assert.equal(runs, 2);
      assert.equal(done.rerun, false);
      assert.equal((await queue.jobs('SELECT * FROM job')).length, 1);
    });

    it('claims the highest priority first and FIFO within a priority', async () => {
      const order: string[] = [];
      for (const [name, priority] of [
        ['low-1', 0],
        ['high', 20],
        ['low-2', 0],
        ['mid', 10],
      ] as const) {
        await queue.enqueue({ type: 'x.order', payload: { name }, priority });
      }
      startWorker({
        'x.order': async (job: Job<{ name: string }>) => {
          order.push(job.payload.name);
          return {};
        },
      });
      await waitFor('all ran', async () => (order.length === 4 ? true : undefined));
      assert.deepEqual(order, ['high', 'mid', 'low-1', 'low-2']);
    });

    it('does not claim a job before its runAt', async () => {
      startWorker({ 'x.later': async () => ({}) });
      const { job } = await queue.enqueue({ type: 'x.later', payload: {}, runAt: Date.now() + 700 });
      await sleep(400);
      assert.equal((await status(job.id)).status, 'queued');
      const done = await until(job.id, 'completed');
      assert.ok(done.startedAt!.getTime() >= job.runAt.getTime());
    });

    it('starts a job committed in this process at once, not at the next poll', async () => {
      let startedAt = 0;
      startWorker({ 'x.fast': async () => void (startedAt = Date.now()) }, { pollMs: 60_000, listen: false });
      await sleep(200); // the start-up claim has happened; only a wake-up can start the job now
      const committedAt = Date.now();
      await queue.transaction((m) => enqueue(m, { type: 'x.fast', payload: {} }));
      await waitFor('started', async () => (startedAt ? true : undefined), 5000);
      assert.ok(startedAt - committedAt < 1000, `started ${startedAt - committedAt} ms after commit`);
    });

    it('publishes queued, running and completed; the Task mirrors focus and output', async () => {
      const seen: Job[] = [];
      queue.onTransition((j) => void seen.push(j));
      startWorker({
        'x.mirror': async (): Promise<JobResult> => ({ output: [{ reference: 'Observation/o1' }], summary: 'done' }),
      });
      const { job } = await queue.enqueue({ type: 'x.mirror', payload: { focus: 'DiagnosticReport/r9' } });
      await until(job.id, 'completed');
      await queue.idle();
      assert.deepEqual(
        seen.map((j) => j.status),
        ['queued', 'running', 'completed'],
      );
      const tasks = seen.map(jobToTask);
      assert.deepEqual(
        tasks.map((t) => t.status),
        ['requested', 'in-progress', 'completed'],
      );
      assert.ok(tasks.every((t) => t.id === tasks[0]!.id && t.identifier![0]!.value === job.id));
      assert.deepEqual(tasks[2]!.focus, { reference: 'DiagnosticReport/r9' });
      assert.deepEqual(tasks[2]!.output![0]!.valueReference, { reference: 'Observation/o1' });
    });

    it('retries a failing handler with growing backoff, then completes', async () => {
      const starts: number[] = [];
      startWorker(
        {
          'x.flaky': async () => {
            starts.push(Date.now());
            if (starts.length < 3) throw new Error(`transient ${starts.length}`);
            return {};
          },
        },
        { backoff: { baseMs: 150, maxMs: 10_000, jitter: 0 } },
      );
      const { job } = await queue.enqueue({ type: 'x.flaky', payload: {}, maxAttempts: 5 });
      const done = await until(job.id, 'completed');
      assert.equal(done.attempts, 3);
      assert.equal(done.lastError, undefined, 'completion clears the last error');
      assert.ok(starts[1]! - starts[0]! >= 140, `first retry after ${starts[1]! - starts[0]!} ms`);
      assert.ok(starts[2]! - starts[1]! >= 290, `second retry after ${starts[2]! - starts[1]!} ms`);
    });

    it('a handler that always throws ends in the dead letter after maxAttempts, its error on the Task', async () => {
      let runs = 0;
      startWorker({
        'x.broken': async () => {
          runs++;
          throw new Error('model file missing');
        },
      });
      const { job } = await queue.enqueue({ type: 'x.broken', payload: { focus: 'ImagingStudy/s1' }, maxAttempts: 3 });
      const dead = await until(job.id, 'dead');
      assert.equal(runs, 3);
      assert.equal(dead.attempts, 3);
      assert.equal(dead.lastError, 'model file missing');
      const task = jobToTask(dead);
      assert.equal(task.status, 'failed');
      assert.equal(task.statusReason?.text, 'model file missing');
      assert.equal(task.businessStatus?.coding?.[0]?.code, 'dead-letter');
      const letters = await listDeadLetters(queue);
      assert.deepEqual(
        letters.map((j) => j.id),
        [job.id],
      );
    });

    it('a PermanentJobError fails the job at once, without retries', async () => {
      startWorker({
        'x.invalid': async () => {
          throw new PermanentJobError('payload names no study');
        },
      });
      const { job } = await queue.enqueue({ type: 'x.invalid', payload: {}, maxAttempts: 5 });
      const failed = await until(job.id, 'failed');
      assert.equal(failed.attempts, 1);
      assert.equal(failed.lastError, 'PermanentJobError: payload names no study');
    });

    it('leaves jobs of types without a handler queued', async () => {
      const w = startWorker({ 'x.known': async () => ({}) });
      const unknown = await queue.enqueue({ type: 'x.unknown', payload: {} });
      const known = await queue.enqueue({ type: 'x.known', payload: {} });
      await until(known.job.id, 'completed');
      assert.equal((await status(unknown.job.id)).status, 'queued');
      assert.equal(w.active, 0);
    });

    it('runs at most perProcess jobs of a limited type at once, other types alongside', async () => {
      let now = 0;
      let peak = 0;
      let other = 0;
      startWorker(
        {
          'x.gpu': async () => {
            peak = Math.max(peak, ++now);
            await sleep(60);
            now--;
            return {};
          },
          'x.cpu': async () => void other++,
        },
        { concurrency: 4, limits: { 'x.gpu': { perProcess: 1 } } },
      );
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await queue.enqueue({ type: 'x.gpu', payload: {} })).job.id);
      for (let i = 0; i < 3; i++) await queue.enqueue({ type: 'x.cpu', payload: {} });
      for (const id of ids) await until(id, 'completed');
      assert.equal(peak, 1);
      assert.equal(other, 3);
    });

    it('a cluster limit holds across two workers', async () => {
      let now = 0;
      let peak = 0;
      const handlers = {
        'x.gpu': async () => {
          peak = Math.max(peak, ++now);
          await sleep(40);
          now--;
          return {};
        },
      };
      const limits = { 'x.gpu': { cluster: 2 } };
      startWorker(handlers, { concurrency: 3, limits });
      startWorker(handlers, { concurrency: 3, limits });
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await queue.enqueue({ type: 'x.gpu', payload: {} })).job.id);
      for (const id of ids) await until(id, 'completed');
      assert.ok(peak <= 2, `peak ${peak}`);
      assert.equal(peak, 2, 'both slots were used');
    });

    it('admin: retry a dead job, refuse others, requeue all failed of a type', async () => {
      let fail = true;
      startWorker({
        'x.fix': async () => {
          if (fail) throw new Error('not yet');
          return {};
        },
      });
      const a = await queue.enqueue({ type: 'x.fix', payload: {}, maxAttempts: 1 });
      const b = await queue.enqueue({ type: 'x.fix', payload: {}, maxAttempts: 1, dedupeKey: 'b' });
      const c = await queue.enqueue({ type: 'x.fix', payload: {}, maxAttempts: 1 });
      await until(a.job.id, 'dead');
      await until(b.job.id, 'dead');
      await until(c.job.id, 'dead');
      assert.equal((await listDeadLetters(queue, { type: 'x.fix' })).length, 3);
      assert.equal((await listDeadLetters(queue, { type: 'x.other' })).length, 0);
      await assert.rejects(retryJob(queue, '999999'), (e: unknown) => (e as OperationOutcomeError).status === 404);
      await assert.rejects(
        retryJob(queue, 'not-a-number'),
        (e: unknown) => (e as OperationOutcomeError).status === 404,
      );
      await assert.rejects(
        listDeadLetters(queue, { limit: 0 }),
        (e: unknown) => (e as OperationOutcomeError).status === 400,
      );
      fail = false;
      const retried = await retryJob(queue, a.job.id);
      assert.equal(retried.status, 'queued');
      assert.equal(retried.attempts, 0);
      await until(a.job.id, 'completed');
      await assert.rejects(retryJob(queue, a.job.id), (e: unknown) => (e as OperationOutcomeError).status === 409);
      // An unfinished job already holds b's dedupe key: requeue skips b and takes c.
      await workers[0]!.stop(500);
      workers = [];
      await queue.enqueue({ type: 'x.fix', payload: {}, dedupeKey: 'b' });
      const requeued = await requeueFailed(queue, 'x.fix');
      assert.deepEqual(
        requeued.map((j) => j.id),
        [c.job.id],
      );
      assert.equal((await status(b.job.id)).status, 'dead');
      await assert.rejects(retryJob(queue, b.job.id), (e: unknown) => (e as OperationOutcomeError).status === 409);
    });

    it('an expired lease on the last attempt sends the job to the dead letter with the reason', async () => {
      const { job } = await queue.enqueue({ type: 'x.crash', payload: {}, maxAttempts: 1 });
      const { jobs } = await claimJobs(queue, { slots: 1, unlimited: ['x.crash'], limited: [] }, 'gone-worker', 60_000);
      assert.deepEqual(
        jobs.map((j) => [j.id, j.status, j.attempts]),
        [[job.id, 'running', 1]],
      );
      assert.deepEqual(await reapExpired(queue), [], 'a live lease is not reaped');
      await queue.run((m) =>
        query(m, queue.dialect, 'UPDATE job SET locked_until = 0 WHERE id = :id', { id: Number(job.id) }),
      );
      const [dead] = await reapExpired(queue);
      assert.equal(dead?.status, 'dead');
      assert.equal(dead?.lastError, 'lease expired: worker gone-worker stopped renewing it (killed or stalled)');
      assert.equal(jobToTask(dead!).statusReason?.text, dead?.lastError);
    });

    it('counts jobs by type and status, and purges completed jobs but keeps dead letters', async () => {
      startWorker({ 'x.ok': async () => ({}), 'x.bad': async () => Promise.reject(new Error('no')) });
      const ok = await queue.enqueue({ type: 'x.ok', payload: {} });
      const bad = await queue.enqueue({ type: 'x.bad', payload: {}, maxAttempts: 1 });
      await until(ok.job.id, 'completed');
      await until(bad.job.id, 'dead');
      assert.deepEqual(await countJobs(queue), [
        { type: 'x.bad', status: 'dead', count: 1 },
        { type: 'x.ok', status: 'completed', count: 1 },
      ]);
      assert.equal(await purgeCompleted(queue, new Date(Date.now() - 60_000)), 0, 'nothing older than a minute');
      assert.equal(await purgeCompleted(queue, new Date(Date.now() + 1000)), 1);
      assert.deepEqual(await countJobs(queue), [{ type: 'x.bad', status: 'dead', count: 1 }]);
      await assert.rejects(
        purgeCompleted(queue, new Date('nope')),
        (e: unknown) => (e as OperationOutcomeError).status === 400,
      );
    });

    it('a run whose lease was lost is aborted and its late outcome cannot overwrite the new run', async () => {
      const g = gate();
      let aborted = false;
      let runs = 0;
      startWorker(
        {
          'x.slow': async (_job, ctx) => {
            if (++runs > 1) return { summary: 'fresh' };
            ctx.signal.addEventListener('abort', () => (aborted = true));
            await g.promise;
            return { summary: 'stale' };
          },
        },
        // No poll: only this test reaps. Two slots: the stale run holds one until it returns.
        { concurrency: 2, leaseMs: 600, heartbeatMs: 100, pollMs: 60_000 },
      );
      const { job } = await queue.enqueue({ type: 'x.slow', payload: {} });
      await until(job.id, 'running');
      const reaped = await reapAfterStall(job.id);
      assert.deepEqual(
        reaped.map((j) => [j.id, j.status]),
        [[job.id, 'queued']],
      );
      await waitFor('the heartbeat to notice the lost lease', async () => (aborted ? true : undefined), 3000);
      const done = await until(job.id, 'completed');
      assert.equal(done.attempts, 2);
      g.open(); // the stale first run now returns
      await sleep(200);
      const final = await status(job.id);
      assert.equal(final.result?.summary, 'fresh');
      assert.equal(final.attempts, 2);
    });

    it('a worker that reaps and reclaims its own stalled run aborts that run and records only the new one', async () => {
      const g = gate();
      let aborted = false;
      let runs = 0;
      const w = startWorker(
        {
          'x.stall': async (_job, ctx) => {
            if (++runs > 1) return { summary: 'fresh' };
            ctx.signal.addEventListener('abort', () => (aborted = true));
            await g.promise; // ignores the signal, like an inference call
            return { summary: 'stale' };
          },
        },
        // Heartbeats far apart: the worker's own reap and claim, not a heartbeat, must notice the superseded run.
        { concurrency: 2, leaseMs: 60_000, pollMs: 50 },
      );
      const { job } = await queue.enqueue({ type: 'x.stall', payload: {} });
      await until(job.id, 'running');
      await expireLease(job.id); // the worker stalled past its lease
      const done = await until(job.id, 'completed');
      assert.equal(done.attempts, 2, 'the worker reaped the job and claimed it again');
      assert.equal(aborted, true, 'the superseded first run was aborted');
      g.open();
      await waitFor('the stale run to return', async () => (w.active === 0 ? true : undefined));
      const final = await status(job.id);
      assert.equal(final.result?.summary, 'fresh');
      assert.equal(final.attempts, 2);
    });

    /** Two runs of one x.fence job by worker w1: the first claim, and the claim after its lease expired and was reaped. */
    async function reclaimedRuns(id: string): Promise<[Job, Job]> {
      const claim = async (): Promise<Job> => {
        const { jobs } = await claimJobs(queue, { slots: 1, unlimited: ['x.fence'], limited: [] }, 'w1', 60_000);
        return jobs[0]!;
      };
      const first = await claim();
      await expireLease(id);
      await reapExpired(queue);
      return [first, await claim()];
    }

    it('a heartbeat is fenced by attempts: a reaped and reclaimed job is held by the new run only', async () => {
      const { job } = await queue.enqueue({ type: 'x.fence', payload: {} });
      const [first, second] = await reclaimedRuns(job.id);
      assert.equal(second.attempts, 2);
      assert.deepEqual([...(await heartbeat(queue, 'w1', [first], 60_000))], [], 'the first run holds nothing');
      assert.deepEqual([...(await heartbeat(queue, 'w1', [second], 60_000))], [job.id]);
    });

    it('a release at stop is fenced by attempts: an earlier run of a reclaimed job releases nothing', async () => {
      const { job } = await queue.enqueue({ type: 'x.fence', payload: {} });
      const [first, second] = await reclaimedRuns(job.id);
      assert.deepEqual(await releaseRuns(queue, 'w1', [first]), [], 'the first run holds nothing to release');
      assert.equal((await status(job.id)).status, 'running', 'the second run keeps its job');
      const [released] = await releaseRuns(queue, 'w1', [second]);
      assert.equal(released?.status, 'queued');
      assert.equal(released?.attempts, 1, 'the interrupted run does not count as an attempt');
    });

    it('a run that lost its lease keeps its perProcess slot until its handler returns', async () => {
      const g = gate();
      let aborted = false;
      let gpuRuns = 0;
      let gpuNow = 0;
      let gpuPeak = 0;
      startWorker(
        {
          'x.gpu': async (_job, ctx) => {
            const n = ++gpuRuns;
            gpuPeak = Math.max(gpuPeak, ++gpuNow);
            try {
              ctx.signal.addEventListener('abort', () => (aborted = true));
              if (n === 1) await g.promise; // ignores the signal
              return { summary: `run ${n}` };
            } finally {
              gpuNow--;
            }
          },
          'x.cpu': async () => ({}),
        },
        { concurrency: 4, limits: { 'x.gpu': { perProcess: 1 } }, leaseMs: 600, heartbeatMs: 100, pollMs: 60_000 },
      );
      const { job } = await queue.enqueue({ type: 'x.gpu', payload: {} });
      await until(job.id, 'running');
      await reapAfterStall(job.id);
      await waitFor('the heartbeat to notice the lost lease', async () => (aborted ? true : undefined));
      // A claim after the abort: it takes the cpu job, and would take the queued gpu job too if its slot were free.
      const cpu = await queue.enqueue({ type: 'x.cpu', payload: {} });
      await until(cpu.job.id, 'completed');
      assert.equal((await status(job.id)).status, 'queued', 'the stale run still holds the only gpu slot');
      g.open();
      const done = await until(job.id, 'completed');
      assert.equal(done.result?.summary, 'run 2');
      assert.equal(gpuPeak, 1);
    });

    it('a lease that expires on a job flagged for a rerun requeues it with fresh attempts, not dead', async () => {
      const spec = { type: 'x.rerun-reap', payload: {}, dedupeKey: 'k-reap', maxAttempts: 1 };
      const { job } = await queue.enqueue(spec);
      await claimJobs(queue, { slots: 1, unlimited: [spec.type], limited: [] }, 'gone-worker', 60_000);
      const again = await queue.enqueue(spec); // a trigger while it runs
      assert.equal(again.job.rerun, true);
      await expireLease(job.id);
      const [reaped] = await reapExpired(queue);
      assert.deepEqual(
        [reaped?.id, reaped?.status, reaped?.attempts, reaped?.rerun, reaped?.finishedAt],
        [job.id, 'queued', 0, false, undefined],
      );
    });

    it('stop waits for short jobs, then releases the rest without counting the attempt', async () => {
      const w = startWorker(
        { 'diag.sleep': async (job: Job<{ ms: number }>, ctx) => void (await sleepSignal(job.payload.ms, ctx.signal)) },
        { concurrency: 3 },
      );
      const short = await queue.enqueue({ type: 'diag.sleep', payload: { ms: 100 } });
      const long = await queue.enqueue({ type: 'diag.sleep', payload: { ms: 30_000 } });
      await until(long.job.id, 'running');
      const result = await w.stop(800);
      workers = [];
      assert.deepEqual(result, { finished: 1, released: 1 });
      assert.equal((await status(short.job.id)).status, 'completed');
      const released = await status(long.job.id);
      assert.equal(released.status, 'queued');
      assert.equal(released.attempts, 0);
      assert.equal(released.lockedBy, undefined);
      const late = await queue.enqueue({ type: 'diag.sleep', payload: { ms: 1 } });
      await sleep(300);
      assert.equal((await status(late.job.id)).status, 'queued', 'a stopped worker claims nothing');
    });
  });
}

function sleepSignal(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('aborted'));
    });
  });
}
