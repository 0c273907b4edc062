// End to end over HTTP: a DiagnosticReport with text -> outbox job -> extraction -> Observations, Provenance and a
// completed Task; idempotent re-runs, amended and deleted reports, and bad report content — on both databases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, DiagnosticReport, Observation, Patient, Task } from 'fhir/r4.js';
import { REPORT_EXTRACT } from '../../../src/pipeline/job-types.js';
import { CT_ABNORMALITY } from '../../../src/terminology/systems.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const REPORT = `FINDINGS: There is a small left pleural effusion. No pneumothorax. A 14 mm nodule in the right upper lobe.
IMPRESSION: Left pleural effusion. Right upper lobe nodule.`;

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');

function report(patientId: string, text: string, extra: Partial<DiagnosticReport> = {}): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    status: 'final',
    category: [{ coding: [{ system: 'http://loinc.org', code: 'LP29684-5' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: '2024-05-01T09:00:00Z',
    issued: '2024-05-01T10:00:00Z',
    presentedForm: [{ contentType: 'text/plain', data: b64(text) }],
    ...extra,
  };
}

/** Waits until at least `count` jobs focused on the report have finished and none is pending; returns the newest. */
async function waitForTask(server: TestServer, reportId: string, count = 1): Promise<Task> {
  for (let i = 0; i < 300; i++) {
    const res = await fhirFetch(server, `Task?focus=DiagnosticReport/${reportId}&_sort=-authored-on`);
    const tasks = ((res.body as Bundle).entry ?? []).map((e) => e.resource as Task);
    const finished = tasks.filter((t) => ['completed', 'failed'].includes(t.status));
    if (finished.length >= count && finished.length === tasks.length) return finished[0]!;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`fewer than ${count} finished Tasks for DiagnosticReport/${reportId}`);
}

async function findings(server: TestServer, reportId: string): Promise<Observation[]> {
  const res = await fhirFetch(server, `Observation?derived-from=DiagnosticReport/${reportId}&_count=200`);
  return ((res.body as Bundle).entry ?? [])
    .filter((e) => e.search?.mode === 'match')
    .map((e) => e.resource as Observation);
}

const codeOf = (o: Observation): string | undefined => o.code.coding?.find((c) => c.system === CT_ABNORMALITY)?.code;

for (const { kind, make } of databaseKinds) {
  describe(`report-label extraction through FHIR (${kind})`, () => {
    let server: TestServer;
    let patient: Patient;
    before(async () => {
      server = await startTestServer(await make(), { WORKERS: '1' });
      patient = (
        await fhirFetch(server, 'Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family: 'Pipeline' }] },
        })
      ).body as Patient;
    });
    after(async () => server.stop());

    it('writes coded Observations with evidence, Provenance and a completed Task', async () => {
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report(patient.id!, REPORT) }))
        .body as DiagnosticReport;
      const task = await waitForTask(server, dr.id!);
      assert.equal(task.status, 'completed', JSON.stringify(task.statusReason));
      const obs = await findings(server, dr.id!);
      const effusion = obs.find((o) => codeOf(o) === 'pleural_effusion');
      assert.ok(effusion, `pleural effusion among ${obs.map(codeOf).join(',')}`);
      assert.equal(effusion.valueCodeableConcept?.coding?.[0]?.code, '52101004');
      assert.equal(effusion.subject?.reference, `Patient/${patient.id}`);
      assert.ok(effusion.device?.reference?.startsWith('Device/'));
      assert.match(effusion.note?.[0]?.text ?? '', /pleural effusion/i);
      const pneumo = obs.find((o) => codeOf(o) === 'pneumothorax');
      assert.equal(pneumo?.interpretation?.[0]?.coding?.[0]?.code, 'NEG');
      assert.ok(obs.some((o) => codeOf(o) === 'nodulegr1cm'));
      const prov = await fhirFetch(
        server,
        `Observation?patient=${patient.id}&category=imaging&code=${CT_ABNORMALITY}|pleural_effusion&_revinclude=Provenance:target`,
      );
      const entries = (prov.body as Bundle).entry ?? [];
      assert.ok(entries.some((e) => e.search?.mode === 'include' && e.resource?.resourceType === 'Provenance'));
      const rev = await fhirFetch(
        server,
        `DiagnosticReport?patient=${patient.id}&_revinclude=Observation:derived-from`,
      );
      assert.ok(((rev.body as Bundle).entry ?? []).some((e) => e.search?.mode === 'include'));
      const device = await fhirFetch(server, effusion.device!.reference!);
      assert.equal(device.status, 200);
    });

    it('creates nothing new when the same report version is processed again', async () => {
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report(patient.id!, REPORT) }))
        .body as DiagnosticReport;
      await waitForTask(server, dr.id!);
      const before = await fhirFetch(server, '_history?_count=1');
      const first = await findings(server, dr.id!);
      await server.queue.enqueue({ type: REPORT_EXTRACT, payload: { focus: `DiagnosticReport/${dr.id}` } });
      const task = await waitForTask(server, dr.id!, 2);
      assert.equal(task.status, 'completed');
      const second = await findings(server, dr.id!);
      assert.deepEqual(
        second.map((o) => `${o.id}@${o.meta?.versionId}`).sort(),
        first.map((o) => `${o.id}@${o.meta?.versionId}`).sort(),
      );
      // Only the job's own Task changed: no Observation, Device or Provenance version was written.
      const after = await fhirFetch(
        server,
        `_history?_since=${encodeURIComponent((before.body as Bundle).entry![0]!.resource!.meta!.lastUpdated!)}&_count=100`,
      );
      const types = new Set(
        ((after.body as Bundle).entry ?? []).map((e) => e.resource?.resourceType ?? e.request?.url.split('/')[0]),
      );
      assert.deepEqual(
        [...types].filter((t) => t !== 'Task'),
        [],
      );
    });

    it('does not re-extract when a new report version changes nothing the findings are made from', async () => {
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report(patient.id!, REPORT) }))
        .body as DiagnosticReport;
      await waitForTask(server, dr.id!);
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, {
        method: 'PUT',
        body: { ...dr, meta: undefined, performer: [{ display: 'Radiology department' }] },
      });
      await new Promise((r) => setTimeout(r, 300));
      const tasks = await fhirFetch(server, `Task?focus=DiagnosticReport/${dr.id}`);
      assert.equal((tasks.body as Bundle).entry?.length, 1);
    });

    it('supersedes findings an amended report drops, and retracts them all when the report is deleted', async () => {
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report(patient.id!, REPORT) }))
        .body as DiagnosticReport;
      await waitForTask(server, dr.id!);
      const amended = report(patient.id!, 'FINDINGS: Small left pleural effusion. IMPRESSION: Left pleural effusion.', {
        id: dr.id,
        status: 'amended',
      });
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, { method: 'PUT', body: amended });
      await waitForTask(server, dr.id!, 2);
      let obs = await findings(server, dr.id!);
      assert.equal(obs.find((o) => codeOf(o) === 'nodulegr1cm')?.status, 'entered-in-error');
      assert.equal(obs.find((o) => codeOf(o) === 'pleural_effusion')?.status, 'amended');
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, { method: 'DELETE' });
      for (let i = 0; i < 100; i++) {
        obs = await findings(server, dr.id!);
        if (obs.every((o) => o.status === 'entered-in-error')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(obs.length > 0 && obs.every((o) => o.status === 'entered-in-error'));
    });

    it('supersedes all its findings when an amendment removes the report text', async () => {
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report(patient.id!, REPORT) }))
        .body as DiagnosticReport;
      await waitForTask(server, dr.id!);
      assert.ok((await findings(server, dr.id!)).some((o) => o.status !== 'entered-in-error'));
      const { presentedForm: _text, ...emptied } = dr;
      const put = await fhirFetch(server, `DiagnosticReport/${dr.id}`, {
        method: 'PUT',
        body: { ...emptied, status: 'amended' },
      });
      assert.equal(put.status, 200);
      await waitForTask(server, dr.id!, 2);
      const obs = await findings(server, dr.id!);
      assert.ok(
        obs.length > 0 && obs.every((o) => o.status === 'entered-in-error'),
        obs.map((o) => `${codeOf(o)} ${o.status}`).join(', '),
      );
    });

    it('a report withdrawn while its extraction runs: the run withdraws what it wrote', async () => {
      // The report's text is a Binary: the withdrawal lands while the job reads it, after the job read the report.
      const text = (
        await fhirFetch(server, 'Binary', {
          method: 'POST',
          body: { resourceType: 'Binary', contentType: 'text/plain', data: b64(REPORT) },
        })
      ).body as { id: string };
      // Stored without text first (nothing to extract), so its id is known before the extraction can start.
      const { presentedForm: _none, ...bare } = report(patient.id!, REPORT);
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: bare })).body as DiagnosticReport;
      const repo = server.repo;
      const read = repo.read.bind(repo);
      repo.read = (async (type: string, id: string) => {
        if (type === 'Binary' && id === text.id) {
          repo.read = read;
          const put = await fhirFetch(server, `DiagnosticReport/${dr.id}`, {
            method: 'PUT',
            body: { ...dr, status: 'entered-in-error' },
          });
          assert.equal(put.status, 200);
        }
        return read(type, id);
      }) as typeof repo.read;
      const withText = { ...dr, presentedForm: [{ contentType: 'text/plain', url: `Binary/${text.id}` }] };
      const put = await fhirFetch(server, `DiagnosticReport/${dr.id}`, { method: 'PUT', body: withText });
      assert.equal(put.status, 200);
      await waitForTask(server, dr.id!, 2);
      const extract = (
        ((await fhirFetch(server, `Task?focus=DiagnosticReport/${dr.id}&code=${REPORT_EXTRACT}`)).body as Bundle)
          .entry ?? []
      ).map((e) => e.resource as Task);
      assert.equal(extract.length, 1);
      assert.equal(extract[0]!.status, 'completed');
      assert.match(extract[0]!.note?.[0]?.text ?? '', /entered-in-error/, 'the extraction withdrew its own findings');
      const obs = await findings(server, dr.id!);
      assert.ok(obs.length > 0);
      assert.ok(
        obs.every((o) => o.status === 'entered-in-error'),
        obs.map((o) => `${codeOf(o)} ${o.status}`).join(', '),
      );
    });

    it('retracts the findings of a report marked entered-in-error, and writes them again when it is restored', async () => {
      const dr = (await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body: report(patient.id!, REPORT) }))
        .body as DiagnosticReport;
      await waitForTask(server, dr.id!);
      const live = await findings(server, dr.id!);
      assert.ok(live.length > 0 && live.every((o) => o.status === 'final'));
      // Withdrawn, as a RIS cancellation sends it: no text left, status entered-in-error.
      const { presentedForm: _text, ...withoutText } = report(patient.id!, REPORT);
      const withdrawn = { ...withoutText, id: dr.id, status: 'entered-in-error' as const };
      assert.equal(
        (await fhirFetch(server, `DiagnosticReport/${dr.id}`, { method: 'PUT', body: withdrawn })).status,
        200,
      );
      await waitForTask(server, dr.id!, 2);
      let obs = await findings(server, dr.id!);
      assert.equal(obs.length, live.length);
      assert.ok(
        obs.every((o) => o.status === 'entered-in-error'),
        'no finding of a withdrawn report stays live',
      );
      const restored = report(patient.id!, REPORT, { id: dr.id, status: 'corrected' });
      await fhirFetch(server, `DiagnosticReport/${dr.id}`, { method: 'PUT', body: restored });
      await waitForTask(server, dr.id!, 3);
      obs = await findings(server, dr.id!);
      assert.equal(obs.length, live.length);
      assert.ok(obs.every((o) => o.status === 'corrected'));
    });

    const bad: { name: string; form: DiagnosticReport['presentedForm']; reason: RegExp }[] = [
      {
        name: 'an unknown content type',
        form: [{ contentType: 'application/pdf', data: b64('%PDF-1.4') }],
        reason: /not text\/plain/,
      },
      {
        name: 'binary bytes',
        form: [{ contentType: 'text/plain', data: b64(Buffer.from([0, 1, 2, 255, 254, 0, 7])) }],
        reason: /not text/,
      },
      {
        name: 'a 700 kB report',
        form: [{ contentType: 'text/plain', data: b64('Findings: normal. '.repeat(40_000)) }],
        reason: /over the/,
      },
    ];
    for (const c of bad) {
      it(`fails the job with a clear reason for ${c.name}, writing no findings`, async () => {
        const dr = (
          await fhirFetch(server, 'DiagnosticReport', {
            method: 'POST',
            body: { ...report(patient.id!, ''), presentedForm: c.form },
          })
        ).body as DiagnosticReport;
        const task = await waitForTask(server, dr.id!);
        assert.equal(task.status, 'failed');
        assert.match(task.statusReason?.text ?? '', c.reason);
        assert.equal((await findings(server, dr.id!)).length, 0);
      });
    }

    it('refuses a report with 1 MB of inline text at the API with a 400 OperationOutcome, storing nothing', async () => {
      const body = {
        ...report(patient.id!, ''),
        identifier: [{ system: 'urn:big', value: kind }],
        presentedForm: [{ contentType: 'text/plain', data: b64('x'.repeat(1_048_576)) }],
      };
      const res = await fhirFetch(server, 'DiagnosticReport', { method: 'POST', body });
      assert.equal(res.status, 400);
      assert.match(JSON.stringify(res.body), /presentedForm/);
      const found = await fhirFetch(server, `DiagnosticReport?identifier=urn:big|${kind}`);
      assert.equal((found.body as Bundle).entry?.length ?? 0, 0);
    });

    it('completes with zero findings for an empty report or one without a findings section', async () => {
      const dr = (
        await fhirFetch(server, 'DiagnosticReport', {
          method: 'POST',
          body: report(patient.id!, 'CLINICAL HISTORY: cough. TECHNIQUE: CT chest without contrast.'),
        })
      ).body as DiagnosticReport;
      const task = await waitForTask(server, dr.id!);
      assert.equal(task.status, 'completed');
      assert.equal((await findings(server, dr.id!)).length, 0);
    });
  });
}
