import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  Bundle,
  BundleEntry,
  DiagnosticReport,
  Encounter,
  ImagingStudy,
  Observation,
  Patient,
  ServiceRequest,
} from 'fhir/r4.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { mapMessage, MappingError } from '../../../src/hl7v2/mapping/index.js';
import { fixture, mappingErrorOf } from './fixtures.js';
import { checkResource } from '../../../src/fhir/validation.js';

const map = (name: string) => mapMessage(Hl7Message.parse(fixture(name)));
const entries = (b: Bundle, type: string): BundleEntry[] =>
  (b.entry ?? []).filter((e) => e.resource?.resourceType === type);
const one = <T>(b: Bundle, type: string): { entry: BundleEntry; resource: T } => {
  const es = entries(b, type);
  assert.equal(es.length, 1, `one ${type}`);
  return { entry: es[0]!, resource: es[0]!.resource as T };
};
const reportText = (dr: DiagnosticReport): string =>
  Buffer.from(dr.presentedForm![0]!.data!, 'base64').toString('utf8');
const mappingError = (name: string): MappingError => mappingErrorOf(fixture(name));

describe('ORU^R01 mapping', () => {
  it('v2.3: Patient matched or created on PID-3 (results never rewrite it), Encounter from PV1-19, urn:uuid references', () => {
    const r = map('oru-r01-v23.hl7');
    assert.equal(r.bundle.type, 'transaction');
    const p = one<Patient>(r.bundle, 'Patient');
    assert.equal(p.entry.request?.method, 'POST');
    assert.equal(p.entry.request?.url, 'Patient');
    assert.equal(p.entry.request?.ifNoneExist, `identifier=${encodeURIComponent('urn:ct-fhir:hl7v2:GENHOSP')}|MRN123`);
    assert.match(p.entry.fullUrl!, /^urn:uuid:[0-9a-f-]{36}$/);
    assert.equal(p.resource.gender, 'female');
    assert.equal(p.resource.birthDate, '1960-04-12');
    assert.deepEqual(p.resource.name, [{ family: 'DOE', given: ['JANE', 'Q'] }]);
    const enc = one<Encounter>(r.bundle, 'Encounter');
    assert.equal(enc.resource.class.code, 'AMB');
    assert.equal(enc.resource.subject?.reference, p.entry.fullUrl);
    assert.equal(enc.resource.identifier?.[0]?.value, 'V0001');
  });
  it('v2.3: ServiceRequest with placer, filler and accession; DiagnosticReport per the v2-to-FHIR IG', () => {
    const r = map('oru-r01-v23.hl7');
    const sr = one<ServiceRequest>(r.bundle, 'ServiceRequest');
    assert.deepEqual(
      sr.resource.identifier?.map((i) => [i.type?.coding?.[0]?.code, i.value]),
      [
        ['PLAC', 'PL1001'],
        ['FILL', 'FI2001'],
        ['ACSN', 'ACC5001'],
      ],
    );
    assert.equal(sr.resource.status, 'completed');
    assert.equal(sr.resource.intent, 'order');
    const dr = one<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.equal(dr.resource.status, 'final');
    assert.equal(dr.resource.code.coding?.[0]?.code, '71250');
    assert.equal(dr.resource.code.coding?.[0]?.system, 'http://www.ama-assn.org/go/cpt');
    assert.deepEqual(dr.resource.category?.[0]?.coding?.[0], {
      system: 'http://loinc.org',
      code: 'LP29684-5',
      display: 'Radiology',
    });
    assert.equal(dr.resource.category?.[1]?.coding?.[0]?.code, 'CT');
    assert.equal(dr.resource.effectiveDateTime, '2024-03-15T09:30:00Z');
    assert.equal(dr.resource.issued, '2024-03-15T10:10:00Z');
    assert.equal(dr.resource.resultsInterpreter?.[0]?.identifier?.value, 'RAD77');
    assert.equal(dr.resource.resultsInterpreter?.[0]?.display, 'ALICE SMITH');
    assert.equal(dr.resource.basedOn?.[0]?.reference, sr.entry.fullUrl);
    assert.equal(
      reportText(dr.resource),
      'FINDINGS: Small right pleural effusion.\nNodule 6 mm & stable; size ^ 5 mm.\nIMPRESSION: Right pleural effusion.',
    );
    assert.equal(dr.resource.presentedForm?.[0]?.contentType, 'text/plain; charset=utf-8');
    assert.equal(dr.resource.conclusion, 'IMPRESSION: Right pleural effusion.');
    assert.deepEqual(r.triggers, [{ kind: 'report-labels', fullUrl: dr.entry.fullUrl }]);
  });
  it('v2.3: ImagingStudy stub from ZDS-1, created only if none has that study UID', () => {
    const r = map('oru-r01-v23.hl7');
    const is = one<ImagingStudy>(r.bundle, 'ImagingStudy');
    const uid = '1.2.840.113619.2.55.3.604688119.969.1268071029.320';
    assert.equal(is.entry.request?.method, 'POST');
    assert.equal(
      is.entry.request?.ifNoneExist,
      `identifier=${encodeURIComponent('urn:dicom:uid')}|${encodeURIComponent(`urn:oid:${uid}`)}`,
    );
    assert.deepEqual(is.resource.identifier?.[0], { system: 'urn:dicom:uid', value: `urn:oid:${uid}` });
    assert.equal(is.resource.modality?.[0]?.code, 'CT');
    const dr = one<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.equal(dr.resource.imagingStudy?.[0]?.reference, is.entry.fullUrl);
  });
  it('v2.5.1: escapes decoded, \\.br\\ and repetitions as line breaks, OBX order kept, non-standard OBX-11 "Final"', () => {
    const r = map('oru-r01-v251.hl7');
    const dr = one<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.equal(dr.resource.status, 'corrected');
    assert.equal(
      reportText(dr.resource),
      'Lungs: 8 mm nodule in the right upper lobe\nNo pneumothorax.\nSecond repetition line\n' +
        'Pipe | tilde ~ escape \\ hex HELLO done\n\nend\nPulmonary nodule; follow-up CT in 12 months.',
    );
    assert.equal(dr.resource.effectiveDateTime, '2024-03-16T11:00:00+01:00');
    assert.equal(dr.resource.conclusion, 'Pulmonary nodule; follow-up CT in 12 months.');
    const p = one<Patient>(r.bundle, 'Patient');
    // Any of the identifiers with an assigning authority matches (README "Patient matching").
    assert.equal(
      p.entry.request!.ifNoneExist!,
      'identifier=urn%3Aoid%3A2.16.840.1.113883.19.5|MRN456,urn%3Act-fhir%3Ahl7v2%3ASSA|SSN999',
    );
    assert.equal(p.resource.identifier?.length, 2);
  });
  it('v2.5.1: coded and numeric OBX become Observations; the study UID OBX becomes the ImagingStudy', () => {
    const r = map('oru-r01-v251.hl7');
    const obs = entries(r.bundle, 'Observation').map((e) => e.resource as Observation);
    assert.equal(obs.length, 2);
    assert.deepEqual(
      obs[0]!.valueCodeableConcept?.coding?.map((c) => [c.system, c.code]),
      [
        ['http://snomed.info/sct', '27925004'],
        ['http://radlex.org', 'RID50149'],
      ],
    );
    assert.equal(obs[0]!.status, 'final', 'OBX-11 "Final" read as final');
    assert.equal(obs[1]!.valueQuantity?.value, 8);
    assert.equal(obs[1]!.valueQuantity?.code, 'mm');
    assert.equal(obs[1]!.status, 'final');
    const is = one<ImagingStudy>(r.bundle, 'ImagingStudy');
    assert.equal(is.resource.identifier?.[0]?.value, 'urn:oid:1.2.840.113619.2.55.3.1111.2222');
    const dr = one<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.equal(dr.resource.result?.length, 2);
  });
  it('RP pointers become presentedForm attachments: url decoded, contentType from RP.3/RP.4, not report text', () => {
    const text = [
      fixture('oru-r01-v251.hl7'),
      'OBX|7|RP|18748-4^Diagnostic imaging study^LN|5|https://pacs.example.org/wado?requestType=WADO\\T\\studyUID=1.2.3^PACS^IM^JPEG||||||F',
      'OBX|8|RP|11528-7^Radiology report^LN|6|https://ris.example.org/r/FI2002.pdf^RIS^AP^PDF||||||F',
      'OBX|9|RP|11528-7^Radiology report^LN|7|https://ris.example.org/r/FI2002.html^RIS^text^html||||||F',
      'OBX|10|RP|11528-7^Radiology report^LN|8|key-4711^RIS^SI^BASIC||||||F',
      'OBX|11|RP|11528-7^Radiology report^LN|9|^RIS^AP^PDF||||||F',
    ].join('\r');
    const dr = one<DiagnosticReport>(mapMessage(Hl7Message.parse(text)).bundle, 'DiagnosticReport').resource;
    assert.deepEqual(dr.presentedForm!.slice(1), [
      {
        url: 'https://pacs.example.org/wado?requestType=WADO&studyUID=1.2.3',
        contentType: 'image/jpeg',
        title: 'Diagnostic imaging study',
      },
      { url: 'https://ris.example.org/r/FI2002.pdf', contentType: 'application/pdf', title: 'Radiology report' },
      { url: 'https://ris.example.org/r/FI2002.html', contentType: 'text/html', title: 'Radiology report' },
      { url: 'key-4711', title: 'Radiology report' }, // SI/BASIC names no MIME type: none invented
    ]);
    assert.doesNotMatch(reportText(dr), /example\.org|key-4711/);
    assert.deepEqual(
      checkResource(dr).outcome.issue.filter((i) => i.severity === 'error'),
      [],
    );
  });
  it('v2.7 with no PV1, no ORC: preliminary report, OBX-11 "Wet Read" accepted, no label trigger', () => {
    const r = map('oru-r01-v27-minimal.hl7');
    assert.equal(entries(r.bundle, 'Encounter').length, 0);
    const dr = one<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.equal(dr.resource.status, 'preliminary');
    assert.equal(dr.resource.identifier?.[0]?.value, 'FI2003');
    assert.equal(dr.resource.imagingStudy, undefined);
    assert.equal(reportText(dr.resource), 'Preliminary read: no acute findings.');
    assert.deepEqual(r.triggers, []);
    const [obs] = entries(r.bundle, 'Observation').map((e) => e.resource as Observation);
    assert.equal(obs!.status, 'preliminary', 'OBX-11 "Wet Read" read as preliminary');
  });
  it("ORC before its OBR: a group without ORC does not take the next group's ORC", () => {
    const text = [
      fixture('oru-r01-v27-minimal.hl7'),
      'ORC|RE|PL2004|FI2004||CM',
      'OBR|2|PL2004|FI2004|24627-2^CT Chest^LN|||20240317083000|||||||||||||||||CT|F',
    ].join('\r');
    const r = mapMessage(Hl7Message.parse(text));
    assert.deepEqual(
      entries(r.bundle, 'ServiceRequest').map((e) => [
        e.request?.url.split('|')[1],
        (e.resource as ServiceRequest).status,
      ]),
      [
        ['FI2003', 'active'],
        ['FI2004', 'completed'],
      ],
    );
  });
  it("two OBR groups with one accession and study UID: one ServiceRequest, DiagnosticReport and ImagingStudy with both groups' results", () => {
    const first = fixture('oru-r01-v251.hl7');
    const second = [
      'ORC|RE|PL1003^RIS|FI2003^PACS||CM',
      first
        .split('\r')
        .find((l) => l.startsWith('OBR|'))!
        .replace('OBR|1|PL1002^RIS|FI2002^PACS', 'OBR|2|PL1003^RIS|FI2003^PACS'),
      'OBX|4|NM|21889-1^Size^LN|3|12|mm^millimeter^UCUM|||||F',
      'OBX|5|ST|110180^Study Instance UID^DCM||1.2.840.113619.2.55.3.1111.2222||||||F',
    ];
    const r = mapMessage(Hl7Message.parse([first, ...second].join('\r')));
    const sr = one<ServiceRequest>(r.bundle, 'ServiceRequest');
    assert.deepEqual(
      sr.resource.identifier?.map((i) => i.value),
      ['PL1002', 'FI2002', 'ACC5002', 'PL1003', 'FI2003'],
    );
    const is = one<ImagingStudy>(r.bundle, 'ImagingStudy');
    const dr = one<DiagnosticReport>(r.bundle, 'DiagnosticReport');
    assert.deepEqual(dr.resource.basedOn, [{ reference: sr.entry.fullUrl }]);
    assert.deepEqual(dr.resource.imagingStudy, [{ reference: is.entry.fullUrl }]);
    assert.match(reportText(dr.resource), /8 mm nodule/, "the first group's text stays: the second has none");
    const obs = entries(r.bundle, 'Observation');
    assert.deepEqual(
      obs.map((e) => [
        (e.resource as Observation).identifier?.[0]?.value,
        (e.resource as Observation).valueQuantity?.value,
      ]),
      [
        ['ACC5002.3.3', undefined],
        ['ACC5002.4.3', 8],
        ['ACC5002-OBR2.4.3', 12],
      ],
    );
    assert.deepEqual(
      dr.resource.result?.map((ref) => ref.reference),
      obs.map((e) => e.fullUrl),
    );
    assert.deepEqual(r.triggers, [{ kind: 'report-labels', fullUrl: dr.entry.fullUrl }]);
  });
  it('numeric OBX: an empty NM has no value; SN maps comparator to Quantity, "-" to Range and ":" to Ratio', () => {
    const text = [
      fixture('oru-r01-v27-minimal.hl7'),
      'OBX|3|NM|21889-1^Size^LN|1||mm^millimeter^UCUM|||||F',
      'OBX|4|SN|21889-1^Size^LN|2|<^5|mm^millimeter^UCUM|||||F',
      'OBX|5|SN|21889-1^Size^LN|3|>=^3.5|mm^millimeter^UCUM|||||F',
      'OBX|6|SN|21889-1^Size^LN|4|=^7|mm^millimeter^UCUM|||||F',
      'OBX|7|SN|21889-1^Size^LN|5|^10^-^20|mm^millimeter^UCUM|||||F',
      'OBX|8|SN|21889-1^Size^LN|6|^1^:^2||||||F',
    ].join('\r');
    const obs = entries(mapMessage(Hl7Message.parse(text)).bundle, 'Observation')
      .map((e) => e.resource as Observation)
      .slice(1);
    const mm = { unit: 'millimeter', code: 'mm', system: 'http://unitsofmeasure.org' };
    const values = obs.map(({ valueQuantity, valueRange, valueRatio }) => ({ valueQuantity, valueRange, valueRatio }));
    assert.deepEqual(values, [
      { valueQuantity: undefined, valueRange: undefined, valueRatio: undefined },
      { valueQuantity: { value: 5, ...mm, comparator: '<' }, valueRange: undefined, valueRatio: undefined },
      { valueQuantity: { value: 3.5, ...mm, comparator: '>=' }, valueRange: undefined, valueRatio: undefined },
      { valueQuantity: { value: 7, ...mm }, valueRange: undefined, valueRatio: undefined },
      {
        valueQuantity: undefined,
        valueRange: { low: { value: 10, ...mm }, high: { value: 20, ...mm } },
        valueRatio: undefined,
      },
      {
        valueQuantity: undefined,
        valueRange: undefined,
        valueRatio: { numerator: { value: 1 }, denominator: { value: 2 } },
      },
    ]);
    for (const o of obs) {
      assert.deepEqual(
        checkResource(o).outcome.issue.filter((i) => i.severity === 'error'),
        [],
      );
    }
  });
  it('an unknown OBX-11 on a coded OBX is a warning (ERR severity W) and the report status is used', () => {
    const text = fixture('oru-r01-v27-minimal.hl7').replace(
      'Pleural effusion^SCT||||||Wet Read',
      'Pleural effusion^SCT||||||Maybe',
    );
    const r = mapMessage(Hl7Message.parse(text));
    assert.deepEqual(
      r.warnings.map((w) => [w.code, w.severity, w.location]),
      [['103', 'W', { segment: 'OBX', sequence: 2, field: 11 }]],
    );
    assert.equal((entries(r.bundle, 'Observation')[0]!.resource as Observation).status, 'preliminary');
  });
  it('ERR-2 names an OBX by its occurrence in the message, not by its Set ID (OBX-1 5, 7, empty)', () => {
    const text = [
      'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240317090000||ORU^R01^ORU_R01|MSG00272|P|2.5.1',
      'PID|1||MRN789^^^GENHOSP^MR||POE^EDGAR',
      'OBR|1||FI2004|24627-2^CT Chest^LN|||20240317083000|||||||||||||||||CT|F',
      'OBX|5|CWE|59776-5^Procedure findings^LN|1|60046008^Pleural effusion^SCT||||||F',
      'OBX|7|CWE|59776-5^Procedure findings^LN|2|27925004^Nodule^SCT||||||Maybe',
      'OBX||NM|21889-1^Size^LN|2|8|mm^millimeter^UCUM|||||F',
    ].join('\r');
    const r = mapMessage(Hl7Message.parse(text));
    assert.deepEqual(
      r.warnings.map((w) => w.location),
      [{ segment: 'OBX', sequence: 2, field: 11 }],
      'the unknown OBX-11 is in the second OBX (Set ID 7)',
    );
    const obxLocations = r.entryLocations.filter((l) => l?.segment === 'OBX');
    assert.deepEqual(
      obxLocations.map((l) => l?.sequence),
      [1, 2, 3],
      'a rejected Observation is reported at its OBX occurrence',
    );
  });
  it('no PID-3: AE with ERR at PID-3 (code 101)', () => {
    const err = mappingError('oru-r01-no-pid3.hl7');
    assert.equal(err.ackCode, 'AE');
    assert.deepEqual(err.errors[0]!.location, { segment: 'PID', sequence: 1, field: 3 });
    assert.equal(err.errors[0]!.code, '101');
  });
  it('missing or unknown OBR-25 result status is AE at OBR-25', () => {
    for (const [value, code] of [
      ['', '101'],
      ['Q', '103'],
    ]) {
      const text = fixture('oru-r01-v27-minimal.hl7').replace('||CT|P', `||CT|${value}`);
      assert.throws(
        () => mapMessage(Hl7Message.parse(text)),
        (e: unknown) => e instanceof MappingError && e.errors[0]!.code === code && e.errors[0]!.location?.field === 25,
      );
    }
  });
  it('unsupported message type is AR 200, unsupported event AR 201, unsupported version AR 203', () => {
    const base = fixture('adt-a08.hl7');
    const check = (text: string, code: string): void =>
      assert.throws(
        () => mapMessage(Hl7Message.parse(text)),
        (e: unknown) => e instanceof MappingError && e.ackCode === 'AR' && e.errors[0]!.code === code,
      );
    check(base.replace('ADT^A08', 'SIU^S12'), '200');
    check(base.replace('ADT^A08', 'ADT^A03'), '201');
    check(base.replace('|P|2.3', '|P|2.2'), '203');
    check(base.replace('|P|2.3', '|P|3.0'), '203');
  });
});

