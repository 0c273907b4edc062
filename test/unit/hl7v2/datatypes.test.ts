import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authoritySystem, cx, cwe, date, dateTime, instant, xpn } from '../../../src/hl7v2/mapping/datatypes.js';
import { applySegmentMap } from '../../../src/hl7v2/mapping/interpreter.js';
import { loadMappingConfig, mappingConfig } from '../../../src/hl7v2/mapping/config.js';
import { Rep, Segment } from '../../../src/hl7v2/message.js';
import { DEFAULT_SEPARATORS } from '../../../src/hl7v2/encoding.js';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rep = (raw: string): Rep => new Rep(raw, DEFAULT_SEPARATORS);
const cfg = mappingConfig();

describe('v2 data types to FHIR', () => {
  it('converts DTM at every precision, keeping or adding the offset', () => {
    assert.equal(dateTime('2024'), '2024');
    assert.equal(dateTime('202403'), '2024-03');
    assert.equal(dateTime('20240315'), '2024-03-15');
    assert.equal(dateTime('202403150930'), '2024-03-15T09:30:00Z');
    assert.equal(dateTime('20240315093015.123-0500'), '2024-03-15T09:30:15.123-05:00');
    assert.equal(dateTime('20240315093015', '+01:00'), '2024-03-15T09:30:15+01:00');
    assert.equal(date('20240315093015'), '2024-03-15');
    assert.equal(instant('20240315'), '2024-03-15T00:00:00Z');
    assert.equal(instant('2024'), undefined, 'an instant needs a day');
    assert.equal(dateTime('15/03/2024'), undefined);
    assert.equal(dateTime('2024031'), undefined);
  });
  it('derives identifier systems from the assigning authority', () => {
    assert.equal(authoritySystem(cfg, '', '2.16.840.1', 'ISO'), 'urn:oid:2.16.840.1');
    assert.equal(authoritySystem(cfg, '', 'http://hosp.example/mrn', 'URI'), 'http://hosp.example/mrn');
    assert.equal(authoritySystem(cfg, 'GEN HOSP'), 'urn:ct-fhir:hl7v2:GEN%20HOSP');
    assert.equal(authoritySystem(cfg, ''), undefined);
    assert.deepEqual(cx(cfg, rep('123^^^HOSP^MR')), {
      value: '123',
      system: 'urn:ct-fhir:hl7v2:HOSP',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] },
    });
    assert.equal(cx(cfg, rep('^^^HOSP^MR')), undefined);
  });
  it('maps CWE with an alternate coding and unknown systems, and XPN with escapes', () => {
    assert.deepEqual(cwe(cfg, rep('27925004^Nodule^SCT^X1^Local thing^99LOC')), {
      coding: [
        { code: '27925004', system: 'http://snomed.info/sct', display: 'Nodule' },
        { code: 'X1', system: 'urn:ct-fhir:hl7v2:99LOC', display: 'Local thing' },
      ],
    });
    assert.deepEqual(cwe(cfg, rep('^free text only')), { text: 'free text only' });
    assert.deepEqual(xpn(cfg, rep('O\\T\\BRIEN^SEAN^P^JR^DR^^L')), {
      family: 'O&BRIEN',
      given: ['SEAN', 'P'],
      suffix: ['JR'],
      prefix: ['DR'],
      use: 'official',
    });
    // XPN-7 by table 0200: S (pseudonym) is anonymous; A (assigned/alias) has no FHIR name use.
    assert.equal(xpn(cfg, rep('DOE^JOHN^^^^^S'))?.use, 'anonymous');
    assert.equal(xpn(cfg, rep('SMITH^JO^^^^^A'))?.use, undefined);
    assert.equal(xpn(cfg, rep('JONES^ANN^^^^^M'))?.use, 'maiden');
  });
  it('reports unknown codes of optional fields as warnings and of required fields as errors', () => {
    const pid = new Segment('PID|1||1^^^H||X^Y||19600101|Z', DEFAULT_SEPARATORS);
    const out = applySegmentMap(cfg, cfg.segments['pid-patient']!, { PID: pid });
    assert.equal(out.value.gender, 'unknown', "an unusable PID-8 leaves the gender unknown (the rule's absent value)");
    assert.deepEqual(out.problems, [{ field: 'PID-8', kind: 'unknown-code', required: false }]);
    const obr = new Segment('OBR|1||F1|X^Y^LN||||||||||||||||||||CT|Q', DEFAULT_SEPARATORS);
    const r = applySegmentMap(cfg, cfg.segments['obr-diagnostic-report']!, { OBR: obr });
    assert.deepEqual(r.problems, [{ field: 'OBR-25', kind: 'unknown-code', required: true }]);
  });
  it('gives a rule\'s absent value when the field is empty or deleted (""), and not when it has a value', () => {
    const DAR = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
    for (const pid of ['PID|1||1^^^H', 'PID|1||1^^^H||""||19600101|""', 'PID|1||1^^^H||^^^||19600101|']) {
      const out = applySegmentMap(cfg, cfg.segments['pid-patient']!, { PID: new Segment(pid, DEFAULT_SEPARATORS) });
      assert.equal(out.value.gender, 'unknown', pid);
      assert.deepEqual(out.value.name, [{ extension: [{ url: DAR, valueCode: 'unknown' }] }], pid);
      assert.deepEqual(out.value.extension, [{ url: DAR, valueCode: 'unknown' }], pid);
      assert.deepEqual(out.problems, [], pid);
    }
    const given = applySegmentMap(cfg, cfg.segments['pid-patient']!, {
      PID: new Segment('PID|1||1^^^H||DOE^JANE||19600101|F', DEFAULT_SEPARATORS),
    });
    assert.equal(given.value.gender, 'female');
    assert.deepEqual(given.value.name, [{ family: 'DOE', given: ['JANE'] }]);
    assert.equal(given.value.extension, undefined);
  });
  it('rejects a mapping file that names an unknown vocabulary or Patient write mode, naming the file', () => {
    const src = new URL('../../../mappings/', import.meta.url);
    const dir = mkdtempSync(join(tmpdir(), 'ct-fhir-map-'));
    mkdirSync(join(dir, 'segments'));
    for (const f of ['vocabularies.json', 'messages.json']) writeFileSync(join(dir, f), readFileSync(new URL(f, src)));
    for (const f of readdirSync(new URL('segments/', src))) {
      writeFileSync(join(dir, 'segments', f), readFileSync(new URL(`segments/${f}`, src)));
    }
    const bad = JSON.parse(readFileSync(join(dir, 'segments', 'pid-patient.json'), 'utf8')) as { rules: unknown[] };
    bad.rules.push({ from: 'PID-9', type: 'code', vocabulary: 'no-such-table', to: 'x' });
    writeFileSync(join(dir, 'segments', 'pid-patient.json'), JSON.stringify(bad));
    assert.throws(() => loadMappingConfig(dir), /segments\/pid-patient\.json: unknown vocabulary no-such-table/);
    const messages = JSON.parse(readFileSync(new URL('messages.json', src), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'segments', 'pid-patient.json'), readFileSync(new URL('segments/pid-patient.json', src)));
    writeFileSync(join(dir, 'messages.json'), JSON.stringify({ ...messages, patientWrite: { 'ORU^R01': 'merge' } }));
    assert.throws(() => loadMappingConfig(dir), /messages\.json: patientWrite ORU\^R01: merge/);
    writeFileSync(join(dir, 'messages.json'), JSON.stringify({ ...messages, keepOnUpdate: { 'ORU^R01': 'all' } }));
    assert.throws(() => loadMappingConfig(dir), /messages\.json: keepOnUpdate ORU\^R01 must list resource types/);
  });
});
