// US Core clinical notes guidance over HL7 v2, through a real MLLP listener and the store (SQLite and PostgreSQL):
// an ORU^R01's report text is a Binary, a DocumentReference's attachment and the DiagnosticReport's presentedForm
// share its url; a resend updates all three rather than adding any, a correction (OBR-25 C) updates both, and a
// version that withdraws the text (OBX-11 D) leaves the DocumentReference entered-in-error.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Binary, DiagnosticReport, DocumentReference, Resource } from 'fhir/r4.js';
import type { Core } from '../../../src/core.js';
import { dispatch } from '../../../src/fhir/router.js';
import { databaseKinds } from '../../support/databases.js';
import { hl7Suite, searchStore } from './open-core.js';
import { msa, RawClient } from './raw-client.js';

const FINDINGS = 'FINDINGS: 6 mm nodule in the left lower lobe.\\.br\\No effusion.';

function oru(controlId: string, status: string, findings = FINDINGS, obx11 = status): string {
  return [
    `MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240401120000||ORU^R01^ORU_R01|${controlId}|P|2.5.1`,
    'PID|1||MRN-NOTE^^^GENHOSP^MR||DOE^JANE||19700101|F',
    'PV1|1|O|RAD^^^GENHOSP||||||||||||||||V-NOTE^^^GENHOSP^VN',
    'OBR|1|PL-NOTE^RIS|FI-NOTE^PACS|24627-2^CT Chest^LN|||20240401110000|||||||||||ACC-NOTE||||20240401115500||CT|' +
      status,
    `OBX|1|TX|18782-3^Findings^LN|1|${findings}||||||${obx11}`,
    `OBX|2|TX|19005-8^Impression^LN|2|IMPRESSION: Small nodule.||||||${obx11}`,
  ].join('\r');
}

async function read<T extends Resource>(core: Core, path: string): Promise<T> {
  const res = await dispatch(core.ctx, { method: 'GET', path, query: new URLSearchParams() });
  assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
  return res.body as T;
}

const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');

