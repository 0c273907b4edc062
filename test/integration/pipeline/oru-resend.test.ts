// An extraction that runs again after its findings were written and sent (its worker was killed after the commit and
// before its completion was recorded, or a step after the commit failed and the job was retried) writes nothing new,
// and queues the delivery again: the RIS then gets the same ORU^R01 a second time, from another hl7.oru-out job. It
// must carry the same MSH-10, so that the RIS recognises the resend (HL7 v2.5.1 2.14.9.10), as a resend by the same
// job does.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation } from 'fhir/r4.js';
import type { Bundle } from 'fhir/r4.js';
import { REPORT_EXTRACT } from '../../../src/pipeline/job-types.js';
import { HL7_ORU_OUT } from '../../../src/pipeline/oru-out.js';
import { databaseKinds } from '../../support/databases.js';
import { waitFor } from '../../support/jobs-process.js';
import { postPatient, postReport, postStudy } from '../../support/outbound-study.js';
import { startRis, type RecordingRis } from '../../support/ris.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const msh10 = (message: string): string => message.split('\r')[0]!.split('|')[9]!;
/** The message after MSH, without the send times (MSH-7, and OBR-7 and OBX-14 where FHIR has no time). */
const body = (message: string): string =>
  message
    .split('\r')
    .slice(1)
    .join('\r')
    .replace(/\d{14}[+-]\d{4}/g, 'T');

for (const { kind, make } of databaseKinds) {
  describe(`an unchanged delivery sent again by a new job (${kind})`, () => {
    let server: TestServer;
    let ris: RecordingRis;
    before(async () => {
      ris = await startRis();
      server = await startTestServer(await make(), {
        WORKERS: '1',
        HL7_OUTBOUND: `127.0.0.1:${ris.port}`,
      });
    });
    after(async () => {
      await server.stop();
      await ris.close();
    });

    const completed = (type: string): Promise<number> =>
      server.queue
        .jobs("SELECT * FROM job WHERE type = :type AND status = 'completed'", { type })
        .then((jobs) => jobs.length);

    it('carries the MSH-10 of the first send, and the findings are not written twice', async () => {
      const patient = await postPatient(server, `MRN-RESEND-${kind}`);
      const study = await postStudy(server, {
        subject: `Patient/${patient.id}`,
        uid: kind === 'sqlite' ? '1.2.3.88.1' : '1.2.3.88.2',
        accession: `ACC-RESEND-${kind}`,
        status: 'available',
      });
      const dr = await postReport(server, { patient, study, text: 'Small left pleural effusion. No pneumothorax.' });
      const focus = `DiagnosticReport/${dr.id}`;
      const first = await ris.arrival(`ACC-RESEND-${kind}`);
      await waitFor('the first delivery', async () => ((await completed(HL7_ORU_OUT)) === 1 ? true : undefined));
      const obs = async (): Promise<Observation[]> =>
        ((await fhirFetch(server, `Observation?derived-from=${focus}&_count=100`)).body as Bundle).entry!.map(
          (e) => e.resource as Observation,
        );
      const before = await obs();

      // The extraction runs again (the retry of a run whose completion was not recorded).
      const from = ris.received.length;
      await server.queue.enqueue({ type: REPORT_EXTRACT, payload: { focus }, dedupeKey: `${REPORT_EXTRACT}:${focus}` });
      await waitFor('the second delivery', async () => ((await completed(HL7_ORU_OUT)) === 2 ? true : undefined));
      const second = await ris.arrival(`ACC-RESEND-${kind}`, from);

      assert.equal(body(second), body(first), 'the same content');
      assert.equal(msh10(second), msh10(first), 'a resend of the same message keeps its MSH-10');
      assert.deepEqual(
        (await obs()).map((o) => `${o.id}/${o.meta?.versionId}`).sort(),
        before.map((o) => `${o.id}/${o.meta?.versionId}`).sort(),
        'no new Observation, no new version',
      );
    });
  });
}
