// The Task mirror of job transitions: a backlog of transitions is written as each job's latest state in one
// transaction, a Task already holding a newer transition (another process) is left alone, a chunk that meets a
// concurrent writer falls back to job-by-job writes, and the sweep writes what a dead process left unwritten.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { openStore, type StoreFixture } from '../store/helpers.js';
import { mirrorJob, mirrorJobs, taskMirrorSweep } from '../../../src/pipeline/task-mirror.js';
import type { Job, JobStatus } from '../../../src/jobs/types.js';
import type { Repository } from '../../../src/fhir/repository.js';
import { conflict, OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import type { Core } from '../../../src/core.js';
import { DIAGNOSTIC_NOOP } from '../../../src/jobs/diagnostics.js';
import { query } from '../../../src/jobs/sql.js';
import { jobsWithStaleTasks } from '../../../src/jobs/task-sync.js';
import { silentLogger } from '../../../src/log.js';
import { openIdleCore } from '../../support/core.js';
import type { TestDatabase } from '../../support/databases.js';

/** `repo` with some methods replaced. */
function bind(repo: Repository, overrides: Partial<Record<keyof Repository, unknown>>): Repository {
  return new Proxy(repo, {
    get(target, prop) {
      if (prop in overrides) return overrides[prop as keyof Repository];
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

const t0 = Date.UTC(2026, 10, 27, 9, 0, 0);

function job(id: string, status: JobStatus, second: number): Job {
  return {
    id,
    type: 'report.extract',
    payload: { focus: `DiagnosticReport/r${id}` },
    status,
    priority: 0,
    runAt: new Date(t0),
    attempts: status === 'queued' ? 0 : 1,
    maxAttempts: 5,
    rerun: false,
    createdAt: new Date(t0),
    updatedAt: new Date(t0 + second * 1000),
  };
}

for (const { kind, make } of databaseKinds) {
  describe(`Task mirror (${kind})`, () => {
    let store: StoreFixture;
    before(async () => {
      store = await openStore(make);
    });
    after(async () => store.close());

    const task = (id: string): Promise<Task> => store.repo.read<Task>('Task', `job-${id}`);
    const versions = async (id: string): Promise<number> =>
      (await store.repo.history({ resourceType: 'Task', id: `job-${id}`, count: 100, offset: 0 })).total;

    it('writes only the latest transition of each job in a backlog, one version per job', async () => {
      await mirrorJobs(store.repo, [
        job('1', 'queued', 0),
        job('2', 'queued', 0),
        job('1', 'running', 1),
        job('1', 'completed', 2),
      ]);
      assert.equal((await task('1')).status, 'completed');
      assert.equal((await task('2')).status, 'requested');
      assert.equal(await versions('1'), 1);
      await mirrorJobs(store.repo, [job('2', 'running', 3)]);
      assert.equal((await task('2')).status, 'in-progress');
      assert.equal(await versions('2'), 2);
    });

    it('leaves a Task that already holds a newer transition', async () => {
      await mirrorJob(store.repo, job('3', 'completed', 10));
      await mirrorJobs(store.repo, [job('3', 'running', 5), job('4', 'queued', 5)]);
      assert.equal((await task('3')).status, 'completed');
      assert.equal((await task('4')).status, 'requested');
    });

    it('a chunk meeting a concurrent write (409) is redone job by job', async () => {
      let conflicts = 0;
      // The repository as another process's write makes it look: the batch's first guarded update is a 409.
      const racing = bind(store.repo, {
        transaction: (fn: (tx: Repository) => Promise<unknown>) =>
          store.repo.transaction((tx) =>
            fn(
              bind(tx, {
                update: async () => {
                  conflicts++;
                  throw new OperationOutcomeError(409, conflict('concurrent write').outcome);
                },
              }),
            ),
          ),
      });
      await mirrorJobs(racing, [job('5', 'completed', 20), job('6', 'queued', 20)]);
      assert.equal(conflicts, 1);
      assert.equal((await task('5')).status, 'completed');
      assert.equal((await task('6')).status, 'requested');
    });
  });
}

// The sweep: a transition committed without its Task (the process died between the two commits) is written once the
// transition is TASK_RESYNC_MS old, by any process; a transition already mirrored is not written again.
for (const { kind, make } of databaseKinds) {
  describe(`Task mirror sweep (${kind})`, () => {
    let db: TestDatabase;
    let core: Core;
    before(async () => {
      db = await make();
      // The core's own sweep is off: the test starts one when the unmirrored transition is in place.
      core = await openIdleCore(db.url, { TASK_RESYNC_MS: '0' });
    });
    after(async () => {
      await core.close();
      await db.drop();
    });

    const row = async (id: string): Promise<{ updated: number; synced: number | null }> => {
      const [r] = await core.queue.run((m) =>
        query<{ updated_at: string | number; task_synced_at: string | number | null }>(
          m,
          core.queue.dialect,
          'SELECT updated_at, task_synced_at FROM job WHERE id = :id',
          { id: Number(id) },
        ),
      );
      return { updated: Number(r!.updated_at), synced: r!.task_synced_at === null ? null : Number(r!.task_synced_at) };
    };
    const taskOf = (id: string): Promise<Task> => core.repo.read<Task>('Task', `job-${id}`);

    it('marks what the mirror wrote; writes a transition it never wrote once it is old enough; nothing twice', async () => {
      const { job } = await core.queue.enqueue({ type: DIAGNOSTIC_NOOP, payload: {} });
      await core.queue.idle();
      assert.equal((await taskOf(job.id)).status, 'requested');
      const mirrored = await row(job.id);
      assert.equal(mirrored.synced, mirrored.updated, 'the mirror marks the transition it wrote');

      // A completion committed by a process that died before its Task write: not published to any listener.
      await core.queue.run((m) =>
        query(
          m,
          core.queue.dialect,
          `UPDATE job SET status = 'completed', attempts = 1, finished_at = updated_at + 5, updated_at = updated_at + 5
           WHERE id = :id`,
          { id: Number(job.id) },
        ),
      );
      // Within the grace it is left to the process that committed it; past it (the +5 ms above), it is the sweep's.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(await jobsWithStaleTasks(core.queue, 60_000, 10), []);
      assert.deepEqual(
        (await jobsWithStaleTasks(core.queue, 0, 10)).map((j) => j.id),
        [job.id],
      );
      assert.equal((await taskOf(job.id)).status, 'requested');

      const stopSweep = taskMirrorSweep(core.queue, core.repo, silentLogger, 300);
      try {
        const deadline = Date.now() + 15_000;
        while ((await taskOf(job.id)).status !== 'completed') {
          assert.ok(Date.now() < deadline, 'the sweep wrote the completed Task within 15 s');
          await new Promise((r) => setTimeout(r, 100));
        }
        const swept = await row(job.id);
        assert.equal(swept.synced, swept.updated);
        const version = (await taskOf(job.id)).meta?.versionId;
        // Several more sweep intervals: the job is in sync, so its Task is not written again.
        await new Promise((r) => setTimeout(r, 1000));
        assert.equal((await taskOf(job.id)).meta?.versionId, version);
        assert.deepEqual(await jobsWithStaleTasks(core.queue, 0, 10), []);
      } finally {
        await stopSweep();
      }
    });

    it('a Task that cannot be written does not hold back the others of its pass; it stays stale', async () => {
      const unmirrored = async (): Promise<string> => {
        const { job } = await core.queue.enqueue({ type: DIAGNOSTIC_NOOP, payload: {} });
        await core.queue.idle();
        await core.queue.run((m) =>
          query(m, core.queue.dialect, 'UPDATE job SET status = :s, updated_at = updated_at + 5 WHERE id = :id', {
            s: 'dead',
            id: Number(job.id),
          }),
        );
        return job.id;
      };
      const poison = await unmirrored();
      const healthy = await unmirrored();
      // Every chunk transaction fails, and so does the one Task's own write.
      const failing = bind(core.repo, {
        transaction: () => Promise.reject(new Error('chunk refused')),
        update: (task: Task, options: unknown) =>
          task.id === `job-${poison}`
            ? Promise.reject(new Error('this Task refused'))
            : core.repo.update(task, options as Parameters<Repository['update']>[1]),
      });
      await new Promise((r) => setTimeout(r, 50));
      const stopSweep = taskMirrorSweep(core.queue, failing, silentLogger, 20);
      try {
        const deadline = Date.now() + 15_000;
        while ((await taskOf(healthy)).status !== 'failed') {
          assert.ok(Date.now() < deadline, 'the healthy job got its Task past the poisoned one');
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await stopSweep();
      }
      assert.equal((await taskOf(poison)).status, 'requested');
      assert.deepEqual(
        (await jobsWithStaleTasks(core.queue, 0, 10)).map((j) => j.id),
        [poison],
      );
    });
  });
}