for (const { kind, make } of databaseKinds) {
  describe(`ORU^R01 report text as DiagnosticReport + DocumentReference + Binary (${kind})`, () => {
    const suite = hl7Suite(make);

    async function send(message: string): Promise<void> {
      const client = await RawClient.connect(suite.port);
      try {
        client.send(message);
        const [ack] = await client.next();
        assert.deepEqual(msa(ack!), ['AA', controlIdOf(message)]);
      } finally {
        client.close();
      }
    }

    /** The one report, DocumentReference and Binary of the accession, checked to point at one url. */
    async function current(): Promise<{ report: DiagnosticReport; doc: DocumentReference; binary: Binary }> {
      const reports = await searchStore<DiagnosticReport>(suite.core, 'DiagnosticReport', 'identifier=ACC-NOTE');
      const docs = await searchStore<DocumentReference>(suite.core, 'DocumentReference', 'identifier=ACC-NOTE');
      assert.equal(reports.length, 1, 'one DiagnosticReport');
      assert.equal(docs.length, 1, 'one DocumentReference');
      const report = reports[0]!;
      const doc = docs[0]!;
      const url = doc.content[0]!.attachment.url!;
      assert.match(url, /^Binary\/report-text-[0-9a-f]{40}$/);
      assert.equal(report.presentedForm?.[0]?.url, url, 'presentedForm url == DocumentReference attachment url');
      assert.equal(doc.subject?.reference, report.subject?.reference);
      assert.deepEqual(doc.context?.related, [{ reference: `DiagnosticReport/${report.id}` }]);
      const binary = await read<Binary>(suite.core, url);
      assert.equal(binary.contentType, 'text/plain; charset=utf-8');
      assert.deepEqual(binary.securityContext, { reference: `DiagnosticReport/${report.id}` });
      return { report, doc, binary };
    }

    it('an ORU gives a DiagnosticReport, a DocumentReference and a Binary sharing one url; the Binary reads back the text', async () => {
      await send(oru('NOTE-1', 'F'));
      const { report, doc, binary } = await current();
      const text = decode(binary.data);
      assert.equal(text, 'FINDINGS: 6 mm nodule in the left lower lobe.\nNo effusion.\nIMPRESSION: Small nodule.');
      assert.equal(decode(report.presentedForm![0]!.data), text, 'the inline text is kept');
      assert.equal(doc.status, 'current');
      assert.equal(doc.docStatus, 'final');
      assert.equal(doc.content[0]!.attachment.size, Buffer.byteLength(text));
      // The US Core searches find it: patient + category, patient + type.
      const patient = report.subject!.reference!;
      const byCategory = await searchStore<DocumentReference>(
        suite.core,
        'DocumentReference',
        `patient=${patient}&category=http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category|clinical-note`,
      );
      assert.deepEqual(
        byCategory.map((d) => d.id),
        [doc.id],
      );
      const byType = await searchStore<DocumentReference>(
        suite.core,
        'DocumentReference',
        `patient=${patient}&type=18748-4`,
      );
      assert.deepEqual(
        byType.map((d) => d.id),
        [doc.id],
      );
    });

    it('a resend (new MSH-10, same report) updates the three resources rather than adding any', async () => {
      const before = await current();
      await send(oru('NOTE-2', 'F'));
      const after = await current();
      assert.equal(after.report.id, before.report.id);
      assert.equal(after.doc.id, before.doc.id);
      assert.equal(after.binary.id, before.binary.id);
      assert.equal((await searchStore(suite.core, 'Binary', `_id=${after.binary.id}`)).length, 1);
    });

    it('a corrected report (OBR-25 C) updates the Binary text and both the report and the DocumentReference', async () => {
      const before = await current();
      await send(oru('NOTE-3', 'C', 'FINDINGS: 7 mm nodule in the left lower lobe (corrected).', 'C'));
      const after = await current();
      assert.equal(after.doc.id, before.doc.id);
      assert.equal(after.binary.id, before.binary.id);
      assert.equal(after.report.status, 'corrected');
      assert.equal(after.doc.docStatus, 'amended');
      assert.equal(after.doc.status, 'current');
      const text = decode(after.binary.data);
      assert.match(text, /^FINDINGS: 7 mm nodule .*\(corrected\)\./);
      assert.equal(decode(after.report.presentedForm![0]!.data), text);
      assert.equal(after.doc.content[0]!.attachment.size, Buffer.byteLength(text));
      assert.notEqual(after.doc.content[0]!.attachment.hash, before.doc.content[0]!.attachment.hash);
    });

    it('a version whose text OBX are all withdrawn (OBX-11 D) leaves the DocumentReference entered-in-error', async () => {
      const before = await current();
      await send(oru('NOTE-4', 'C', FINDINGS, 'D'));
      const [report] = await searchStore<DiagnosticReport>(suite.core, 'DiagnosticReport', 'identifier=ACC-NOTE');
      assert.equal(report?.presentedForm, undefined);
      const docs = await searchStore<DocumentReference>(suite.core, 'DocumentReference', 'identifier=ACC-NOTE');
      assert.equal(docs.length, 1);
      const doc = docs[0]!;
      assert.equal(doc.id, before.doc.id);
      assert.equal(doc.status, 'entered-in-error');
      assert.equal(doc.docStatus, 'entered-in-error');
      // The Binary is kept for the record; the text coming back makes the DocumentReference current again.
      await read<Binary>(suite.core, before.doc.content[0]!.attachment.url!);
      await send(oru('NOTE-5', 'C'));
      const again = await current();
      assert.equal(again.doc.id, before.doc.id);
      assert.equal(again.doc.status, 'current');
    });

    it('a cancelled report (OBR-25 X) with its text leaves the DocumentReference entered-in-error', async () => {
      await send(oru('NOTE-6', 'X'));
      const { report, doc } = await current();
      assert.equal(report.status, 'cancelled');
      assert.equal(doc.status, 'entered-in-error');
      assert.equal(doc.docStatus, 'entered-in-error');
    });
  });
}

/** MSH-10 of a message in wire form. */
function controlIdOf(message: string): string {
  return message.split('\r')[0]!.split('|')[9]!;
}
