// The Task mirror of job transitions: a backlog of transitions is written as each job's latest state in one
// transaction, a Task already holding a newer transition (another process) is left alone, and a chunk that meets a
// concurrent writer falls back to job-by-job writes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Task } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { openStore, type StoreFixture } from '../store/helpers.js';
import { mirrorJob, mirrorJobs } from '../../../src/pipeline/task-mirror.js';
import type { Job, JobStatus } from '../../../src/jobs/types.js';
import type { Repository } from '../../../src/fhir/repository.js';
import { conflict, OperationOutcomeError } from '../../../src/fhir/outcomes.js';

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
