// The image path end to end (SQLite): a phantom CT series in a file:// Endpoint -> ImagingStudy available -> outbox
// job -> volume -> demo model -> preliminary AI Observations, summary DiagnosticReport, Provenance, and a triage Task;
// $classify re-queues; withdrawing or deleting the study withdraws its AI outputs (also when it is withdrawn while the
// model runs), at the RIS too; a study whose folder has no CT series fails with the reason on its Task, writing nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Bundle, DiagnosticReport, Endpoint, ImagingStudy, Observation, Patient, Task } from 'fhir/r4.js';
import { createPhantom, parseFindings, phantomIdentity, writePhantom } from '../../../src/imaging/phantom/index.js';
import { sqliteDatabase } from '../../support/databases.js';
import { obxOf, startRis, type RecordingRis } from '../../support/ris.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

async function waitForTask(server: TestServer, focus: string, count = 1, code = 'imaging.classify'): Promise<Task> {
  for (let i = 0; i < 600; i++) {
    const tasks = (((await fhirFetch(server, `Task?focus=${focus}&code=${code}`)).body as Bundle).entry ?? []).map(
      (e) => e.resource as Task,
    );
    const done = tasks.filter((t) => ['completed', 'failed'].includes(t.status));
    if (done.length >= count && done.length === tasks.length) return done[0]!;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`no finished ${code} Task for ${focus}`);
}

