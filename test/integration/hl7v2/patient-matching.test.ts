// Patient matching end to end (src/hl7v2/README.md "Patient matching"): node-hl7-client sends to the real MLLP
// listener over the real store (SQLite and PostgreSQL). A PID matches on any of its identifiers that have an
// assigning authority, whatever their order; PID-2/PID-4 are identifiers too; a Patient keeps the identifiers every
// feed sent; merged matches lead to the survivor; unrelated matches are AE at PID-3 and write nothing; concurrent
// messages for one new patient create one Patient.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Patient } from 'fhir/r4.js';
import { Client, Message } from 'node-hl7-client';
import { Hl7Message } from '../../../src/hl7v2/index.js';
import { databaseKinds } from '../../support/databases.js';
import { hl7Suite, searchStore } from './open-core.js';

const SYS = 'urn:ct-fhir:hl7v2:';

/** MSH for a feed: sending application and facility (the default assigning authority), control id, version. */
const msh = (facility: string, type: string, id: string, version = '2.5.1'): string =>
  `MSH|^~\\&|${facility === 'GENHOSP' ? 'ADT' : 'LAB'}|${facility}|CTFHIR|CTF|20240320070000||${type}|${id}|P|${version}`;

const adt = (facility: string, event: string, id: string, pid: string, version?: string): string =>
  [msh(facility, `ADT^${event}`, id, version), `EVN|${event}|20240320070000`, pid].join('\r');

/** A minimal final ORU^R01 whose report is keyed by the accession `acc`. */
const oru = (facility: string, id: string, pid3: string, acc: string): string =>
  [
    msh(facility, 'ORU^R01', id),
    `PID|1||${pid3}||DOE^JANE||19600412|F`,
    `OBR|1||${acc}|71250^CT CHEST^C4|||20240320080000|||||||||||${acc}||||20240320090000||CT|F`,
    'OBX|1|TX|18782-3^Study observation^LN||No acute findings.',
  ].join('\r');

const tokens = (p: Patient): string[] => (p.identifier ?? []).map((i) => `${i.system ?? ''}|${i.value}`).sort();

