// The outbox through the real store: SqlRepository write hooks enqueue jobs in the resource's transaction.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Patient } from 'fhir/r4.js';
import type { DataSource } from 'typeorm';
import { databaseKinds } from '../../support/databases.js';
import type { TestDatabase } from '../../support/databases.js';
import { waitFor } from '../../support/jobs-process.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { SqlRepository } from '../../../src/store/sql-repository.js';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { jobsModule } from '../../../src/jobs/schema.js';
import { JobQueue } from '../../../src/jobs/queue.js';
import { Worker } from '../../../src/jobs/worker.js';
import { outboxHook } from '../../../src/jobs/outbox.js';
import type { JobTrigger } from '../../../src/jobs/outbox.js';
import { jobToTask } from '../../../src/jobs/task.js';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import type { Job } from '../../../src/jobs/types.js';

const notFound = (e: unknown): boolean => e instanceof OperationOutcomeError && e.status === 404;

const report = (id: string, conclusion: string): DiagnosticReport => ({
  resourceType: 'DiagnosticReport',
  id,
  status: 'final',
  code: { text: 'CT chest' },
  conclusion,
});

// Reports with text trigger label extraction, coalesced per report.
const labelsTrigger: JobTrigger = (change) =>
  change.resourceType === 'DiagnosticReport' && change.kind !== 'delete'
    ? [
        {
          type: 'labels.extract',
          payload: { focus: `DiagnosticReport/${change.id}` },
          dedupeKey: `labels:DiagnosticReport/${change.id}`,
        },
      ]
    : [];

for (const { kind, make } of databaseKinds) {
  describe(`outbox through the store on ${kind}`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let queue: JobQueue;
    let repo: SqlRepository;
    let badSpec = false;

    beforeEach(async () => {
      badSpec = false;
      db = await make();
      ds = await openDataSource(db.url, { modules: [jobsModule] });
      queue = new JobQueue(ds);
      const broken: JobTrigger = () => (badSpec ? [{ type: 'bad type', payload: {} }] : []);
      repo = new SqlRepository(ds, { indexResource, hooks: [outboxHook(labelsTrigger, broken)] });
    });
    afterEach(async () => {
      queue.close();
      await ds.destroy();
      await db.drop();
    });

    const jobs = (): Promise<Job[]> => queue.jobs('SELECT * FROM job ORDER BY id');

    it('a write that triggers work commits its job with it; other writes enqueue nothing', async () => {
      await repo.update(report('r1', 'Nodule in the right upper lobe.'));
      await repo.create<Patient>({ resourceType: 'Patient' });
      const [job, ...rest] = await jobs();
      assert.equal(rest.length, 0);
      assert.equal(job?.type, 'labels.extract');
      assert.deepEqual(jobToTask(job!).focus, { reference: 'DiagnosticReport/r1' });
    });

    it('a rolled-back transaction leaves neither the resource nor its job', async () => {
      await assert.rejects(
        repo.transaction(async (tx) => {
          await tx.update(report('r2', 'Emphysema.'));
          throw new Error('later entry of the bundle failed');
        }),
        /later entry/,
      );
      await assert.rejects(repo.read('DiagnosticReport', 'r2'), notFound);
      assert.equal((await jobs()).length, 0);
    });

    it('repeated writes of one report coalesce into one queued job', async () => {
      await repo.update(report('r3', 'First read.'));
      await repo.update(report('r3', 'Amended: small effusion.'));
      const all = await jobs();
      assert.equal(all.length, 1);
      assert.equal(all[0]!.status, 'queued');
    });

    it('one transaction enqueues a dedupe key once however many of its writes trigger it; the next one again', async () => {
      const statements: string[] = [];
      ds.subscribers.push({ afterQuery: (e: { query: string }) => void statements.push(e.query) });
      const jobStatements = (): number => statements.filter((q) => /\b(INTO|UPDATE) job\b/.test(q)).length;
      await repo.transaction(async (tx) => {
        for (const text of ['First read.', 'Second read.', 'Third read.']) await tx.update(report('r6', text));
      });
      assert.equal(jobStatements(), 1, 'one INSERT for three triggering writes');
      await repo.transaction(async (tx) => {
        for (const text of ['Fourth read.', 'Fifth read.']) await tx.update(report('r6', text));
      });
      assert.equal(jobStatements(), 3, 'a new transaction meets the queued job: INSERT (conflict), then UPDATE');
      ds.subscribers.pop();
      const all = await jobs();
      assert.equal(all.length, 1);
      assert.equal(all[0]!.status, 'queued');
    });

    it(
      'a transaction that fails does not keep another from enqueueing the same key (SQLite: one group commit)',
      {
        skip:
          kind === 'postgres' &&
          'PostgreSQL runs the two as separate concurrent transactions (the second write of r7 may meet a 409 instead)',
      },
      async () => {
        // While a first transaction holds the connection, the next two queue up and commit as one SQLite group, each
        // in its own savepoint: the first of them fails after its trigger, the second must still enqueue.
        let release: (() => void) | undefined;
        const held = repo.transaction(async (tx) => {
          await tx.create<Patient>({ resourceType: 'Patient' });
          await new Promise<void>((r) => (release = r));
        });
        while (!release) await new Promise((r) => setImmediate(r));
        const failing = repo.transaction(async (tx) => {
          await tx.update(report('r7', 'Written, then rolled back.'));
          throw new Error('this unit fails');
        });
        const passing = repo.transaction(async (tx) => {
          await tx.update(report('r7', 'Written and kept.'));
        });
        release();
        await held;
        await assert.rejects(failing, /this unit fails/);
        await passing;
        const all = await jobs();
        assert.equal(all.length, 1);
        assert.deepEqual(jobToTask(all[0]!).focus, { reference: 'DiagnosticReport/r7' });
      },
    );

    it('a trigger that returns a bad job spec fails the write, which is rolled back', async () => {
      badSpec = true;
      await assert.rejects(repo.update(report('r4', 'x')), (e: unknown) => e instanceof Error);
      badSpec = false;
      await assert.rejects(repo.read('DiagnosticReport', 'r4'), notFound);
      assert.equal((await jobs()).length, 0);
    });

    it('embedded mode: a worker in the same process runs the job right after the write commits', async () => {
      const seen: string[] = [];
      const worker = new Worker(queue, {
        handlers: {
          'labels.extract': async (job: Job<{ focus: string }>) => {
            const resource = await repo.read<DiagnosticReport>('DiagnosticReport', job.payload.focus.split('/')[1]!);
            seen.push(resource.conclusion ?? '');
            return { output: [{ reference: job.payload.focus }] };
          },
        },
        pollMs: 60_000,
        listen: false,
      });
      worker.start();
      try {
        await repo.update(report('r5', 'Consolidation.'));
        await waitFor('the job', async () => (seen.length === 1 ? true : undefined), 5000);
        assert.deepEqual(seen, ['Consolidation.']);
      } finally {
        await worker.stop(1000);
      }
    });
  });
}
