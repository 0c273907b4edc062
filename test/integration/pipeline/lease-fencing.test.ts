// A pipeline run that lost its lease must not write: worker A reads report version 1 and stalls before writing (a
// GC pause, a frozen VM) past its lease; the report is corrected meanwhile and worker B runs the extraction of the
// corrected version. When A wakes up, its findings of version 1 must be refused (fenced), or the earlier version's
// findings would win over the correction's. The same for a run released at stop that keeps running.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Observation, Patient } from 'fhir/r4.js';
import type { Core } from '../../../src/core.js';
import type { Repository } from '../../../src/fhir/repository.js';
import { query } from '../../../src/jobs/sql.js';
import type { Job } from '../../../src/jobs/types.js';
import { Worker } from '../../../src/jobs/worker.js';
import { REPORT_EXTRACT } from '../../../src/pipeline/job-types.js';
import { extractHandler } from '../../../src/pipeline/report-jobs.js';
import { searchObservations } from '../../../src/pipeline/fhir-io.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { CT_ABNORMALITY } from '../../../src/terminology/systems.js';
import { openIdleCore } from '../../support/core.js';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { waitFor } from '../../support/jobs-process.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const V1 = 'FINDINGS: Moderate left pleural effusion.\nIMPRESSION: Left pleural effusion.';
const V2 = 'FINDINGS: No pleural effusion. Small right pneumothorax.\nIMPRESSION: Right pneumothorax.';

/** `repo` whose transactions wait for `gate` first: the run stalls after its reads, before its write. */
function stalled(repo: Repository, entered: () => void, gate: Promise<void>): Repository {
  return new Proxy(repo, {
    get(target, prop) {
      if (prop === 'transaction') {
        return async <T>(fn: (r: Repository) => Promise<T>): Promise<T> => {
          entered();
          await gate;
          return target.transaction(fn);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Live findings of the report by abnormality code: the interpretation (POS/NEG/IND) and status. */
async function liveFindings(core: Core, reportId: string): Promise<Map<string, string>> {
  const all = await searchObservations(core.ctx, { 'derived-from': `DiagnosticReport/${reportId}` });
  const live = all.filter((o: Observation) => o.status !== 'entered-in-error');
  return new Map(
    live.map((o) => [
      o.code.coding!.find((c) => c.system === CT_ABNORMALITY)!.code!,
      `${o.interpretation?.[0]?.coding?.[0]?.code}/${o.status}`,
    ]),
  );
}

for (const { kind, make } of databaseKinds) {
  describe(`a report extraction that lost its lease writes nothing (${kind})`, () => {
    let db: TestDatabase;
    let core: Core;
    let workers: Worker[] = [];
    const terminology = getTerminology();

    beforeEach(async () => {
      db = await make();
      core = await openIdleCore(db.url);
    });
    afterEach(async () => {
      for (const w of workers) await w.stop(2000);
      workers = [];
      await core.close();
      await db.drop();
    });

    const report = (patient: Patient, text: string, status: DiagnosticReport['status']): DiagnosticReport => ({
      resourceType: 'DiagnosticReport',
      status,
      code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
      subject: { reference: `Patient/${patient.id}` },
      issued: '2024-05-01T10:00:00Z',
      presentedForm: [{ contentType: 'text/plain', data: b64(text) }],
    });
    const extractJob = async (): Promise<Job> =>
      (await core.queue.jobs('SELECT * FROM job WHERE type = :t', { t: REPORT_EXTRACT }))[0]!;

    /** Worker A runs the extraction of version 1 and stalls before writing; resolves once it stalls. */
    const stallA = async (): Promise<{ a: Worker; wake: () => void; aDone: () => Promise<unknown> }> => {
      let wake: () => void = () => undefined;
      let entered: () => void = () => undefined;
      const inTransaction = new Promise<void>((r) => (entered = r));
      const gate = new Promise<void>((r) => (wake = r));
      const ctx = { ...core.ctx, repo: stalled(core.ctx.repo, entered, gate) };
      const a = new Worker(core.queue, {
        handlers: { [REPORT_EXTRACT]: extractHandler({ ctx, terminology, organization: 'Test' }) },
        workerId: 'A',
        leaseMs: 60_000,
        pollMs: 60_000,
      });
      workers.push(a);
      a.start();
      await inTransaction;
      return { a, wake, aDone: () => waitFor('A to return', async () => (a.active === 0 ? true : undefined)) };
    };
    const startB = (): Worker => {
      const b = new Worker(core.queue, {
        handlers: { [REPORT_EXTRACT]: extractHandler({ ctx: core.ctx, terminology, organization: 'Test' }) },
        workerId: 'B',
        pollMs: 50,
      });
      workers.push(b);
      b.start();
      return b;
    };

    it('a stalled run whose lease was taken over cannot write the earlier version over the correction', async () => {
      const patient = await core.repo.create<Patient>({ resourceType: 'Patient' });
      const created = await core.repo.create(report(patient, V1, 'final'));
      const { wake, aDone } = await stallA();
      // A stalls past its lease: it expires (as it would after leaseMs without heartbeats) ...
      const job = await extractJob();
      assert.equal(job.lockedBy, 'A');
      await core.queue.run((m) =>
        query(m, core.queue.dialect, 'UPDATE job SET locked_until = 0 WHERE id = :id', { id: Number(job.id) }),
      );
      // ... the report is corrected meanwhile, and B takes the job over and extracts the correction.
      await core.repo.update({ ...created, ...report(patient, V2, 'corrected') });
      startB();
      await waitFor('B to complete the extraction', async () => {
        const j = await core.queue.get(job.id);
        return j?.status === 'completed' && j.lockedBy === undefined && (await liveFindings(core, created.id!)).size > 0
          ? true
          : undefined;
      });
      const corrected = await liveFindings(core, created.id!);
      assert.equal(corrected.get('pleural_effusion'), 'NEG/corrected');
      assert.equal(corrected.get('pneumothorax'), 'POS/corrected');
      wake();
      await aDone();
      assert.deepEqual(await liveFindings(core, created.id!), corrected, "version 1's findings must not come back");
      assert.equal((await core.queue.get(job.id))?.status, 'completed');
    });

    it('a run released at stop that keeps running cannot write after the next worker ran the job', async () => {
      const patient = await core.repo.create<Patient>({ resourceType: 'Patient' });
      const created = await core.repo.create(report(patient, V1, 'final'));
      const { a, wake, aDone } = await stallA();
      // A stops with a short grace: the stalled run is released (queued again), but its handler has not returned.
      const stopped = await a.stop(50);
      assert.deepEqual(stopped, { finished: 0, released: 1 });
      await core.repo.update({ ...created, ...report(patient, V2, 'corrected') });
      startB();
      const job = await extractJob();
      await waitFor('B to complete the extraction', async () =>
        (await core.queue.get(job.id))?.status === 'completed' ? true : undefined,
      );
      const corrected = await liveFindings(core, created.id!);
      assert.equal(corrected.get('pleural_effusion'), 'NEG/corrected');
      wake();
      await aDone();
      assert.deepEqual(await liveFindings(core, created.id!), corrected, "version 1's findings must not come back");
    });
  });
}
