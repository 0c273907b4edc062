// The database going away while a pipeline job writes: SQLite held by another connection's long write lock past the
// busy timeout (SQLITE_BUSY), PostgreSQL killing the job's backend in the middle of its findings transaction
// (pg_terminate_backend). The run fails, is retried with backoff once the database is back, and completes; nothing is
// written twice and the job's Task ends completed.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import pg from 'pg';
import type { DiagnosticReport, Observation, Patient, Task } from 'fhir/r4.js';
import type { Core } from '../../../src/core.js';
import type { Repository } from '../../../src/fhir/repository.js';
import { Worker } from '../../../src/jobs/worker.js';
import { REPORT_EXTRACT } from '../../../src/pipeline/job-types.js';
import { extractHandler } from '../../../src/pipeline/report-jobs.js';
import { searchObservations } from '../../../src/pipeline/fhir-io.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { openIdleCore } from '../../support/core.js';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { waitFor } from '../../support/jobs-process.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `repo` that calls `before` ahead of its first transaction (where the test takes the database away). */
function onFirstWrite(repo: Repository, before: () => Promise<void>): Repository {
  let first = true;
  return new Proxy(repo, {
    get(target, prop) {
      if (prop === 'transaction') {
        return async <T>(fn: (r: Repository) => Promise<T>): Promise<T> => {
          if (first) {
            first = false;
            await before();
          }
          return target.transaction(fn);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

for (const { kind, make } of databaseKinds) {
  describe(`a pipeline job while the database goes away (${kind})`, () => {
    let db: TestDatabase;
    let core: Core;
    let worker: Worker | undefined;

    beforeEach(async () => {
      db = await make();
      core = await openIdleCore(db.url);
    });
    afterEach(async () => {
      await worker?.stop(2000);
      await core.close();
      await db.drop();
    });

    /** Takes the database away for the first findings write; resolves `back` once it returns. */
    const outage = (): { before: () => Promise<void>; back: Promise<void> } => {
      let done: () => void = () => undefined;
      const back = new Promise<void>((r) => (done = r));
      if (kind === 'sqlite') {
        return {
          back,
          before: async () => {
            // Another process's long write transaction: 12 s, past two of the store's 5 s busy timeouts (a claim's and
            // the findings write's). Not in this process: the store's synchronous busy waits would delay its end.
            const script = `const db = new (require('better-sqlite3'))(process.argv[1]); db.exec('BEGIN IMMEDIATE');
              process.stdout.write('locked\\n'); setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 12000);`;
            const other = spawn(process.execPath, ['-e', script, db.url.slice('sqlite:'.length)], {
              stdio: ['ignore', 'pipe', 'inherit'],
            });
            other.on('exit', () => done());
            await new Promise((r) => other.stdout.once('data', r));
          },
        };
      }
      return {
        back,
        before: async () => {
          // The findings transaction will wait on this table lock; its backend is then terminated. The Task of the
          // claim is written first: its transaction would wait on the lock too, and be the one terminated.
          await core.queue.idle();
          const url = new URL(db.url);
          const locker = new pg.Client({
            host: url.hostname,
            port: Number(url.port),
            user: url.username,
            database: url.pathname.slice(1),
          });
          await locker.connect();
          await locker.query('BEGIN');
          await locker.query('LOCK TABLE resource IN EXCLUSIVE MODE');
          void (async () => {
            const blocked = await waitFor('the findings write to wait on the lock', async () => {
              const { rows } = await locker.query<{ pid: number }>(
                `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
              );
              return rows.length > 0 ? rows.map((r) => r.pid) : undefined;
            });
            await locker.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [blocked]);
            await sleep(200);
            await locker.query('ROLLBACK');
            await locker.end();
            done();
          })();
        },
      };
    };

    it('fails the run, retries once the database is back, and completes with one set of findings', async () => {
      const patient = await core.repo.create<Patient>({ resourceType: 'Patient' });
      const report = await core.repo.create<DiagnosticReport>({
        resourceType: 'DiagnosticReport',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
        subject: { reference: `Patient/${patient.id}` },
        conclusion: 'Small left pleural effusion. No pneumothorax.',
      });
      const { before, back } = outage();
      const ctx = { ...core.ctx, repo: onFirstWrite(core.ctx.repo, before) };
      worker = new Worker(core.queue, {
        handlers: { [REPORT_EXTRACT]: extractHandler({ ctx, terminology: getTerminology(), organization: 'Test' }) },
        pollMs: 100,
        backoff: { baseMs: 100, maxMs: 200 },
      });
      worker.start();
      await back;
      const [job] = await core.queue.jobs('SELECT * FROM job WHERE type = :t', { t: REPORT_EXTRACT });
      const done = await waitFor(
        'the extraction to complete',
        async () => {
          const j = await core.queue.get(job!.id);
          return j?.status === 'completed' ? j : undefined;
        },
        30_000,
      );
      assert.equal(done.attempts, 2, 'the failed run and its retry');
      const findings = await searchObservations(core.ctx, { 'derived-from': `DiagnosticReport/${report.id}` });
      const codes = findings.map((o: Observation) => o.code.coding![0]!.code);
      assert.ok(codes.length > 0);
      assert.equal(new Set(codes).size, codes.length, 'one Observation per finding');
      await core.queue.idle();
      const task = await core.repo.read<Task>('Task', `job-${job!.id}`);
      assert.equal(task.status, 'completed');
    });
  });
}
