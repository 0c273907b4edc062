// HL7 v2 field semantics end to end: node-hl7-client sends to the real MLLP listener over the real store (SQLite and
// PostgreSQL). An empty field leaves the stored value alone and "" deletes it (HL7 v2.5.1 2.5.3); PV1-4 gives
// Encounter.type, which a result's thinner PV1 does not erase; times without an offset are in the sender's zone
// (MSH-7); a Latin-1 sender without MSH-18 keeps its accented names.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Encounter, Patient } from 'fhir/r4.js';
import { Client, Message } from 'node-hl7-client';
import { Hl7Message } from '../../../src/hl7v2/index.js';
import { databaseKinds } from '../../support/databases.js';
import { hl7Suite, searchStore } from './open-core.js';

const DAR = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';

const adt = (event: string, id: string, pid: string, pv1?: string): string =>
  [
    `MSH|^~\\&|ADT|GENHOSP|CTFHIR|CTF|20240320070000||ADT^${event}|${id}|P|2.5.1`,
    `EVN|${event}|20240320070000`,
    `PID|1||MRN970^^^GENHOSP^MR${pid}`,
    ...(pv1 ? [pv1] : []),
  ].join('\r');

for (const { kind, make } of databaseKinds) {
  describe(`HL7 v2 field semantics over MLLP (${kind})`, () => {
    const suite = hl7Suite(make);
    const client = new Client({ host: '127.0.0.1' });

    /** Sends one message with node-hl7-client (bytes in `encoding`) and returns its ACK. */
    async function send(text: string, encoding: BufferEncoding = 'utf-8'): Promise<Hl7Message> {
      const ack = await new Promise<string>((resolve) => {
        const conn = client.createConnection({ port: suite.port, waitAck: false, encoding }, (res) =>
          resolve(res.getMessage().toString()),
        );
        void conn.sendMessage(new Message({ text }));
      });
      return Hl7Message.parse(ack);
    }
    const patient = async (mrn = 'MRN970'): Promise<Patient> => {
      const found = await searchStore<Patient>(suite.core, 'Patient', `identifier=${mrn}`);
      assert.equal(found.length, 1);
      return found[0]!;
    };

    after(() => client.closeAll());

    it('ADT^A08: an empty field keeps the stored value, "" deletes it, a defaulted name or gender never overwrites one', async () => {
      const a01 = adt('A01', 'SEM01', "||O'BRIEN^SEAN||19801231|M|||1 HIGH ST^^DUBLIN^^D01^IE||^PRN^PH^^^555^1234567");
      assert.equal((await send(a01)).get('MSA-1'), 'AA');
      // Name only: PID-7, PID-8, PID-11 and PID-13 are empty, so they stay as the A01 wrote them.
      assert.equal((await send(adt('A08', 'SEM02', "||O'BRIEN^SEAN^PATRICK"))).get('MSA-1'), 'AA');
      let p = await patient();
      assert.deepEqual(p.name, [{ family: "O'BRIEN", given: ['SEAN', 'PATRICK'] }]);
      assert.equal(p.gender, 'male');
      assert.equal(p.birthDate, '1980-12-31');
      assert.equal(p.address?.[0]?.city, 'DUBLIN', 'an A08 without PID-11 keeps the address');
      assert.equal(p.telecom?.[0]?.value, '555 1234567', 'an A08 without PID-13 keeps the phone');
      // "" in PID-5, PID-7, PID-8 and PID-11: deleted (US Core: a data-absent name, gender unknown).
      assert.equal((await send(adt('A08', 'SEM03', '||""||""|""|||""'))).get('MSA-1'), 'AA');
      p = await patient();
      assert.deepEqual(p.name, [{ extension: [{ url: DAR, valueCode: 'unknown' }] }]);
      assert.deepEqual(p.extension, [{ url: DAR, valueCode: 'unknown' }]);
      assert.equal(p.gender, 'unknown');
      assert.equal(p.birthDate, undefined);
      assert.equal(p.address, undefined);
      assert.equal(p.telecom?.[0]?.value, '555 1234567', 'PID-13 was not sent as ""');
      // A name again: the data-absent extension goes with the data-absent name.
      assert.equal((await send(adt('A08', 'SEM04', '||SMITH^ANN||19700101|F'))).get('MSA-1'), 'AA');
      p = await patient();
      assert.deepEqual(p.name, [{ family: 'SMITH', given: ['ANN'] }]);
      assert.equal(p.extension, undefined);
      // PID-5 and PID-8 empty: the stored name and gender stay (no data-absent name, no gender unknown).
      assert.equal((await send(adt('A08', 'SEM05', ''))).get('MSA-1'), 'AA');
      p = await patient();
      assert.deepEqual(p.name, [{ family: 'SMITH', given: ['ANN'] }]);
      assert.equal(p.gender, 'female');
      assert.equal(p.extension, undefined);
    });

    it('deceased[x] stays one element: a date (PID-29) replaces a kept indicator (PID-30), and wins over one sent with it', async () => {
      const pid = (f29: string, f30: string): string => `||DOE^JOHN||19500101|M${'|'.repeat(21)}${f29}|${f30}`;
      const mrn = (text: string): string => text.replace(/MRN970/g, 'MRN974');
      assert.equal((await send(mrn(adt('A08', 'SEM06', pid('', 'Y'))))).get('MSA-1'), 'AA');
      assert.equal((await patient('MRN974')).deceasedBoolean, true);
      assert.equal((await send(mrn(adt('A08', 'SEM07', pid('20240101', ''))))).get('MSA-1'), 'AA');
      let p = await patient('MRN974');
      assert.equal(p.deceasedDateTime, '2024-01-01');
      assert.equal(p.deceasedBoolean, undefined);
      assert.equal((await send(mrn(adt('A08', 'SEM08', pid('20240102', 'Y'))))).get('MSA-1'), 'AA');
      p = await patient('MRN974');
      assert.equal(p.deceasedDateTime, '2024-01-02');
      assert.equal(p.deceasedBoolean, undefined);
    });

    it('Encounter.type from PV1-4 (table 0007), data-absent without it, and kept when a result omits PV1-4', async () => {
      const pv1 = (admissionType: string): string =>
        `PV1|1|E|ER^1^1|${admissionType}|||||||||||||||V0970^^^GENHOSP^VN|||||||||||||||||||||||||20240320065500`;
      assert.equal((await send(adt('A01', 'SEM11', '||ROE^RICK', pv1('E')))).get('MSA-1'), 'AA');
      const [enc] = await searchStore<Encounter>(suite.core, 'Encounter', 'identifier=V0970');
      assert.deepEqual(enc?.type, [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0007', code: 'E', display: 'Emergency' }] },
      ]);
      // A result for the visit with a PV1 that carries no PV1-4: the ADT's type stays, not "unknown".
      const oru = [
        'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240320090000||ORU^R01|SEM12|P|2.3',
        'PID|1||MRN970^^^GENHOSP^MR||ROE^RICK',
        'PV1|1|E|||||||||||||||||V0970^^^GENHOSP^VN',
        'OBR|1||FI970|24627-2^CT Chest^LN|||20240320083000|||||||||||ACC970||||||CT|F',
        'OBX|1|TX|18782-3^Findings^LN||No acute findings.||||||F',
      ].join('\r');
      assert.equal((await send(oru)).get('MSA-1'), 'AA');
      const [after] = await searchStore<Encounter>(suite.core, 'Encounter', 'identifier=V0970');
      assert.deepEqual(after?.type, enc?.type);
      assert.equal(after?.period?.start, enc?.period?.start, 'PV1-44 from the A01 is kept too');
      // A new visit without PV1-4: US Core's type 1..* is met with DataAbsentReason unknown.
      const noType = pv1('').replace('V0970', 'V0971');
      assert.equal((await send(adt('A04', 'SEM13', '||ROE^RICK', noType))).get('MSA-1'), 'AA');
      const [other] = await searchStore<Encounter>(suite.core, 'Encounter', 'identifier=V0971');
      assert.deepEqual(other?.type, [
        {
          coding: [
            { system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown', display: 'Unknown' },
          ],
        },
      ]);
    });

    it('a result whose PV1 has no PV1-45 does not reopen a visit the ADT feed closed (status stays finished)', async () => {
      const pv1 = `PV1|1|I|W^1^1||||||||||||||||V0972^^^GENHOSP^VN${'|'.repeat(25)}20240320065500|20240321100000`;
      assert.equal((await send(adt('A08', 'SEM16', '||ROE^RICK', pv1))).get('MSA-1'), 'AA');
      const oru = [
        'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240322090000||ORU^R01|SEM17|P|2.5.1',
        'PID|1||MRN970^^^GENHOSP^MR||ROE^RICK',
        'PV1|1|I|||||||||||||||||V0972^^^GENHOSP^VN',
        'OBR|1||FI972|24627-2^CT Chest^LN|||20240320083000|||||||||||ACC972||||||CT|F',
        'OBX|1|TX|18782-3^Findings^LN||No acute findings.||||||F',
      ].join('\r');
      assert.equal((await send(oru)).get('MSA-1'), 'AA');
      const [visit] = await searchStore<Encounter>(suite.core, 'Encounter', 'identifier=V0972');
      assert.equal(visit?.period?.end, '2024-03-21T10:00:00Z');
      assert.equal(visit?.status, 'finished');
    });

    it("a time without an offset is in the sender's zone (MSH-7), not UTC; one with an offset is kept", async () => {
      const oru = [
        'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240316120000+0100||ORU^R01|SEM21|P|2.5.1',
        'PID|1||MRN971^^^GENHOSP^MR||POE^EDGAR',
        'OBR|1||FI971|24627-2^CT Chest^LN|||202403161100|||||||||||ACC971||||20240316115530.25-0500||CT|F',
        'OBX|1|TX|18782-3^Findings^LN||No acute findings.||||||F',
      ].join('\r');
      assert.equal((await send(oru)).get('MSA-1'), 'AA');
      const [report] = await searchStore<DiagnosticReport>(suite.core, 'DiagnosticReport', 'identifier=ACC971');
      assert.equal(report?.effectiveDateTime, '2024-03-16T11:00:00+01:00');
      assert.equal(report?.issued, '2024-03-16T11:55:30.25-05:00');
    });

    it('a Latin-1 sender without MSH-18 keeps its accented letters; MSH-18 UNICODE UTF-8 is read as UTF-8', async () => {
      const msg = (id: string, mrn: string, msh18: string): string =>
        [
          `MSH|^~\\&|ADT|GENHOSP|CTFHIR|CTF|20240320070000||ADT^A08|${id}|P|2.5.1${msh18 ? `||||||${msh18}` : ''}`,
          'EVN|A08|20240320070000',
          `PID|1||${mrn}^^^GENHOSP^MR||MÜLLER^JOSÉ`,
        ].join('\r');
      assert.equal((await send(msg('SEM31', 'MRN972', ''), 'latin1')).get('MSA-1'), 'AA');
      assert.deepEqual((await patient('MRN972')).name, [{ family: 'MÜLLER', given: ['JOSÉ'] }]);
      assert.equal((await send(msg('SEM32', 'MRN973', 'UNICODE UTF-8'))).get('MSA-1'), 'AA');
      assert.deepEqual((await patient('MRN973')).name, [{ family: 'MÜLLER', given: ['JOSÉ'] }]);
    });
  });
}
