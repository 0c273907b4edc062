// The whole loop on both databases: the RIS (real node-hl7-client) sends an ORU^R01 over MLLP -> AA after commit ->
// DiagnosticReport -> extraction job -> coded Observations searchable over FHIR -> ORU^R01 with the findings to the
// downstream RIS listener (HL7_OUTBOUND), acknowledged AA; the RIS then cancels the report, and the findings it was
// sent come back withdrawn (OBX-11 D), as they do when a report is deleted over FHIR.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, DiagnosticReport, Observation } from 'fhir/r4.js';
import { Client, Message } from 'node-hl7-client';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { CT_ABNORMALITY } from '../../../src/terminology/systems.js';
import { databaseKinds } from '../../support/databases.js';
import { freePort } from '../../support/ports.js';
import { startRis, type RecordingRis } from '../../support/ris.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const ORU = [
  'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240316120000||ORU^R01^ORU_R01|E2E-{n}|P|2.5.1',
  'PID|1||MRN-E2E-{n}^^^&2.16.840.1.113883.19.5&ISO^MR||DOE^JANE||19600101|F',
  'ORC|RE|PL-E2E-{n}^RIS|FI-E2E-{n}^PACS||CM',
  'OBR|1|PL-E2E-{n}^RIS|FI-E2E-{n}^PACS|24627-2^CT Chest^LN|||20240316110000|||||||||||ACC-E2E-{n}||||20240316115500||CT|F',
  'OBX|1|TX|18782-3^Findings^LN|1|FINDINGS: Moderate left pleural effusion.\\.br\\No pneumothorax.||||||F',
  'OBX|2|TX|19005-8^Impression^LN|2|IMPRESSION: Left pleural effusion.||||||F',
  'OBX|3|ST|110180^Study Instance UID^DCM||1.2.826.0.1.3680043.8.498.{n}||||||F',
].join('\r');