describe('ORM^O01 / OMI^O23 mapping', () => {
  it('ORM NW: active ServiceRequest with OBR-18/19 identifiers and a registered ImagingStudy from ZDS-1', () => {
    const r = map('orm-o01-nw.hl7');
    const sr = one<ServiceRequest>(r.bundle, 'ServiceRequest');
    assert.equal(sr.resource.status, 'active');
    assert.equal(sr.resource.authoredOn, '2024-03-18T07:55:00Z');
    assert.equal(sr.resource.requester?.display, 'MARCUS WELBY');
    assert.deepEqual(
      sr.resource.identifier?.slice(3).map((i) => [i.type?.text, i.value]),
      [
        ['Requested Procedure ID', 'RP5005'],
        ['Scheduled Procedure Step ID', 'SPS5005'],
      ],
    );
    assert.match(sr.entry.request!.url, /^ServiceRequest\?identifier=.*\|ACC5005$/);
    const is = one<ImagingStudy>(r.bundle, 'ImagingStudy');
    assert.equal(is.resource.status, 'registered');
    assert.equal(is.resource.identifier?.[1]?.value, 'ACC5005');
    assert.equal(is.resource.basedOn?.[0]?.reference, sr.entry.fullUrl);
  });
  it('ORM CA: revoked ServiceRequest, no ImagingStudy written, the stub to cancel named by study UID or accession', () => {
    const r = map('orm-o01-ca.hl7');
    assert.equal(one<ServiceRequest>(r.bundle, 'ServiceRequest').resource.status, 'revoked');
    assert.equal(entries(r.bundle, 'ImagingStudy').length, 0);
    assert.deepEqual(r.cancelStudies, ['identifier=urn%3Act-fhir%3Ahl7v2%3AGENHOSP|ACC5005']);
    const withUid = mapMessage(
      Hl7Message.parse(`${fixture('orm-o01-ca.hl7')}\rZDS|1.2.840.113619.2.55.3.5005^RIS^Application^DICOM`),
    );
    assert.deepEqual(withUid.cancelStudies, ['identifier=urn%3Adicom%3Auid|urn%3Aoid%3A1.2.840.113619.2.55.3.5005']);
    assert.deepEqual(map('orm-o01-nw.hl7').cancelStudies, []);
  });
  it('ORC-1 DC, XO and SC (with ORC-5) set the status; an unknown ORC-1 is AE 103', () => {
    const base = fixture('orm-o01-nw.hl7');
    const status = (orc: string): string | undefined =>
      one<ServiceRequest>(
        mapMessage(Hl7Message.parse(base.replace('ORC|NW|PL1005|FI2005||SC', orc))).bundle,
        'ServiceRequest',
      ).resource.status;
    assert.equal(status('ORC|DC|PL1005|FI2005||DC'), 'revoked');
    assert.equal(status('ORC|XO|PL1005|FI2005||SC'), 'active');
    assert.equal(status('ORC|SC|PL1005|FI2005||CM'), 'completed');
    assert.throws(
      () => mapMessage(Hl7Message.parse(base.replace('ORC|NW', 'ORC|ZZ'))),
      (e: unknown) => e instanceof MappingError && e.errors[0]!.code === '103',
    );
  });
  it('ORC-1 SC with ORC-5 CA or DC revokes the order and cancels its study stub, like ORC-1 CA', () => {
    for (const orc5 of ['CA', 'DC']) {
      const text = fixture('orm-o01-nw.hl7').replace('ORC|NW|PL1005|FI2005||SC', `ORC|SC|PL1005|FI2005||${orc5}`);
      const r = mapMessage(Hl7Message.parse(text));
      assert.equal(one<ServiceRequest>(r.bundle, 'ServiceRequest').resource.status, 'revoked');
      assert.equal(entries(r.bundle, 'ImagingStudy').length, 0, `SC/${orc5} writes no registered stub`);
      assert.deepEqual(r.cancelStudies, ['identifier=urn%3Adicom%3Auid|urn%3Aoid%3A1.2.840.113619.2.55.3.5005']);
    }
  });
  it('ORC after its OBR: each ORC belongs to the OBR before it, so the second order is cancelled under its own key', () => {
    const text = [
      'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240318080000||ORM^O01|MSG00510|P|2.3.1',
      'PID|1||MRN123^^^GENHOSP^MR||DOE^JANE',
      `OBR|1|PLA|FIA|24627-2^CT Chest^LN${'|'.repeat(14)}ACCA||||||CT`,
      'ORC|NW|PLA|FIA||SC',
      `OBR|2|PLB|FIB|24627-2^CT Chest^LN${'|'.repeat(14)}ACCB||||||CT`,
      'ORC|CA|PLB|FIB||CA',
    ].join('\r');
    const r = mapMessage(Hl7Message.parse(text));
    const orders = entries(r.bundle, 'ServiceRequest').map((e) => [
      e.request?.url.split('|')[1],
      (e.resource as ServiceRequest).status,
    ]);
    assert.deepEqual(orders, [
      ['ACCA', 'active'],
      ['ACCB', 'revoked'],
    ]);
    assert.deepEqual(r.cancelStudies, ['identifier=urn%3Act-fhir%3Ahl7v2%3AGENHOSP|ACCB']);
  });
  it('OMI^O23: accession IPC-1, study UID IPC-3, modality IPC-5', () => {
    const r = map('omi-o23.hl7');
    const is = one<ImagingStudy>(r.bundle, 'ImagingStudy');
    assert.equal(is.resource.identifier?.[0]?.value, 'urn:oid:1.2.840.113619.2.55.3.6006');
    assert.equal(is.resource.identifier?.[1]?.value, 'ACC5006');
    assert.equal(is.resource.modality?.[0]?.code, 'CT');
    const sr = one<ServiceRequest>(r.bundle, 'ServiceRequest');
    assert.ok(sr.resource.identifier?.some((i) => i.value === 'FI2006' && i.system === 'urn:ct-fhir:hl7v2:PACS'));
  });
});

