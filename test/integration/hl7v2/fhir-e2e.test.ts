// HL7 v2 in, FHIR out, through the real store (openCore: SQLite and PostgreSQL): ORU^R01 over MLLP from
// node-hl7-client -> AA -> DiagnosticReport and Observations searchable; duplicates and reprocessing create nothing
// new; ORM then ORU update one ServiceRequest; ADT^A40 links patients or answers AE at MRG-1.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Encounter, ImagingStudy, Observation, Patient, ServiceRequest } from 'fhir/r4.js';
import { Client, Message } from 'node-hl7-client';
import type { Core } from '../../../src/core.js';
import { fhirBatchExecutor, fhirExecutor } from '../../../src/hl7v2/execute.js';
import { createInboundProcessor, Hl7Message, Hl7MessageStore, MllpListener } from '../../../src/hl7v2/index.js';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { fixture } from '../../unit/hl7v2/fixtures.js';
import { openCoreWithHl7, searchStore } from './open-core.js';

for (const { kind, make } of databaseKinds) {
  describe(`HL7 v2 to FHIR through the store (${kind})`, () => {
    let db: TestDatabase;
    let core: Core;
    let store: Hl7MessageStore;
    let proc: ReturnType<typeof createInboundProcessor>;
    before(async () => {
      db = await make();
      core = await openCoreWithHl7(db.url);
      store = new Hl7MessageStore(core.dataSource);
      proc = createInboundProcessor({ store, execute: fhirExecutor(core.ctx) });
    });
    after(async () => {
      await core?.close();
      await db?.drop();
    });

    it('ORU^R01 from node-hl7-client over MLLP: AA, then the report and its observations are searchable', async () => {
      const listener = new MllpListener({ port: 0, handle: proc.handle });
      const { port } = await listener.start();
      const client = new Client({ host: '127.0.0.1' });
      try {
        const text = fixture('oru-r01-v251.hl7').replace('|AL|NE', ''); // original mode: one AA
        const ack = await new Promise<Message>((resolve) => {
          const conn = client.createConnection({ port, waitAck: false }, (res) => resolve(res.getMessage()));
          void conn.sendMessage(new Message({ text }));
        });
        assert.equal(ack.get('MSA.1').toString(), 'AA');
        assert.equal(ack.get('MSA.2').toString(), 'MSG00251');
      } finally {
        client.closeAll();
        await listener.close();
      }
      const [patient] = await searchStore<Patient>(core, 'Patient', 'identifier=MRN456');
      assert.ok(patient?.id);
      const reports = await searchStore<DiagnosticReport>(
        core,
        'DiagnosticReport',
        `patient=Patient/${patient.id}&category=http://loinc.org|LP29684-5`,
      );
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.status, 'corrected');
      assert.match(
        Buffer.from(reports[0]!.presentedForm![0]!.data!, 'base64').toString(),
        /8 mm nodule in the right upper lobe/,
      );
      assert.equal(reports[0]!.result?.length, 2);
      const obs = await searchStore(core, 'Observation', `patient=${patient.id}`);
      assert.equal(obs.length, 2);
      const studies = await searchStore(
        core,
        'ImagingStudy',
        `identifier=urn:dicom:uid|urn:oid:1.2.840.113619.2.55.3.1111.2222`,
      );
      assert.equal(studies.length, 1);
    });

    it('a resent duplicate and a reprocess create no second resource', async () => {
      const text = fixture('oru-r01-v23.hl7');
      const first = await proc.processMessage(text);
      assert.equal(first.code, 'AA');
      const count = async (): Promise<number[]> =>
        Promise.all(
          ['Patient', 'DiagnosticReport', 'ServiceRequest', 'ImagingStudy', 'Encounter'].map(
            async (t) => (await searchStore(core, t, '_count=100')).length,
          ),
        );
      const before = await count();
      const dup = await proc.processMessage(text);
      assert.equal(dup.duplicate, true);
      assert.deepEqual(dup.acks, first.acks);
      const again = await proc.reprocess(first.messageId!);
      assert.equal(again?.code, 'AA');
      assert.deepEqual(await count(), before);
    });

    it(
      "the 'processed' mark and its ACK commit in the transaction that writes the message's resources",
      { skip: kind === 'sqlite' && 'transaction ids (xmin) are PostgreSQL only; the rollback test covers both' },
      async () => {
        // The per-message executor, and a batch executor alone (a message that arrives on its own takes that path).
        const grouped = createInboundProcessor({ store, executeBatch: fhirBatchExecutor(core.ctx) });
        for (const [n, processor] of [proc, grouped].entries()) {
          const text = fixture('oru-r01-v23.hl7')
            .replace('MSG00023', `MSG0096${n}`)
            .replace(/ACC5001/g, `ACC596${n}`);
          const out = await processor.processMessage(text);
          assert.equal(out.code, 'AA');
          // Rows written by one transaction carry its id in xmin.
          const written: { resource_type: string }[] = await core.dataSource.query(
            `SELECT DISTINCT resource_type FROM resource
              WHERE xmin = (SELECT xmin FROM hl7_message WHERE id = $1) ORDER BY 1`,
            [out.messageId],
          );
          assert.ok(
            written.some((r) => r.resource_type === 'DiagnosticReport'),
            `resources committed with the mark (${n}): ${JSON.stringify(written)}`,
          );
          const row = await store.get(out.messageId!);
          assert.equal(row?.status, 'processed');
          assert.equal(row?.ack, out.acks.join('\n'));
        }
      },
    );

    it("a transaction that fails after marking the message rolls the mark back with the resources: 'error', AR", async () => {
      const failing = createInboundProcessor({
        store,
        execute: (result, id, finish) =>
          fhirExecutor(core.ctx)(result, id, async (repo) => {
            await finish!(repo);
            throw new Error('the commit failed'); // e.g. the database went away before COMMIT
          }),
      });
      const text = fixture('oru-r01-v23.hl7')
        .replace('MSG00023', 'MSG00969')
        .replace(/ACC5001/g, 'ACC5969');
      const out = await failing.processMessage(text);
      assert.equal(out.code, 'AR');
      const row = await store.get(out.messageId!);
      assert.equal(row?.status, 'error');
      assert.match(row?.ack ?? '', /MSA\|AR\|MSG00969/);
      assert.equal((await searchStore(core, 'ServiceRequest', 'identifier=ACC5969')).length, 0);
      // Resent, the message is applied (AR invites a resend) and marked processed.
      const again = await proc.processMessage(text);
      assert.equal(again.code, 'AA');
      assert.equal((await store.get(out.messageId!))?.status, 'processed');
      assert.equal((await searchStore(core, 'ServiceRequest', 'identifier=ACC5969')).length, 1);
    });

    it('ORM^O01 NW then an ORU^R01 for the same accession update one ServiceRequest to completed', async () => {
      assert.equal((await proc.processMessage(fixture('orm-o01-nw.hl7'))).code, 'AA');
      const [ordered] = await searchStore<ServiceRequest>(core, 'ServiceRequest', 'identifier=ACC5005');
      assert.equal(ordered?.status, 'active');
      const oru = fixture('oru-r01-v23.hl7')
        .replace('MSG00023', 'MSG00024')
        .replace(/ACC5001/g, 'ACC5005')
        .replace('1.2.840.113619.2.55.3.604688119.969.1268071029.320', '1.2.840.113619.2.55.3.5005');
      assert.equal((await proc.processMessage(oru)).code, 'AA');
      const after = await searchStore<ServiceRequest>(core, 'ServiceRequest', 'identifier=ACC5005');
      assert.equal(after.length, 1);
      assert.equal(after[0]!.id, ordered!.id);
      assert.equal(after[0]!.status, 'completed');
      // The ORU's ORC/OBR carry no ordering provider, order date or OBR-19/20: the order's are kept.
      assert.ok(ordered!.requester && ordered!.authoredOn, 'the ORM set requester and authoredOn');
      assert.deepEqual(after[0]!.requester, ordered!.requester);
      assert.equal(after[0]!.authoredOn, ordered!.authoredOn);
      const values = (sr: ServiceRequest): string[] => (sr.identifier ?? []).map((i) => `${i.system}|${i.value}`);
      assert.deepEqual(
        values(ordered!).filter((v) => !values(after[0]!).includes(v)),
        [],
        'every identifier of the order is still there',
      );
      const studies = await searchStore(
        core,
        'ImagingStudy',
        'identifier=urn:dicom:uid|urn:oid:1.2.840.113619.2.55.3.5005',
      );
      assert.equal(studies.length, 1, 'the ORU reuses the ImagingStudy the order registered');
    });

    it('an ORU with two OBR groups sharing an accession and study UID applies, and a later ORU for it is AA', async () => {
      const base = fixture('oru-r01-v251.hl7')
        .replace('|AL|NE', '') // original mode: one ACK
        .replace(/MRN456/g, 'MRN951')
        .replace('SSN999', 'SSN951')
        .replace(/ACC5002/g, 'ACC5951')
        .replace(/1\.2\.840\.113619\.2\.55\.3\.1111\.2222/g, '1.2.840.113619.2.55.3.5951');
      const obr = base.split('\r').find((l) => l.startsWith('OBR|'))!;
      const twoGroups = [
        base.replace('MSG00251', 'MSG05951'),
        'ORC|RE|PL5952^RIS|FI5952^PACS||CM',
        obr.replace('OBR|1|PL1002^RIS|FI2002^PACS', 'OBR|2|PL5952^RIS|FI5952^PACS'),
        'OBX|4|NM|21889-1^Size^LN|3|12|mm^millimeter^UCUM|||||F',
        'OBX|5|ST|110180^Study Instance UID^DCM||1.2.840.113619.2.55.3.5951||||||F',
      ].join('\r');
      assert.equal((await proc.processMessage(twoGroups)).code, 'AA');
      const count = async (type: string, query: string): Promise<number> =>
        (await searchStore(core, type, query)).length;
      assert.equal(await count('ServiceRequest', 'identifier=ACC5951'), 1);
      assert.equal(await count('ImagingStudy', 'identifier=urn:dicom:uid|urn:oid:1.2.840.113619.2.55.3.5951'), 1);
      const [report] = await searchStore<DiagnosticReport>(core, 'DiagnosticReport', 'identifier=ACC5951');
      assert.equal(report?.result?.length, 3, "both groups' Observations");
      assert.equal(await count('DiagnosticReport', 'identifier=ACC5951'), 1);
      const later = await proc.processMessage(base.replace('MSG00251', 'MSG05952'));
      assert.equal(later.code, 'AA', later.acks[0]);
      assert.equal(await count('DiagnosticReport', 'identifier=ACC5951'), 1);
    });

    it('a cancelled order cancels its study stub while it has no images, and leaves a study with images alone', async () => {
      const order = (n: string, msh10: string): string =>
        fixture('orm-o01-nw.hl7')
          .replace('MSG00501', msh10)
          .replace(/PL1005/g, `PL${n}`)
          .replace(/FI2005/g, `FI${n}`)
          .replace(/ACC5005/g, `ACC${n}`)
          .replace('1.2.840.113619.2.55.3.5005', `1.2.840.113619.2.55.3.${n}`);
      // The cancellation repeats neither the study UID nor the visit: the stub is found by the accession.
      const cancel = (n: string, msh10: string): string =>
        fixture('orm-o01-ca.hl7')
          .replace('MSG00502', msh10)
          .replace(/PL1005/g, `PL${n}`)
          .replace(/FI2005/g, `FI${n}`)
          .replace(/ACC5005/g, `ACC${n}`);
      const study = async (n: string): Promise<ImagingStudy> => {
        const found = await searchStore<ImagingStudy>(
          core,
          'ImagingStudy',
          `identifier=urn:dicom:uid|urn:oid:1.2.840.113619.2.55.3.${n}`,
        );
        assert.equal(found.length, 1);
        return found[0]!;
      };
      assert.equal((await proc.processMessage(order('5941', 'MSGCAN01'))).code, 'AA');
      assert.equal((await study('5941')).status, 'registered');
      assert.equal((await proc.processMessage(cancel('5941', 'MSGCAN02'))).code, 'AA');
      assert.equal((await study('5941')).status, 'cancelled');
      const [revoked] = await searchStore<ServiceRequest>(core, 'ServiceRequest', 'identifier=ACC5941');
      assert.equal(revoked?.status, 'revoked');

      // Images arrived before the cancellation: the study is the PACS's record of them and stays.
      assert.equal((await proc.processMessage(order('5942', 'MSGCAN03'))).code, 'AA');
      const acquired = await study('5942');
      await core.ctx.repo.update<ImagingStudy>({ ...acquired, status: 'available' });
      assert.equal((await proc.processMessage(cancel('5942', 'MSGCAN04'))).code, 'AA');
      const kept = await study('5942');
      assert.equal(kept.status, 'available');
      assert.equal(kept.meta?.versionId, '2');
    });

    it('ADT^A40 with an unknown prior patient is AE with ERR at MRG-1 and writes nothing', async () => {
      const text = fixture('adt-a40.hl7').replace('MRN901', 'MRN999').replace('MSG00801', 'MSG00899');
      const out = await proc.processMessage(text);
      assert.equal(out.code, 'AE');
      const err = Hl7Message.parse(out.acks[0]!).segment('ERR')!;
      assert.equal(err.rawField(2), 'MRG^1^1^1');
      assert.equal((await searchStore(core, 'Patient', 'identifier=MRN900')).length, 0);
    });

    it('concurrent ORUs for one new patient (one transaction each) create one Patient, not one per message', async () => {
      const texts = Array.from({ length: 8 }, (_, n) =>
        fixture('oru-r01-v23.hl7')
          .replace('MSG00023', `MSG0094${n}`)
          .replace(/MRN123/g, 'MRN940')
          .replace('V0001', 'V0940')
          .replace(/ACC5001/g, `ACC594${n}`)
          .replace(/PL1001/g, `PL594${n}`)
          .replace(/FI2001/g, `FI594${n}`)
          .replace('1.2.840.113619.2.55.3.604688119.969.1268071029.320', `1.2.840.113619.2.55.3.594${n}`),
      );
      const outs = await Promise.all(texts.map((t) => proc.processMessage(t)));
      assert.deepEqual(new Set(outs.map((o) => o.code)), new Set(['AA']));
      assert.equal((await searchStore(core, 'Patient', 'identifier=MRN940')).length, 1);
      assert.equal((await searchStore(core, 'Encounter', 'identifier=V0940')).length, 1);
    });

    it('group commit: ORUs arriving together for one new patient create one Patient and a report each', async () => {
      const grouped = createInboundProcessor({ store, executeBatch: fhirBatchExecutor(core.ctx), groupLanes: 1 });
      const oru = (n: number): string =>
        fixture('oru-r01-v23.hl7')
          .replace('MSG00023', `MSG0093${n}`)
          .replace(/MRN123/g, 'MRN930')
          .replace(/ACC5001/g, `ACC593${n}`)
          .replace(/PL1001/g, `PL593${n}`)
          .replace(/FI2001/g, `FI593${n}`)
          .replace('1.2.840.113619.2.55.3.604688119.969.1268071029.320', `1.2.840.113619.2.55.3.593${n}`);
      // An A40 whose prior patient is unknown fails inside the shared transaction: it alone gets AE.
      const badMerge = fixture('adt-a40.hl7').replace('MRN901', 'MRN998').replace('MSG00801', 'MSG00938');
      const outs = await Promise.all([oru(1), oru(2), badMerge, oru(3)].map((t) => grouped.processMessage(t)));
      assert.deepEqual(
        outs.map((o) => o.code),
        ['AA', 'AA', 'AE', 'AA'],
      );
      assert.equal(Hl7Message.parse(outs[2]!.acks[0]!).segment('ERR')!.rawField(2), 'MRG^1^1^1');
      const patients = await searchStore<Patient>(core, 'Patient', 'identifier=MRN930');
      assert.equal(patients.length, 1);
      const reports = await searchStore<DiagnosticReport>(
        core,
        'DiagnosticReport',
        `patient=Patient/${patients[0]!.id}`,
      );
      assert.equal(reports.length, 3);
      for (const o of outs)
        assert.equal((await store.get(o.messageId!))?.status, o.code === 'AA' ? 'processed' : 'error');
    });

    it('ADT^A40 links survivor "replaces" and prior "replaced-by" (inactive)', async () => {
      assert.equal((await proc.processMessage(fixture('adt-a08.hl7').replace('MRN900', 'MRN901'))).code, 'AA');
      const out = await proc.processMessage(fixture('adt-a40.hl7'));
      assert.equal(out.code, 'AA');
      const [prior] = await searchStore<Patient>(core, 'Patient', 'identifier=MRN901');
      const [survivor] = await searchStore<Patient>(core, 'Patient', 'identifier=MRN900');
      assert.equal(prior!.active, false);
      assert.deepEqual(prior!.link, [{ other: { reference: `Patient/${survivor!.id}` }, type: 'replaced-by' }]);
      assert.deepEqual(survivor!.link, [{ other: { reference: `Patient/${prior!.id}` }, type: 'replaces' }]);
    });

    it('after a merge, later messages keep the links and the prior patient inactive; results do not erase ADT demographics', async () => {
      // MRN910 admitted with address and phone (A01), MRN911 merged into it (A40).
      const a01 = fixture('adt-a01.hl7')
        .replace(/MRN900/g, 'MRN910')
        .replace('MSG00701', 'MSG00971');
      assert.equal((await proc.processMessage(a01)).code, 'AA');
      const a08prior = fixture('adt-a08.hl7').replace('MRN900', 'MRN911').replace('MSG00702', 'MSG00972');
      assert.equal((await proc.processMessage(a08prior)).code, 'AA');
      const a40 = fixture('adt-a40.hl7').replace('MRN900', 'MRN910').replace('MRN901', 'MRN911');
      assert.equal((await proc.processMessage(a40.replace('MSG00801', 'MSG00973'))).code, 'AA');
      // A result for the survivor (its PID has no address), an update for the survivor and a late result filed
      // under the prior MRN.
      const oru = (mrn: string, n: number): string =>
        fixture('oru-r01-v23.hl7')
          .replace('MSG00023', `MSG0098${n}`)
          .replace(/MRN123/g, mrn)
          .replace(/12 MAIN ST\^\^SPRINGFIELD\^IL\^62701/, '')
          .replace(/ACC5001/g, `ACC598${n}`)
          .replace(/PL1001/g, `PL598${n}`)
          .replace(/FI2001/g, `FI598${n}`)
          .replace('1.2.840.113619.2.55.3.604688119.969.1268071029.320', `1.2.840.113619.2.55.3.598${n}`);
      assert.equal((await proc.processMessage(oru('MRN910', 1))).code, 'AA');
      const a08 = fixture('adt-a08.hl7').replace('MRN900', 'MRN910').replace('MSG00702', 'MSG00974');
      assert.equal((await proc.processMessage(a08)).code, 'AA');
      assert.equal((await proc.processMessage(oru('MRN911', 2))).code, 'AA');
      const [survivor] = await searchStore<Patient>(core, 'Patient', 'identifier=MRN910');
      const [prior] = await searchStore<Patient>(core, 'Patient', 'identifier=MRN911');
      assert.deepEqual(survivor!.link, [{ other: { reference: `Patient/${prior!.id}` }, type: 'replaces' }]);
      assert.deepEqual(prior!.link, [{ other: { reference: `Patient/${survivor!.id}` }, type: 'replaced-by' }]);
      assert.equal(prior!.active, false, 'a result under the prior MRN does not reactivate it');
      assert.equal(survivor!.name?.[0]?.given?.[1], 'PATRICK', 'the A08 updated the demographics');
      assert.equal(
        survivor!.address?.[0]?.city,
        'DUBLIN',
        'the A08 left PID-11 empty, which keeps the A01 address (HL7 v2.5.1 2.5.3); the ORU never touches it',
      );
      const late = await searchStore<DiagnosticReport>(core, 'DiagnosticReport', `patient=Patient/${prior!.id}`);
      assert.equal(late.length, 1, 'the late result is filed to the prior record');
    });

    it("a corrected report that drops an OBX retires that OBX's Observation and leaves others alone", async () => {
      const oru = (msh10: string): string =>
        fixture('oru-r01-v251.hl7')
          .replace('|AL|NE', '') // original mode: processed before the ACK
          .replace('MSG00251', msh10)
          .replace(/MRN456/g, 'MRN931')
          .replace('SSN999', 'SSN931')
          .replace(/PL1002/g, 'PL1931')
          .replace(/FI2002/g, 'FI2931')
          .replace(/ACC5002/g, 'ACC5931')
          .replace('1.2.840.113619.2.55.3.1111.2222', '1.2.840.113619.2.55.3.1111.2931');
      assert.equal((await proc.processMessage(oru('MSGCORR01'))).code, 'AA');
      const [patient] = await searchStore<Patient>(core, 'Patient', 'identifier=MRN931');
      const [first] = await searchStore<DiagnosticReport>(core, 'DiagnosticReport', `patient=${patient!.id}`);
      assert.equal(first!.result?.length, 2);
      const [nodule, size] = await Promise.all(
        first!.result!.map((r) => core.ctx.repo.read<Observation>('Observation', r.reference!.split('/')[1]!)),
      );
      assert.equal(size!.valueQuantity?.value, 8);
      // A client links its own Observation to the report; the RIS knows nothing of it.
      const own = await core.ctx.repo.create<Observation>({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'reader note' },
        subject: { reference: `Patient/${patient!.id}` },
      });
      await core.ctx.repo.update<DiagnosticReport>({
        ...first!,
        result: [...first!.result!, { reference: `Observation/${own.id}` }],
      });

      // The correction keeps the nodule (OBX-1 3) and withdraws the size (OBX-1 4).
      const corrected = oru('MSGCORR02').replace(/\rOBX\|4\|NM\|[^\r]*/, '');
      assert.equal((await proc.processMessage(corrected)).code, 'AA');
      const [report] = await searchStore<DiagnosticReport>(core, 'DiagnosticReport', `patient=${patient!.id}`);
      assert.deepEqual(
        report!.result?.map((r) => r.reference),
        [`Observation/${nodule!.id}`],
      );
      const after = await core.ctx.repo.read<Observation>('Observation', size!.id!);
      assert.equal(after.status, 'entered-in-error');
      assert.equal(after.valueQuantity?.value, 8, 'kept as it was, only withdrawn');
      assert.equal((await core.ctx.repo.read<Observation>('Observation', nodule!.id!)).meta?.versionId, '1');
      const untouched = await core.ctx.repo.read<Observation>('Observation', own.id!);
      assert.equal(untouched.status, 'final');
      assert.equal(untouched.meta?.versionId, '1');
      const live = await searchStore<Observation>(
        core,
        'Observation',
        `patient=${patient!.id}&status:not=entered-in-error`,
      );
      assert.deepEqual(live.map((o) => o.id).sort(), [nodule!.id, own.id].sort());

      // Sent again under a new control id: nothing more changes.
      assert.equal((await proc.processMessage(corrected.replace('MSGCORR02', 'MSGCORR03'))).code, 'AA');
      assert.equal((await core.ctx.repo.read<Observation>('Observation', size!.id!)).meta?.versionId, '2');
    });

    it('a result message does not overwrite the demographics the ADT feed wrote', async () => {
      const a01 = fixture('adt-a01.hl7')
        .replace(/MRN900/g, 'MRN920')
        .replace('MSG00701', 'MSG00975')
        .replace('V0009', 'V0977');
      assert.equal((await proc.processMessage(a01)).code, 'AA');
      const [admitted] = await searchStore<Encounter>(core, 'Encounter', 'identifier=V0977');
      assert.ok(admitted?.period?.start, 'the A01 set the visit start');
      const oru = fixture('oru-r01-v23.hl7')
        .replace('MSG00023', 'MSG00976')
        .replace(/MRN123/g, 'MRN920')
        .replace(/12 MAIN ST\^\^SPRINGFIELD\^IL\^62701/, '')
        .replace(/ACC5001/g, 'ACC5976')
        .replace('V0001', 'V0977');
      assert.equal((await proc.processMessage(oru)).code, 'AA');
      const patients = await searchStore<Patient>(core, 'Patient', 'identifier=MRN920');
      assert.equal(patients.length, 1);
      assert.equal(patients[0]!.address?.[0]?.city, 'DUBLIN');
      assert.equal(patients[0]!.telecom?.length, 1);
      assert.equal(patients[0]!.meta?.versionId, '1', 'matched, not rewritten');
      // The visit: the ORU's PV1 (outpatient, an attending doctor, no admit time) updates it but keeps the A01's start.
      const [visit] = await searchStore<Encounter>(core, 'Encounter', 'identifier=V0977');
      assert.equal(visit!.class.code, 'AMB');
      assert.equal(visit!.period?.start, admitted!.period!.start);
      assert.equal(visit!.participant?.length, 1);
    });
  });
}