describe('CT classification through FHIR (sqlite)', () => {
  let server: TestServer;
  let dir: string;
  let patient: Patient;
  let uid: string;
  let ris: RecordingRis;
  /** The study the deletion test deletes. */
  let deleted: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ct-fhir-classify-'));
    const geometry = { nx: 96, ny: 96, nz: 48, dx: 3.5, dy: 3.5, dz: 7 };
    const phantom = createPhantom({
      seed: 4242,
      geometry,
      findings: parseFindings('pleural_effusion@left_lung,pneumothorax@right_lung'),
    });
    const id = phantomIdentity(4242);
    uid = id.studyInstanceUid;
    await writePhantom(phantom, id, join(dir, 'study'));
    // The RIS downstream: every ORU^R01 the findings produce is recorded and acknowledged.
    ris = await startRis();
    server = await startTestServer(sqliteDatabase(), { WORKERS: '1', HL7_OUTBOUND: `127.0.0.1:${ris.port}` });
    patient = (
      await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: {
          resourceType: 'Patient',
          identifier: [{ system: 'urn:mrn', value: 'MRN-CLS' }],
          name: [{ family: 'Phantom' }],
        },
      })
    ).body as Patient;
  });
  after(async () => {
    await server.stop();
    await ris.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function study(folder: string, studyUid: string): Promise<ImagingStudy> {
    const endpoint: Endpoint = {
      resourceType: 'Endpoint',
      status: 'active',
      connectionType: {
        system: 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type',
        code: 'dicom-wado-rs',
      },
      payloadType: [{ text: 'DICOM' }],
      address: pathToFileURL(folder).href,
    };
    const ep = (await fhirFetch(server, 'Endpoint', { method: 'POST', body: endpoint })).body as Endpoint;
    const body: ImagingStudy = {
      resourceType: 'ImagingStudy',
      status: 'available',
      identifier: [
        { system: 'urn:dicom:uid', value: `urn:oid:${studyUid}` },
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }] },
          system: 'urn:accession',
          value: `ACC-CLS-${studyUid.slice(-6)}`,
        },
      ],
      subject: { reference: `Patient/${patient.id}` },
      endpoint: [{ reference: `Endpoint/${ep.id}` }],
    };
    return (await fhirFetch(server, 'ImagingStudy', { method: 'POST', body })).body as ImagingStudy;
  }

  it('writes preliminary AI Observations, a summary report, Provenance and a triage Task', async () => {
    const s = await study(join(dir, 'study'), uid);
    const task = await waitForTask(server, `ImagingStudy/${s.id}`);
    assert.equal(task.status, 'completed', task.statusReason?.text);
    const obs =
      (
        (await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&_count=200&_revinclude=Provenance:target`))
          .body as Bundle
      ).entry ?? [];
    const findings = obs.filter((e) => e.search?.mode === 'match').map((e) => e.resource as Observation);
    assert.ok(findings.length >= 10, `one Observation per model output, got ${findings.length}`);
    for (const o of findings) {
      assert.equal(o.status, 'preliminary');
      assert.equal(o.valueQuantity?.unit, '1');
      assert.ok(['POS', 'NEG'].includes(o.interpretation?.[0]?.coding?.[0]?.code ?? ''));
      assert.deepEqual(o.derivedFrom, [{ reference: `ImagingStudy/${s.id}` }]);
    }
    assert.ok(obs.some((e) => e.search?.mode === 'include' && e.resource?.resourceType === 'Provenance'));
    const reports = (
      ((await fhirFetch(server, `DiagnosticReport?patient=${patient.id}`)).body as Bundle).entry ?? []
    ).map((e) => e.resource as DiagnosticReport);
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.status, 'preliminary');
    assert.match(reports[0]!.conclusion ?? '', /not reviewed/);
    const positives = findings
      .filter((o) => o.interpretation?.[0]?.coding?.[0]?.code === 'POS')
      .map((o) => o.code.coding?.[0]?.code);
    const triage = (
      ((await fhirFetch(server, 'Task?code=triage&status=requested&_sort=-priority')).body as Bundle).entry ?? []
    ).map((e) => e.resource as Task);
    if (positives.includes('pneumothorax')) assert.equal(triage[0]?.priority, 'stat');
  });

  it('re-runs with $classify without duplicating findings', async () => {
    const s = (((await fhirFetch(server, `ImagingStudy?patient=${patient.id}`)).body as Bundle).entry ?? [])[0]!
      .resource as ImagingStudy;
    const before = ((await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&_summary=count`)).body as Bundle)
      .total;
    const res = await fhirFetch(server, `ImagingStudy/${s.id}/$classify`, {
      method: 'POST',
      body: { resourceType: 'Parameters' },
    });
    assert.equal(res.status, 202);
    await waitForTask(server, `ImagingStudy/${s.id}`, 2);
    const afterCount = (
      (await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&_summary=count`)).body as Bundle
    ).total;
    assert.equal(afterCount, before);
  });

  it('withdrawing the study withdraws its AI outputs; making it available again classifies it again', async () => {
    const s = (((await fhirFetch(server, `ImagingStudy?patient=${patient.id}`)).body as Bundle).entry ?? [])[0]!
      .resource as ImagingStudy;
    const aiOutputs = async (): Promise<{ obs: Observation[]; reports: DiagnosticReport[]; triage: Task[] }> => ({
      obs: (
        ((await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&_count=200`)).body as Bundle).entry ?? []
      ).map((e) => e.resource as Observation),
      reports: (((await fhirFetch(server, `DiagnosticReport?patient=${patient.id}`)).body as Bundle).entry ?? []).map(
        (e) => e.resource as DiagnosticReport,
      ),
      triage: (
        ((await fhirFetch(server, `Task?code=triage&focus=ImagingStudy/${s.id}`)).body as Bundle).entry ?? []
      ).map((e) => e.resource as Task),
    });
    const before = await aiOutputs();
    assert.ok(before.obs.length > 0 && before.obs.every((o) => o.status === 'preliminary'));
    assert.equal(before.triage.length, 1, "the phantom's pneumothorax raised a triage Task");
    assert.equal(before.reports.length, 1);
    // The PACS reports the study filed under the wrong patient.
    const withdrawn = { ...s, status: 'entered-in-error' as const };
    assert.equal((await fhirFetch(server, `ImagingStudy/${s.id}`, { method: 'PUT', body: withdrawn })).status, 200);
    const retracted = await waitForTask(server, `ImagingStudy/${s.id}`, 1, 'imaging.retract');
    assert.equal(retracted.status, 'completed', retracted.statusReason?.text);
    const gone = await aiOutputs();
    assert.equal(gone.obs.length, before.obs.length);
    assert.ok(
      gone.obs.every((o) => o.status === 'entered-in-error'),
      'no AI finding stays live',
    );
    assert.ok(
      gone.reports.every((r) => r.status === 'entered-in-error'),
      'the AI summary is withdrawn',
    );
    for (const t of gone.triage) {
      assert.equal(t.status, 'cancelled');
      assert.equal(t.statusReason?.coding?.[0]?.code, 'study-withdrawn');
    }
    const worklist = (await fhirFetch(server, `Task?code=triage&status=requested&focus=ImagingStudy/${s.id}`))
      .body as Bundle;
    assert.equal(worklist.entry?.length ?? 0, 0, 'off the worklist');

    // Refiled correctly: available again, classified again, the same resources live again.
    await fhirFetch(server, `ImagingStudy/${s.id}`, { method: 'PUT', body: { ...s, status: 'available' } });
    await waitForTask(server, `ImagingStudy/${s.id}`, 3);
    const back = await aiOutputs();
    assert.equal(back.obs.length, before.obs.length);
    assert.ok(back.obs.every((o) => o.status === 'preliminary'));
    assert.deepEqual(
      back.triage.map((t) => [t.id, t.status]),
      before.triage.map((t) => [t.id, 'requested']),
    );
  });

  it('a study withdrawn while the model runs: the run withdraws what it wrote', async () => {
    const s = (((await fhirFetch(server, `ImagingStudy?patient=${patient.id}`)).body as Bundle).entry ?? [])[0]!
      .resource as ImagingStudy;
    // The PACS withdraws the study after the job has read it, while the model runs: whatever the retraction job it
    // queues finds, the findings this run writes come after, so only the run's own check can withdraw them.
    const models = server.models;
    const use = models.use.bind(models);
    models.use = async (job) => {
      models.use = use;
      const put = await fhirFetch(server, `ImagingStudy/${s.id}`, {
        method: 'PUT',
        body: { ...s, status: 'entered-in-error' },
      });
      assert.equal(put.status, 200);
      return use(job);
    };
    const res = await fhirFetch(server, `ImagingStudy/${s.id}/$classify`, {
      method: 'POST',
      body: { resourceType: 'Parameters' },
    });
    assert.equal(res.status, 202);
    const tasks = async (): Promise<Task[]> =>
      (
        (
          (await fhirFetch(server, `Task?focus=ImagingStudy/${s.id}&code=imaging.classify&_sort=-_lastUpdated`))
            .body as Bundle
        ).entry ?? []
      ).map((e) => e.resource as Task);
    await waitForTask(server, `ImagingStudy/${s.id}`, 4);
    const run = (await tasks()).find((t) => /entered-in-error/.test(t.note?.[0]?.text ?? ''));
    assert.ok(run, JSON.stringify((await tasks()).map((t) => t.note?.[0]?.text)));
    assert.equal(run.status, 'completed');
    await waitForTask(server, `ImagingStudy/${s.id}`, 2, 'imaging.retract');
    const live = (await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&status:not=entered-in-error`))
      .body as Bundle;
    assert.equal(live.entry?.length ?? 0, 0, 'no AI finding of the withdrawn study stays live');
    // Refiled: classified again, for the deletion below.
    await fhirFetch(server, `ImagingStudy/${s.id}`, { method: 'PUT', body: { ...s, status: 'available' } });
    await waitForTask(server, `ImagingStudy/${s.id}`, 5);
  });

  it('deleting the study withdraws its AI findings here and at the RIS (OBX-11 D)', async () => {
    const s = (((await fhirFetch(server, `ImagingStudy?patient=${patient.id}`)).body as Bundle).entry ?? [])[0]!
      .resource as ImagingStudy;
    const sent = obxOf(await ris.arrival('ACC-CLS-'));
    assert.ok(sent.length > 0 && sent.some((seg) => seg.split('|')[11] === 'P'), 'the AI findings went out as P');
    // Whatever the earlier tests queued (deliveries of re-runs) has gone out before the deletion.
    for (let i = 0; i < 300; i++) {
      const pending = await server.queue.jobs("SELECT * FROM job WHERE status IN ('queued', 'running')");
      if (pending.length === 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const before = ris.received.length;
    assert.equal((await fhirFetch(server, `ImagingStudy/${s.id}`, { method: 'DELETE' })).status, 204);
    deleted = s.id!;
    const withdrawn = obxOf(await ris.arrival('ACC-CLS-', before));
    assert.ok(withdrawn.length > 0 && withdrawn.every((seg) => seg.split('|')[11] === 'D'), withdrawn.join('\n'));
    const live = (await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&status:not=entered-in-error`))
      .body as Bundle;
    assert.equal(live.entry?.length ?? 0, 0);
  });

  it('a classification queued for a study deleted since completes without classifying, not retried', async () => {
    const focus = `ImagingStudy/${deleted}`;
    const done = (((await fhirFetch(server, `Task?focus=${focus}&code=imaging.classify`)).body as Bundle).entry ?? [])
      .length;
    await server.queue.enqueue({ type: 'imaging.classify', payload: { focus } });
    const task = await waitForTask(server, focus, done + 1);
    const latest = ((
      (await fhirFetch(server, `Task?focus=${focus}&code=imaging.classify&_sort=-_lastUpdated`)).body as Bundle
    ).entry ?? [])[0]?.resource as Task;
    assert.equal(task.status, 'completed');
    assert.equal(latest.status, 'completed', latest.statusReason?.text);
    assert.match(latest.note?.[0]?.text ?? '', /deleted; not classified/);
  });

  it('fails clearly, writing nothing, when the study has no usable CT series', async () => {
    const empty = join(dir, 'empty');
    rmSync(empty, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(empty));
    const s = await study(empty, '1.2.826.0.1.3680043.8.498.999');
    const task = await waitForTask(server, `ImagingStudy/${s.id}`);
    assert.equal(task.status, 'failed');
    assert.ok((task.statusReason?.text ?? '').length > 10, task.statusReason?.text);
    const obs = (await fhirFetch(server, `Observation?part-of=ImagingStudy/${s.id}&_summary=count`)).body as Bundle;
    assert.equal(obs.total, 0);
  });
});
