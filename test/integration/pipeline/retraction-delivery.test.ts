// A retraction tells the RIS even when its retry finds the withdrawal already written: the first run can stop after
// its commit and before queueing the outbound ORU (a crash, or the enqueue failing), and the retry must not conclude
// from "nothing left to withdraw" that nothing needs sending. Both retractions: a deleted report's findings
// (report.retract) and a deleted study's AI findings (imaging.retract), run as the worker runs them.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, ImagingStudy } from 'fhir/r4.js';
import type { Job, JobContext } from '../../../src/jobs/types.js';
import { silentLogger } from '../../../src/log.js';
import { retractAiOutputs } from '../../../src/pipeline/ai-retract-job.js';
import type { FocusPayload } from '../../../src/pipeline/job-types.js';
import { extractHandler, retractHandler } from '../../../src/pipeline/report-jobs.js';
import { getTerminology } from '../../../src/terminology/load.js';
import { sqliteDatabase } from '../../support/databases.js';
import { writeTestAiFindings } from '../../support/ai-findings.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const terminology = getTerminology();
const job = (focus: string): Job<FocusPayload> =>
  ({ id: 'j', type: 'test', payload: { focus }, attempts: 1 }) as Job<FocusPayload>;
const context: JobContext = {
  signal: new AbortController().signal,
  attempt: 1,
  workerId: 'test',
  logger: silentLogger,
};

/** onFindings that fails on its first call (the enqueue after the commit) and records the later ones. */
function failingOnce(): { calls: string[]; onFindings: (focus: string) => Promise<void> } {
  const calls: string[] = [];
  let failed = false;
  return {
    calls,
    onFindings: async (focus) => {
      if (!failed) {
        failed = true;
        throw new Error('enqueue failed');
      }
      calls.push(focus);
    },
  };
}

describe('a retraction retried after its commit still sends the withdrawal on', () => {
  let server: TestServer;
  let study: ImagingStudy;
  before(async () => {
    server = await startTestServer(sqliteDatabase());
    const body: ImagingStudy = {
      resourceType: 'ImagingStudy',
      status: 'registered',
      identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.3.4.5.6' }],
      subject: { reference: 'Patient/p1' },
    };
    study = (await fhirFetch(server, 'ImagingStudy', { method: 'POST', body })).body as ImagingStudy;
  });
  after(async () => server.stop());

  it('report.retract for a deleted report', async () => {
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
      subject: { reference: 'Patient/p1' },
      imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
      conclusion: 'Small left pleural effusion. No pneumothorax.',
    };
    const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report })).body as DiagnosticReport;
    const focus = `DiagnosticReport/${dr.id}`;
    const deps = { ctx: server.ctx, terminology, organization: 'Test' };
    await extractHandler(deps)(job(focus), context);
    assert.equal((await fhirFetch(server, focus, { method: 'DELETE' })).status, 204);
    const ris = failingOnce();
    const retract = retractHandler({ ...deps, onFindings: ris.onFindings });
    await assert.rejects(retract(job(focus), context), /enqueue failed/);
    await retract(job(focus), context);
    assert.deepEqual(ris.calls, [focus]);
  });

  it('imaging.retract for a deleted study', async () => {
    await writeTestAiFindings(server.ctx, study);
    const focus = `ImagingStudy/${study.id}`;
    assert.equal((await fhirFetch(server, focus, { method: 'DELETE' })).status, 204);
    const ris = failingOnce();
    const deps = { ctx: server.ctx, terminology, onFindings: ris.onFindings };
    await assert.rejects(retractAiOutputs(deps, study.id!), /enqueue failed/);
    await retractAiOutputs(deps, study.id!);
    assert.deepEqual(ris.calls, [focus]);
  });
});
