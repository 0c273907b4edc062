// Which PID identifiers a Patient gets and which it is matched on (src/hl7v2/README.md "Patient matching"): PID-3
// with the sending facility as the default authority, PID-2/PID-4 (v2.3) with their own CX-4 only; the match is on
// every identifier with a system, none without; an A40 survivor is never matched by the prior patient's identifiers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from 'fhir/r4.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { mapMessage, type MappingResult } from '../../../src/hl7v2/mapping/index.js';
import { mappingErrorOf } from './fixtures.js';

const SYS = 'urn:ct-fhir:hl7v2:';

const adt = (pid: string, facility = 'GENHOSP', event = 'A08', version = '2.3'): string =>
  `MSH|^~\\&|ADT|${facility}|CTFHIR|CTF|20240320070000||ADT^${event}|U1|P|${version}\rEVN|${event}\r${pid}`;

const patientOf = (r: MappingResult): Patient => r.bundle.entry![0]!.resource as Patient;

describe('PID identifiers and the patient match', () => {
  it('PID-2 and PID-4 are identifiers; without CX-4 they get no system and are not matched on', () => {
    const r = mapMessage(
      Hl7Message.parse(adt('PID|1|EXT55^^^CITYCLINIC|MRN962^^^^MR|ALT77^^^STATEREG~X962|POE^EDGAR||19490119|M')),
    );
    assert.deepEqual(
      patientOf(r).identifier?.map((i) => [i.system, i.value]),
      [
        [`${SYS}GENHOSP`, 'MRN962'],
        [`${SYS}CITYCLINIC`, 'EXT55'],
        [`${SYS}STATEREG`, 'ALT77'],
        [undefined, 'X962'],
      ],
    );
    assert.deepEqual(r.patients[0]!.tokens, [`${SYS}GENHOSP|MRN962`, `${SYS}CITYCLINIC|EXT55`, `${SYS}STATEREG|ALT77`]);
    assert.equal(r.patients[0]!.write, 'update');
    assert.deepEqual(r.patients[0]!.location, { segment: 'PID', sequence: 1, field: 3 });
  });

  it('every PID-3 repetition with an authority is matched on, in the order sent; the entry names all of them', () => {
    const r = mapMessage(Hl7Message.parse(adt('PID|1||123^^^OTHERHOSP^MR~MRN900^^^GENHOSP^MR||DOE^JOHN')));
    assert.deepEqual(r.patients[0]!.tokens, [`${SYS}OTHERHOSP|123`, `${SYS}GENHOSP|MRN900`]);
    assert.equal(
      r.bundle.entry![0]!.request!.url,
      `Patient?identifier=${encodeURIComponent(`${SYS}OTHERHOSP`)}|123,${encodeURIComponent(`${SYS}GENHOSP`)}|MRN900`,
    );
  });

  it('a PID-2 repeating a PID-3 value without an authority adds no second identifier', () => {
    const r = mapMessage(Hl7Message.parse(adt('PID|1|MRN900|MRN900^^^GENHOSP^MR||DOE^JOHN')));
    assert.deepEqual(
      patientOf(r).identifier?.map((i) => i.value),
      ['MRN900'],
    );
  });

  it('identifiers without any system (no CX-4, no MSH-3/MSH-4) are AE at PID-3.4, not matched across senders', () => {
    const text = 'MSH|^~\\&||||CTF|20240320070000||ADT^A08|U2|P|2.3\rEVN|A08\rPID|1||MRN900^^^^MR||DOE^JOHN';
    const err = mappingErrorOf(text);
    assert.equal(err.ackCode, 'AE');
    assert.equal(err.errors[0]!.code, '101');
    assert.deepEqual(err.errors[0]!.location, { segment: 'PID', sequence: 1, field: 3, component: 4 });
  });

  it('A40: the survivor is not matched by the prior patient identifiers its PID-3 repeats', () => {
    const a40 = (pid3: string): string =>
      `MSH|^~\\&|ADT|GENHOSP|CTFHIR|CTF|20240321070000||ADT^A40^ADT_A39|U3|P|2.5.1\rEVN|A40\r` +
      `PID|1||${pid3}||DOE^JOHN\rMRG|MRN901^^^GENHOSP^MR`;
    const r = mapMessage(Hl7Message.parse(a40('MRN900^^^GENHOSP^MR~MRN901^^^GENHOSP^MR')));
    assert.deepEqual(r.patients[0]!.tokens, [`${SYS}GENHOSP|MRN900`]);
    assert.equal(r.bundle.entry![0]!.request!.url, `Patient?identifier=${encodeURIComponent(`${SYS}GENHOSP`)}|MRN900`);
    assert.equal(patientOf(r).identifier?.length, 2, 'both are stored');
    assert.deepEqual(r.merges, [
      { survivor: r.bundle.entry![0]!.fullUrl, prior: [`${SYS}GENHOSP|MRN901`], location: r.merges[0]!.location },
    ]);
    const same = mappingErrorOf(a40('MRN901^^^GENHOSP^MR'));
    assert.equal(same.errors[0]!.code, '205');
    assert.deepEqual(same.errors[0]!.location, { segment: 'PID', sequence: 1, field: 3 });
  });

  it('results and orders carry match-or-create for the executor', () => {
    const oru =
      'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240317090000||ORU^R01|U4|P|2.5.1\rPID|1||MRN789^^^GENHOSP^MR||POE^EDGAR\r' +
      'OBR|1||FI2003|24627-2^CT Chest^LN|||20240317083000|||||||||||||||||CT|F\rOBX|1|TX|18782-3^Findings^LN||ok||||||F';
    const r = mapMessage(Hl7Message.parse(oru));
    assert.equal(r.patients.length, 1);
    assert.equal(r.patients[0]!.write, 'match-or-create');
    assert.equal(r.patients[0]!.fullUrl, r.bundle.entry!.find((e) => e.resource?.resourceType === 'Patient')!.fullUrl);
  });
});