for (const { kind, make } of databaseKinds) {
  describe(`HL7 v2 in, FHIR findings, ORU^R01 out (${kind})`, () => {
    let server: TestServer;
    let downstream: RecordingRis;
    before(async () => {
      downstream = await startRis();
      server = await startTestServer(await make(), {
        WORKERS: '1',
        MLLP_PORT: String(await freePort()),
        HL7_OUTBOUND: `127.0.0.1:${downstream.port}`,
      });
    });
    after(async () => {
      await server.stop();
      await downstream.close();
    });

    /** Sends one message as the RIS does (node-hl7-client over MLLP) and resolves with the ACK. */
    const send = async (text: string): Promise<Message> => {
      const client = new Client({ host: '127.0.0.1' });
      try {
        return await new Promise<Message>((resolve) => {
          const conn = client.createConnection({ port: server.mllpPort!, waitAck: false }, (res) =>
            resolve(res.getMessage()),
          );
          void conn.sendMessage(new Message({ text }));
        });
      } finally {
        client.closeAll();
      }
    };

    it('acknowledges AA, writes searchable findings and sends them back as ORU^R01', async () => {
      const n = kind === 'sqlite' ? '1' : '2';
      const ack = await send(ORU.replaceAll('{n}', n));
      assert.equal(ack.get('MSA.1').toString(), 'AA');
      assert.equal(ack.get('MSA.2').toString(), `E2E-${n}`);

      const text = await downstream.arrival(`ACC-E2E-${n}`);
      assert.equal(Hl7Message.parse(text).get('MSH-9.1'), 'ORU');
      const obx = text.split(/\r\n?|\n/).filter((s) => s.startsWith('OBX|'));
      assert.ok(
        obx.some((s) => s.includes('pleural_effusion') && s.includes('52101004')),
        obx.join('\n'),
      );

      const obs = await fhirFetch(
        server,
        `Observation?category=imaging&code=${CT_ABNORMALITY}|pleural_effusion&_count=50`,
      );
      const found = ((obs.body as Bundle).entry ?? []).map((e) => e.resource as Observation);
      assert.ok(found.some((o) => o.interpretation?.[0]?.coding?.[0]?.code === 'POS'));
      // The delivery job's Task turns completed once the downstream ACK is recorded (just after the ORU arrived).
      let completed = 0;
      for (let i = 0; i < 200 && completed === 0; i++) {
        const tasks = await fhirFetch(server, 'Task?code=hl7.oru-out&status=completed');
        completed = ((tasks.body as Bundle).entry ?? []).length;
        if (completed === 0) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(completed >= 1, 'the hl7.oru-out Task is completed');

      // The RIS cancels the report (OBR-25 X, no report text): the findings are withdrawn here and downstream.
      const cancel = ORU.replaceAll('{n}', n)
        .replace(`E2E-${n}|P|2.5.1`, `E2E-${n}-X|P|2.5.1`)
        .replace('||CT|F', '||CT|X')
        .split('\r')
        .filter((seg) => !/^OBX\|[12]\|/.test(seg))
        .join('\r');
      const before = downstream.received.length;
      assert.equal((await send(cancel)).get('MSA.1').toString(), 'AA');
      const withdrawn = await downstream.arrival(`ACC-E2E-${n}`, before);
      const segments = withdrawn.split(/\r\n?|\n/);
      assert.equal(segments.find((seg) => seg.startsWith('OBR|'))?.split('|')[25], 'C');
      const lines = segments.filter((seg) => seg.startsWith('OBX|'));
      assert.ok(lines.length >= obx.length, lines.join('\n'));
      assert.ok(
        lines.every((seg) => seg.split('|')[11] === 'D'),
        lines.join('\n'),
      );
      const effusion = `Observation?code=${CT_ABNORMALITY}|pleural_effusion&patient.identifier=MRN-E2E-${n}`;
      const all = ((await fhirFetch(server, effusion)).body as Bundle).entry ?? [];
      assert.ok(all.length > 0);
      const live = ((await fhirFetch(server, `${effusion}&status:not=entered-in-error`)).body as Bundle).entry ?? [];
      assert.equal(live.length, 0);
    });

    // The second case deletes the study first: the report's withdrawal still needs the study's accession and UID.
    for (const [n, studyFirst] of kind === 'sqlite'
      ? ([
          ['3', false],
          ['5', true],
        ] as const)
      : ([
          ['4', false],
          ['6', true],
        ] as const)) {
      it(`a report deleted over FHIR withdraws its findings at the RIS too${studyFirst ? ', after its study was deleted' : ''}`, async () => {
        assert.equal((await send(ORU.replaceAll('{n}', n))).get('MSA.1').toString(), 'AA');
        await downstream.arrival(`ACC-E2E-${n}`);
        const reports = await fhirFetch(server, 'DiagnosticReport?_count=100');
        const report = ((reports.body as Bundle).entry ?? [])
          .map((e) => e.resource as DiagnosticReport)
          .find((r) => r.identifier?.some((i) => i.value?.endsWith(`E2E-${n}`)));
        assert.ok(report?.id, JSON.stringify(((reports.body as Bundle).entry ?? []).map((e) => e.resource?.id)));
        if (studyFirst) {
          const study = report.imagingStudy?.[0]?.reference;
          assert.ok(study);
          assert.equal((await fhirFetch(server, study, { method: 'DELETE' })).status, 204);
        }
        const before = downstream.received.length;
        assert.equal((await fhirFetch(server, `DiagnosticReport/${report.id}`, { method: 'DELETE' })).status, 204);
        // the report's withdrawal is the message that carries its finding (a deleted study sends its own, empty one)
        const withdrawn = (await downstream.arrival('pleural_effusion', before)).split(/\r\n?|\n/);
        assert.ok(withdrawn.some((seg) => seg.startsWith('OBR|') && seg.includes(`ACC-E2E-${n}`)));
        assert.equal(withdrawn.find((seg) => seg.startsWith('OBR|'))?.split('|')[25], 'C');
        const lines = withdrawn.filter((seg) => seg.startsWith('OBX|'));
        assert.ok(lines.length > 0 && lines.every((seg) => seg.split('|')[11] === 'D'), lines.join('\n'));
      });
    }
  });
}
