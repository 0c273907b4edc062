// Mapping edge cases: Encounter for US Core (type from PV1-4), times in the sender's zone, withdrawn report text
// (OBX-11 D/W), OBR-25 sent as "", \X..\ escapes from a Latin-1 sender, v2.7 XTN-12, and payloads without MSH-18.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Bundle, DiagnosticReport, Encounter, Patient } from 'fhir/r4.js';
import { checkResource } from '../../../src/fhir/validation.js';
import { unescapeText } from '../../../src/hl7v2/encoding.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { mapMessage, MappingError } from '../../../src/hl7v2/mapping/index.js';
import { payloadText } from '../../../src/hl7v2/mllp.js';
import { fixture } from './fixtures.js';

const only = <T>(b: Bundle, type: string): T => {
  const found = (b.entry ?? []).filter((e) => e.resource?.resourceType === type);
  assert.equal(found.length, 1, `one ${type}`);
  return found[0]!.resource as T;
};
const text = (dr: DiagnosticReport): string => Buffer.from(dr.presentedForm![0]!.data!, 'base64').toString('utf8');

const oru = (msh7: string, obr: string, obx: string[]): string =>
  [
    `MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|${msh7}||ORU^R01|EDGE1|P|2.5.1`,
    'PID|1||MRN1^^^GENHOSP^MR||DOE^JANE',
    obr,
    ...obx,
  ].join('\r');
const OBR = (obr7: string, obr25: string): string =>
  `OBR|1||FI1|24627-2^CT Chest^LN|||${obr7}|||||||||||ACC1||||${obr7}||CT|${obr25}`;

describe('HL7 v2 mapping edge cases', () => {
  it('Encounter from PV1 meets US Core 5.0.1 Encounter: type from PV1-4, else data-absent; R4-valid', () => {
    const withType = mapMessage(Hl7Message.parse(fixture('adt-a01.hl7').replace('|E|ER^1^1||', '|E|ER^1^1|U|')));
    const enc = only<Encounter>(withType.bundle, 'Encounter');
    assert.deepEqual(enc.type, [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0007', code: 'U', display: 'Urgent' }] },
    ]);
    const without = only<Encounter>(mapMessage(Hl7Message.parse(fixture('oru-r01-v23.hl7'))).bundle, 'Encounter');
    assert.deepEqual(without.type, [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: 'unknown', display: 'Unknown' },
        ],
      },
    ]);
    for (const e of [enc, without]) {
      // us-core-encounter (not shipped with the validator here): status, class, type, subject; identifier system+value.
      assert.ok(e.status && e.class && e.type?.length && e.subject?.reference);
      assert.ok(e.identifier?.every((i) => i.system && i.value));
      const errors = checkResource(e).outcome.issue.filter((i) => i.severity === 'error');
      assert.deepEqual(errors, []);
    }
  });

  it("times without an offset take MSH-7's (the sender's zone); without one there, the configured default", () => {
    const dr = only<DiagnosticReport>(
      mapMessage(Hl7Message.parse(oru('20240316120000+0100', OBR('20240316110000', 'F'), []))).bundle,
      'DiagnosticReport',
    );
    assert.equal(dr.effectiveDateTime, '2024-03-16T11:00:00+01:00');
    assert.equal(dr.issued, '2024-03-16T11:00:00+01:00');
    const utc = only<DiagnosticReport>(
      mapMessage(Hl7Message.parse(oru('20240316120000', OBR('20240316110000-0500', 'F'), []))).bundle,
      'DiagnosticReport',
    );
    assert.equal(utc.effectiveDateTime, '2024-03-16T11:00:00-05:00', 'an offset in the field wins');
    const dateOnly = only<DiagnosticReport>(
      mapMessage(Hl7Message.parse(oru('20240316120000-0800', OBR('20240316', 'F'), []))).bundle,
      'DiagnosticReport',
    );
    assert.equal(dateOnly.effectiveDateTime, '2024-03-16', 'a date keeps its precision');
    assert.equal(dateOnly.issued, '2024-03-16T00:00:00-08:00');
  });

  it('text OBX withdrawn by OBX-11 D (deleted) or W (wrong, e.g. another patient) is not in the report text', () => {
    const r = mapMessage(
      Hl7Message.parse(
        oru('20240316120000', OBR('20240316110000', 'C'), [
          'OBX|1|TX|18782-3^Findings^LN||Kept line.||||||C',
          'OBX|2|TX|18782-3^Findings^LN||Text filed for another patient.||||||W',
          'OBX|3|FT|18782-3^Findings^LN||Deleted line.||||||D',
          'OBX|4|TX|19005-8^Impression^LN||Kept impression.||||||F',
        ]),
      ),
    );
    const dr = only<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.equal(text(dr), 'Kept line.\nKept impression.');
  });

  it('OBR-25 sent as the HL7 null "" is missing (AE 101 at OBR-25), not a final report', () => {
    assert.throws(
      () => mapMessage(Hl7Message.parse(oru('20240316120000', OBR('20240316110000', '""'), []))),
      (err: unknown) =>
        err instanceof MappingError &&
        err.ackCode === 'AE' &&
        err.errors[0]?.code === '101' &&
        err.errors[0]?.location?.field === 25,
    );
  });

  it('\\Xhh\\ is read as UTF-8 when it is UTF-8, else as 8859/1', () => {
    assert.equal(unescapeText('caf\\XC3A9\\ / caf\\XE9\\ / \\X48454C4C4F\\'), 'café / café / HELLO');
  });

  it('v2.7 XTN with only XTN-12 (unformatted number, XTN-1 withdrawn) gives the phone number', () => {
    const adt = fixture('adt-a01.hl7')
      .replace('|2.5.1', '|2.7')
      .replace('^PRN^PH^^^555^1234567', '^PRN^PH^^^^^^^^^+35315551234');
    const p = only<Patient>(mapMessage(Hl7Message.parse(adt)).bundle, 'Patient');
    assert.deepEqual(p.telecom, [{ system: 'phone', value: '+35315551234', use: 'home' }]);
  });

  it('a payload without MSH-18 that is not UTF-8 is read as 8859/1; UTF-8 and a declared set are unchanged', () => {
    const msh = (msh18: string): string =>
      `MSH|^~\\&|ADT|GENHOSP|CTFHIR|CTF|20240320070000||ADT^A08|C1|P|2.5.1${msh18 ? `||||||${msh18}` : ''}\rPID|1||M1||`;
    const latin1 = Buffer.concat([Buffer.from(msh(''), 'latin1'), Buffer.from('MÜLLER', 'latin1')]);
    assert.match(payloadText(latin1), /\|MÜLLER$/);
    assert.match(payloadText(Buffer.from(`${msh('')}MÜLLER`, 'utf8')), /\|MÜLLER$/);
    assert.match(payloadText(Buffer.from(`${msh('8859/1')}MÜLLER`, 'latin1')), /\|MÜLLER$/);
    assert.match(payloadText(Buffer.from(`${msh('UNICODE UTF-8')}MÜLLER`, 'utf8')), /\|MÜLLER$/);
  });
});
