// AI findings against report findings for one study, through FHIR on both databases: the AI side is written first
// (as a model, or a third-party AI writing the same Observation shape, would), the report comes later; the comparison
// job then raises DetectedIssues, keeps a reviewer's status, cancels what an amendment resolves, and cancels the rest
// when the report is withdrawn.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, DetectedIssue, DiagnosticReport, ImagingStudy, Observation, Patient } from 'fhir/r4.js';
import { identifierSystem, WORKFLOW_SYSTEM } from '../../../src/findings/codes.js';
import { AI_METHOD } from '../../../src/findings/types.js';
import { CT_ABNORMALITY } from '../../../src/terminology/systems.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for ${what}`);
}

for (const { kind, make } of databaseKinds) {
  describe(`AI/report discrepancies kept current (${kind})`, () => {
    let server: TestServer;
    let patient: Patient;
    let study: ImagingStudy;
    before(async () => {
      server = await startTestServer(await make(), { WORKERS: '1' });
      patient = (
        await fhirFetch(server, 'Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family: 'Cmp' }] },
        })
      ).body as Patient;
      // registered: an order stub, so no classification job runs; the AI side is written below.
      study = (
        await fhirFetch(server, 'ImagingStudy', {
          method: 'POST',
          body: {
            resourceType: 'ImagingStudy',
            status: 'registered',
            identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.826.0.1.3680043.8.498.4711' }],
            subject: { reference: `Patient/${patient.id}` },
          },
        })
      ).body as ImagingStudy;
    });
    after(async () => {
      await server?.stop();
    });

    const ai = (abnormality: string, positive: boolean): Observation => ({
      resourceType: 'Observation',
      status: 'preliminary',
      code: { coding: [{ system: CT_ABNORMALITY, code: abnormality }] },
      subject: { reference: `Patient/${patient.id}` },
      partOf: [{ reference: `ImagingStudy/${study.id}` }],
      method: { coding: [{ system: WORKFLOW_SYSTEM, code: AI_METHOD }] },
      valueQuantity: { value: positive ? 0.9 : 0.1, unit: '1', system: 'http://unitsofmeasure.org', code: '1' },
      interpretation: [
        {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
              code: positive ? 'POS' : 'NEG',
            },
          ],
        },
      ],
    });

    const report = (text: string, extra: Partial<DiagnosticReport> = {}): DiagnosticReport => ({
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
      subject: { reference: `Patient/${patient.id}` },
      imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
      presentedForm: [{ contentType: 'text/plain', data: b64(text) }],
      ...extra,
    });

    /** Every job the writes so far triggered (extraction, then comparison) has finished. */
    const settled = (): Promise<true> =>
      until('the job queue to settle', async () => {
        const pending = await server.queue.jobs("SELECT * FROM job WHERE status IN ('queued', 'running')");
        return pending.length === 0 ? true : undefined;
      });

    const issues = async (): Promise<Map<string, DetectedIssue>> => {
      const res = await fhirFetch(server, `DetectedIssue?implicated=ImagingStudy/${study.id}`);
      const all = ((res.body as Bundle).entry ?? []).map((e) => e.resource as DetectedIssue);
      return new Map(all.map((i) => [i.identifier![0]!.value!.split('/').pop()!, i]));
    };

    it('raises one DetectedIssue per disagreement when the report comes after the AI findings, and keeps them current', async () => {
      for (const [code, positive] of [
        ['pneumothorax', true],
        ['pleural_effusion', false],
        ['cardiomegaly', true],
      ] as const) {
        assert.equal(
          (await fhirFetch(server, 'Observation', { method: 'POST', body: ai(code, positive) })).status,
          201,
        );
      }
      const text = 'FINDINGS: Small left pleural effusion. No pneumothorax. The heart is enlarged (cardiomegaly).';
      // The report arrives before anything names its study (an ORU without the study UID): nothing to compare yet.
      const { imagingStudy: _study, ...unlinked } = report(text);
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: unlinked }))
        .body as DiagnosticReport;
      await settled();
      assert.equal((await issues()).size, 0);
      // Linked to the study later: its findings follow, and the comparison runs.
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, { method: 'PUT', body: report(text, { id: dr.id }) });
      await settled();
      const found = await issues();
      assert.equal(found.size, 2);
      const pneumothorax = found.get('pneumothorax')!;
      assert.equal(pneumothorax.status, 'preliminary');
      assert.equal(pneumothorax.code?.coding?.[0]?.code, 'ai-positive-report-negative');
      assert.equal(pneumothorax.patient?.reference, `Patient/${patient.id}`);
      assert.equal(pneumothorax.implicated?.length, 3, 'the AI finding, the report finding and the study');
      assert.equal(found.get('pleural_effusion')!.code?.coding?.[0]?.code, 'report-positive-ai-negative');
      assert.ok(!found.has('cardiomegaly'), 'agreement raises nothing');

      // A reviewer confirms the pneumothorax discrepancy and records what was done.
      const reviewed: DetectedIssue = {
        ...pneumothorax,
        status: 'final',
        mitigation: [{ action: { text: 'Radiologist re-read requested' } }],
      };
      assert.equal(
        (await fhirFetch(server, `DetectedIssue/${pneumothorax.id}`, { method: 'PUT', body: reviewed })).status,
        200,
      );
      // The report is amended with the same findings in other words: the comparison keeps the review.
      const same = 'FINDINGS: Left pleural effusion, small. There is no pneumothorax. Cardiomegaly.';
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, {
        method: 'PUT',
        body: report(same, { id: dr.id, status: 'amended' }),
      });
      await settled();
      const kept = (await issues()).get('pneumothorax')!;
      assert.equal(kept.status, 'final');
      assert.deepEqual(kept.mitigation, reviewed.mitigation);

      // Amended again, now describing the pneumothorax: that discrepancy is resolved, the other stays as it was.
      const effusionVersion = found.get('pleural_effusion')!.meta?.versionId;
      const agrees = 'FINDINGS: Small left pleural effusion. Small right apical pneumothorax. Cardiomegaly.';
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, {
        method: 'PUT',
        body: report(agrees, { id: dr.id, status: 'corrected' }),
      });
      const resolved = await until('the pneumothorax discrepancy cancelled', async () => {
        const m = await issues();
        return m.get('pneumothorax')?.status === 'cancelled' ? m : undefined;
      });
      assert.equal(resolved.get('pleural_effusion')!.status, 'preliminary');
      assert.equal(resolved.get('pleural_effusion')!.meta?.versionId, effusionVersion, 'unchanged, not rewritten');

      // The report is withdrawn: nothing is left to disagree with.
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, {
        method: 'PUT',
        body: report(agrees, { id: dr.id, status: 'entered-in-error' }),
      });
      const withdrawn = await until('every discrepancy cancelled', async () => {
        const m = await issues();
        return [...m.values()].every((i) => i.status === 'cancelled') ? m : undefined;
      });
      assert.equal(withdrawn.size, 2);
    });

    it("compares the latest model's findings only when a site changes models", async () => {
      const other = (
        await fhirFetch(server, 'ImagingStudy', {
          method: 'POST',
          body: {
            ...study,
            id: undefined,
            meta: undefined,
            identifier: [{ system: 'urn:dicom:uid', value: 'urn:oid:1.2.9.4712' }],
          },
        })
      ).body as ImagingStudy;
      const run = (model: string, issued: string, positive: boolean): Observation => ({
        ...ai('pneumothorax', positive),
        identifier: [{ system: identifierSystem('finding'), value: `ai/${other.id}/${model}/pneumothorax/any` }],
        partOf: [{ reference: `ImagingStudy/${other.id}` }],
        issued,
      });
      await fhirFetch(server, 'Observation', { method: 'POST', body: run('model-a', '2024-05-01T10:00:00Z', true) });
      const text = 'FINDINGS: No pneumothorax.';
      await fhirFetch(server, 'DiagnosticReport', {
        method: 'POST',
        body: report(text, { imagingStudy: [{ reference: `ImagingStudy/${other.id}` }] }),
      });
      await settled();
      const byStudy = async (): Promise<DetectedIssue[]> =>
        ((await fhirFetch(server, `DetectedIssue?implicated=ImagingStudy/${other.id}`)).body as Bundle).entry?.map(
          (e) => e.resource as DetectedIssue,
        ) ?? [];
      assert.deepEqual(
        (await byStudy()).map((i) => i.status),
        ['preliminary'],
      );
      // The site's new model (another name) runs later and agrees with the report: model-a no longer counts.
      await fhirFetch(server, 'Observation', { method: 'POST', body: run('model-b', '2024-06-01T10:00:00Z', false) });
      await settled();
      assert.deepEqual(
        (await byStudy()).map((i) => i.status),
        ['cancelled'],
      );
    });
  });
}
