// A retraction and an extraction of one report run as two jobs (report.retract, report.extract), possibly at once on
// two workers. A report marked entered-in-error and restored right after: the retraction, which found the report
// withdrawn, must not mark entered-in-error the findings the restored version's extraction wrote meanwhile; the same
// for a study withdrawn and made available again (imaging.retract against imaging.classify's outputs).
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, ImagingStudy, Observation, Patient } from 'fhir/r4.js';
import type { Core } from '../../../src/core.js';
import type { Repository } from '../../../src/fhir/repository.js';
import type { Job, JobContext } from '../../../src/jobs/types.js';
import { silentLogger } from '../../../src/log.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { aiRetractHandler } from '../../../src/pipeline/ai-retract-job.js';
import { extractHandler, retractHandler } from '../../../src/pipeline/report-jobs.js';
import { searchObservations } from '../../../src/pipeline/fhir-io.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { AI_METHOD } from '../../../src/findings/types.js';
import { writeTestAiFindings } from '../../support/ai-findings.js';
import { openIdleCore } from '../../support/core.js';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';

const run: JobContext = { signal: new AbortController().signal, attempt: 1, workerId: 't', logger: silentLogger };
const job = (focus: string): Job<FocusPayload> => ({ id: '1', payload: { focus }, attempts: 1 }) as Job<FocusPayload>;

/** `repo` whose first transaction waits for `gate`: the run stalls after its reads, before its write. */
function stalled(repo: Repository, entered: () => void, gate: Promise<void>): Repository {
  let first = true;
  return new Proxy(repo, {
    get(target, prop) {
      if (prop === 'transaction') {
        return async <T>(fn: (r: Repository) => Promise<T>): Promise<T> => {
          if (first) {
            first = false;
            entered();
            await gate;
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
  describe(`retraction against a restoring extraction (${kind})`, () => {
    let db: TestDatabase;
    let core: Core;
    const terminology = getTerminology();
    beforeEach(async () => {
      db = await make();
      core = await openIdleCore(db.url);
    });
    afterEach(async () => {
      await core.close();
      await db.drop();
    });

    it('a report restored while its retraction runs keeps the findings of the restored version', async () => {
      const patient = await core.repo.create<Patient>({ resourceType: 'Patient' });
      const v1 = await core.repo.create<DiagnosticReport>({
        resourceType: 'DiagnosticReport',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
        subject: { reference: `Patient/${patient.id}` },
        conclusion: 'Small left pleural effusion.',
      });
      const focus = `DiagnosticReport/${v1.id}`;
      const extract = extractHandler({ ctx: core.ctx, terminology, organization: 'T' });
      await extract(job(focus), run);
      const live = async (): Promise<Observation[]> =>
        (await searchObservations(core.ctx, { 'derived-from': focus })).filter((o) => o.status !== 'entered-in-error');
      assert.ok((await live()).length > 0);

      const { resource: v2 } = await core.repo.update({ ...v1, status: 'entered-in-error' });
      let entered: () => void = () => undefined;
      let wake: () => void = () => undefined;
      const inWrite = new Promise<void>((r) => (entered = r));
      const gate = new Promise<void>((r) => (wake = r));
      const ctx = { ...core.ctx, repo: stalled(core.ctx.repo, entered, gate) };
      const retraction = retractHandler({ ctx, terminology, organization: 'T' })(job(focus), run);
      await inWrite; // it found the report withdrawn and its findings live

      await core.repo.update({ ...v2, status: 'final' }); // restored
      await extract(job(focus), run); // the restored version's extraction
      const restored = await live();
      assert.ok(restored.length > 0);
      wake();
      await retraction.catch(() => undefined); // refused or retried: either way it must not withdraw
      assert.deepEqual(
        (await live()).map((o) => o.id).sort(),
        restored.map((o) => o.id).sort(),
        'the restored report keeps its findings',
      );
    });

    it('a study made available again while its AI retraction runs keeps the outputs of its new classification', async () => {
      const available = await core.repo.create<ImagingStudy>({
        resourceType: 'ImagingStudy',
        status: 'available',
        identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3.66.1' }],
        subject: { reference: 'Patient/p1' },
      });
      const focus = `ImagingStudy/${available.id}`;
      await writeTestAiFindings(core.ctx, available);
      const live = async (): Promise<Observation[]> =>
        (await searchObservations(core.ctx, { 'part-of': focus, method: AI_METHOD })).filter(
          (o) => o.status !== 'entered-in-error',
        );
      assert.ok((await live()).length > 0);

      const { resource: withdrawn } = await core.repo.update<ImagingStudy>({
        ...available,
        status: 'entered-in-error',
      });
      let entered: () => void = () => undefined;
      let wake: () => void = () => undefined;
      const inWrite = new Promise<void>((r) => (entered = r));
      const gate = new Promise<void>((r) => (wake = r));
      const ctx = { ...core.ctx, repo: stalled(core.ctx.repo, entered, gate) };
      const retraction = aiRetractHandler({ ctx, terminology })(job(focus), run);
      await inWrite; // it found the study withdrawn and its AI findings live

      const { resource: again } = await core.repo.update<ImagingStudy>({ ...withdrawn, status: 'available' });
      await writeTestAiFindings(core.ctx, again); // the new classification's outputs
      const classified = await live();
      assert.ok(classified.length > 0);
      wake();
      await retraction.catch(() => undefined);
      assert.deepEqual(
        (await live()).map((o) => `${o.id}/${o.meta?.versionId}`),
        classified.map((o) => `${o.id}/${o.meta?.versionId}`),
        'the study keeps its AI findings',
      );
    });
  });
}