describe('ADT mapping', () => {
  it('A01: Patient upsert with address and phone, emergency Encounter', () => {
    const r = map('adt-a01.hl7');
    const p = one<Patient>(r.bundle, 'Patient').resource;
    assert.equal(p.name?.[0]?.family, "O'BRIEN");
    assert.equal(p.address?.[0]?.city, 'DUBLIN');
    assert.equal(p.telecom?.[0]?.value, '555 1234567');
    assert.equal(one<Encounter>(r.bundle, 'Encounter').resource.class.code, 'EMER');
  });
  it('A04: Patient upsert like A01', () => {
    const r = mapMessage(Hl7Message.parse(fixture('adt-a01.hl7').replace('ADT^A01^ADT_A01', 'ADT^A04^ADT_A01')));
    assert.equal(r.messageType, 'ADT^A04');
    assert.equal(one<Patient>(r.bundle, 'Patient').resource.birthDate, '1980-12-31');
  });
  it('A08: Patient update only', () => {
    const r = map('adt-a08.hl7');
    assert.deepEqual(
      r.bundle.entry?.map((e) => e.resource?.resourceType),
      ['Patient'],
    );
  });
  it('A40: survivor upserted (active) from PID; the merge operation names both patients and reports at MRG-1', () => {
    const r = map('adt-a40.hl7');
    assert.equal(r.bundle.entry?.length, 1);
    assert.equal(r.bundle.entry![0]!.request?.method, 'PUT');
    const s = r.bundle.entry![0]!.resource as Patient;
    assert.equal(s.active, true);
    assert.equal(s.link, undefined, 'links are written by the merge step, after the prior patient is found');
    assert.equal(r.merges.length, 1);
    assert.deepEqual(r.merges[0]!.prior, ['urn:ct-fhir:hl7v2:GENHOSP|MRN901']);
    assert.equal(r.merges[0]!.survivor, r.bundle.entry![0]!.fullUrl);
    assert.deepEqual(r.patients[0]!.tokens, ['urn:ct-fhir:hl7v2:GENHOSP|MRN900']);
    assert.deepEqual(r.merges[0]!.location, { segment: 'MRG', sequence: 1, field: 1 });
  });
  it('A40 with two merges: a second PID without PID-3 is AE at PID^2^3, not at the first PID', () => {
    const text = `${fixture('adt-a40.hl7')}\rPID|2||^^^GENHOSP^MR||DOE^JOHN\rMRG|MRN903^^^GENHOSP^MR`;
    assert.deepEqual(mappingErrorOf(text).errors[0]!.location, { segment: 'PID', sequence: 2, field: 3 });
  });
  it('A40 without MRG is AE', () => {
    const text = fixture('adt-a40.hl7').replace(/\rMRG\|[^\r]*/, '');
    assert.throws(
      () => mapMessage(Hl7Message.parse(text)),
      (e: unknown) => e instanceof MappingError && e.ackCode === 'AE',
    );
  });
});