for (const { kind, make } of databaseKinds) {
  describe(`HL7 v2 patient matching over MLLP (${kind})`, () => {
    const suite = hl7Suite(make);
    const client = new Client({ host: '127.0.0.1' });

    /** Sends one message with node-hl7-client on its own connection and returns its ACK. */
    async function send(text: string): Promise<Hl7Message> {
      const ack = await new Promise<string>((resolve) => {
        const conn = client.createConnection({ port: suite.port, waitAck: false }, (res) =>
          resolve(res.getMessage().toString()),
        );
        void conn.sendMessage(new Message({ text }));
      });
      return Hl7Message.parse(ack);
    }
    const accepted = async (text: string): Promise<void> => {
      const ack = await send(text);
      assert.equal(ack.get('MSA-1'), 'AA', ack.segment('ERR')?.get(8));
    };
    const patients = (query: string): Promise<Patient[]> => searchStore<Patient>(suite.core, 'Patient', query);
    /** The one Patient a report (by accession) is filed to. */
    async function subjectOf(acc: string): Promise<string> {
      const reports = await searchStore<DiagnosticReport>(suite.core, 'DiagnosticReport', `identifier=${acc}`);
      assert.equal(reports.length, 1);
      return reports[0]!.subject!.reference!;
    }

    after(() => client.closeAll());

    it('identifiers in another order match the patient by any of them, and the patient gains the one it lacked', async () => {
      await accepted(adt('GENHOSP', 'A01', 'PM0101', 'PID|1||MRN960^^^GENHOSP^MR||DOE^JANE||19600412|F'));
      // The RIS lists another authority's number first; before, only that one was looked up: a second Patient.
      await accepted(oru('GENHOSP', 'PM0102', '555^^^OTHERHOSP^MR~MRN960^^^GENHOSP^MR', 'ACC9601'));
      const found = await patients(`identifier=${SYS}GENHOSP|MRN960`);
      assert.equal(found.length, 1, 'one Patient');
      assert.equal(await subjectOf('ACC9601'), `Patient/${found[0]!.id}`);
      assert.deepEqual(tokens(found[0]!), [`${SYS}GENHOSP|MRN960`, `${SYS}OTHERHOSP|555`]);
      assert.equal(found[0]!.birthDate, '1960-04-12', 'a result adds identifiers only');
      // Now the other authority's number alone finds the patient too.
      await accepted(oru('GENHOSP', 'PM0103', '555^^^OTHERHOSP^MR', 'ACC9602'));
      assert.equal(await subjectOf('ACC9602'), `Patient/${found[0]!.id}`);
      assert.equal((await patients('identifier=555')).length, 1);
    });

    it("a second feed's MRN first: one Patient, and each feed's updates keep the other feed's identifiers", async () => {
      await accepted(adt('GENHOSP', 'A01', 'PM0201', 'PID|1||MRN961^^^GENHOSP^MR||ROE^RICHARD||19550101|M'));
      // Feed OTHERHOSP: its own MRN (no CX-4: MSH-4 is the authority) first, then the hospital's.
      await accepted(oru('OTHERHOSP', 'PM0202', '777^^^^MR~MRN961^^^GENHOSP^MR', 'ACC9611'));
      const [patient] = await patients(`identifier=${SYS}GENHOSP|MRN961`);
      assert.deepEqual(tokens(patient!), [`${SYS}GENHOSP|MRN961`, `${SYS}OTHERHOSP|777`]);
      assert.equal(await subjectOf('ACC9611'), `Patient/${patient!.id}`);
      // OTHERHOSP's ADT sends only its MRN: before, PID-3 replaced the list and GENHOSP's MRN was lost.
      await accepted(adt('OTHERHOSP', 'A08', 'PM0203', 'PID|1||777^^^^MR||ROE^RICHARD^R||19550101|M'));
      // GENHOSP's ADT, its MRN only, still finds the patient and keeps OTHERHOSP's.
      await accepted(adt('GENHOSP', 'A08', 'PM0204', 'PID|1||MRN961^^^GENHOSP^MR||ROE^RICHARD^ROY||19550101|M'));
      const all = await patients('name=ROE');
      assert.equal(all.length, 1, 'one Patient for both feeds');
      assert.equal(all[0]!.id, patient!.id);
      assert.deepEqual(tokens(all[0]!), [`${SYS}GENHOSP|MRN961`, `${SYS}OTHERHOSP|777`]);
      assert.deepEqual(all[0]!.name?.[0]?.given, ['RICHARD', 'ROY']);
    });

    it("an ADT update that lists fewer identifiers keeps the others, so the first feed's MRN still matches", async () => {
      const both = 'PID|1||MRN967^^^GENHOSP^MR~967X^^^OTHERHOSP^MR||YU^LI||19900303|F';
      await accepted(adt('GENHOSP', 'A01', 'PM0701', both));
      await accepted(adt('OTHERHOSP', 'A08', 'PM0702', 'PID|1||967X^^^^MR||YU^LI^MEI||19900303|F'));
      // Before, the A08's PID-3 replaced the list: this A08 found no Patient with MRN967 and created a second one.
      await accepted(adt('GENHOSP', 'A08', 'PM0703', 'PID|1||MRN967^^^GENHOSP^MR||YU^LI^MEI||19900303|F'));
      const found = await patients('name=YU');
      assert.equal(found.length, 1, 'one Patient');
      assert.deepEqual(tokens(found[0]!), [`${SYS}GENHOSP|MRN967`, `${SYS}OTHERHOSP|967X`]);
    });

    it('v2.3 PID-2 and PID-4 are identifiers: with an authority they match, without one they are stored only', async () => {
      const pid =
        'PID|1|EXT55^^^CITYCLINIC|MRN962^^^^MR|ALT77^^^STATEREG~X962|POE^EDGAR||19490119|M' +
        '|||1 RAVEN WAY^^BALTIMORE^MD^21201';
      await accepted(adt('GENHOSP', 'A01', 'PM0301', pid, '2.3'));
      const [patient] = await patients(`identifier=${SYS}GENHOSP|MRN962`);
      assert.deepEqual(tokens(patient!), [
        `${SYS}CITYCLINIC|EXT55`,
        `${SYS}GENHOSP|MRN962`,
        `${SYS}STATEREG|ALT77`,
        '|X962',
      ]);
      assert.equal(patient!.identifier?.[0]?.value, 'MRN962', 'PID-3 first');
      // Another feed that knows the patient only by the clinic's number (PID-2) finds the same Patient.
      await accepted(oru('OTHERHOSP', 'PM0302', 'EXT55^^^CITYCLINIC^MR', 'ACC9621'));
      assert.equal(await subjectOf('ACC9621'), `Patient/${patient!.id}`);
      // PID-4's X962 came without an authority: another sender's X962 is someone else.
      await accepted(oru('OTHERHOSP', 'PM0303', 'X962^^^^MR', 'ACC9622'));
      assert.notEqual(await subjectOf('ACC9622'), `Patient/${patient!.id}`);
    });

    it('identifiers that find a merged pair lead to the survivor', async () => {
      await accepted(adt('GENHOSP', 'A01', 'PM0401', 'PID|1||MRN963^^^GENHOSP^MR||LEE^ANN||19700101|F'));
      await accepted(adt('GENHOSP', 'A01', 'PM0402', 'PID|1||MRN964^^^GENHOSP^MR||LEE^ANNE||19700101|F'));
      await accepted(
        [
          msh('GENHOSP', 'ADT^A40^ADT_A39', 'PM0403'),
          'EVN|A40|20240321070000',
          'PID|1||MRN963^^^GENHOSP^MR||LEE^ANN',
          'MRG|MRN964^^^GENHOSP^MR',
        ].join('\r'),
      );
      const [survivor] = await patients(`identifier=${SYS}GENHOSP|MRN963`);
      const [prior] = await patients(`identifier=${SYS}GENHOSP|MRN964&active=false`);
      assert.ok(survivor && prior && survivor.id !== prior.id);
      // The prior MRN first: before, the result was filed to the replaced record.
      await accepted(oru('GENHOSP', 'PM0404', 'MRN964^^^GENHOSP^MR~MRN963^^^GENHOSP^MR', 'ACC9631'));
      assert.equal(await subjectOf('ACC9631'), `Patient/${survivor.id}`);
      const [after] = await patients(`_id=${prior.id}`);
      assert.equal(after!.active, false, 'the replaced record stays inactive');
      assert.equal(after!.meta?.versionId, prior.meta?.versionId, 'and untouched');
    });

    it('an A40 whose PID-3 repeats the prior MRN merges, and that MRN then leads to the survivor', async () => {
      await accepted(adt('GENHOSP', 'A01', 'PM0801', 'PID|1||MRN968^^^GENHOSP^MR||NG^TOM||19600606|M'));
      await accepted(adt('GENHOSP', 'A01', 'PM0802', 'PID|1||MRN969^^^GENHOSP^MR||NG^THOMAS||19600606|M'));
      const a40 = [
        msh('GENHOSP', 'ADT^A40^ADT_A39', 'PM0803'),
        'EVN|A40|20240321070000',
        'PID|1||MRN968^^^GENHOSP^MR~MRN969^^^GENHOSP^MR||NG^TOM',
        'MRG|MRN969^^^GENHOSP^MR',
      ].join('\r');
      // Before, MRG-1 found both records (the survivor's PID-3 had just been given MRN969): AE at MRG-1.
      await accepted(a40);
      const [survivor] = await patients(`identifier=${SYS}GENHOSP|MRN968`);
      const [prior] = await patients(`identifier=${SYS}GENHOSP|MRN969&active=false`);
      assert.deepEqual(survivor!.link, [{ other: { reference: `Patient/${prior!.id}` }, type: 'replaces' }]);
      assert.deepEqual(prior!.link, [{ other: { reference: `Patient/${survivor!.id}` }, type: 'replaced-by' }]);
      await accepted(a40.replace('PM0803', 'PM0804')); // a replay adds no second link
      assert.equal((await patients(`_id=${survivor!.id}`))[0]!.link?.length, 1);
      await accepted(oru('GENHOSP', 'PM0805', 'MRN969^^^GENHOSP^MR', 'ACC9681'));
      assert.equal(await subjectOf('ACC9681'), `Patient/${survivor!.id}`);
    });

    it('identifiers that find two unrelated patients: AE with ERR 204 at PID-3, nothing written', async () => {
      await accepted(adt('GENHOSP', 'A01', 'PM0501', 'PID|1||MRN965^^^GENHOSP^MR||KIM^SUN||19800101|F'));
      await accepted(adt('OTHERHOSP', 'A01', 'PM0502', 'PID|1||888^^^^MR||PARK^MIN||19810202|M'));
      const before = await patients('identifier=MRN965,888');
      assert.equal(before.length, 2);
      const ack = await send(oru('GENHOSP', 'PM0503', '888^^^OTHERHOSP^MR~MRN965^^^GENHOSP^MR', 'ACC9651'));
      assert.equal(ack.get('MSA-1'), 'AE');
      const err = ack.segment('ERR')!;
      assert.equal(err.rawField(2), 'PID^1^3^1');
      assert.equal(err.get(3), '204');
      assert.equal((await searchStore(suite.core, 'DiagnosticReport', 'identifier=ACC9651')).length, 0);
      assert.equal((await searchStore(suite.core, 'ServiceRequest', 'identifier=ACC9651')).length, 0);
      const now = await patients('identifier=MRN965,888');
      assert.deepEqual(
        now.map((p) => `${p.id}/${p.meta?.versionId}`).sort(),
        before.map((p) => `${p.id}/${p.meta?.versionId}`).sort(),
        'neither patient changed',
      );
    });

    it('messages for one new patient arriving at once, identifiers in every order, create one Patient', async () => {
      const ids = ['MRN966^^^GENHOSP^MR', '966A^^^OTHERHOSP^MR', '966B^^^CITYCLINIC^MR'];
      const orders = [
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
        [0, 2, 1],
        [1, 0, 2],
        [2, 1, 0],
      ];
      const acks = await Promise.all(
        orders.map((o, n) => send(oru('GENHOSP', `PM060${n}`, o.map((i) => ids[i]).join('~'), `ACC966${n}`))),
      );
      assert.deepEqual(
        acks.map((a) => a.get('MSA-1')),
        orders.map(() => 'AA'),
      );
      const found = await patients(`identifier=${SYS}GENHOSP|MRN966,${SYS}OTHERHOSP|966A,${SYS}CITYCLINIC|966B`);
      assert.equal(found.length, 1, 'one Patient');
      assert.equal(tokens(found[0]!).length, 3);
    });
  });
}
