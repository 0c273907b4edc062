import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Provenance, Resource } from 'fhir/r4.js';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { DATE_MAX } from '../../../src/fhir/search/date.js';
import type { IndexRows } from '../../../src/fhir/search/types.js';

const fixture = <T = Resource>(name: string): T =>
  JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8')) as T;
const more = fixture<Resource[]>('more-resources.json');
const byId = (id: string): Resource => {
  const r = more.find((x) => x.id === id);
  assert.ok(r, id);
  return r;
};

/** The rows of one table for one parameter code, without the code column. */
function rows<K extends keyof IndexRows>(index: IndexRows, table: K, code: string): unknown[] {
  return index[table]
    .filter((r) => r.code === code)
    .map((r) => {
      const { code: _code, ...rest } = r as { code: string };
      return rest;
    });
}

const LOINC = 'http://loinc.org';
const UCUM = 'http://unitsofmeasure.org';

test('US Core lab Observation: tokens for status, category, code (+ normalised text), identifier', () => {
  const ix = indexResource(fixture('observation-lab.json'));
  assert.deepEqual(rows(ix, 'token', 'status'), [{ system: null, value: 'final', text: null }]);
  assert.deepEqual(rows(ix, 'token', 'category'), [
    { system: 'http://terminology.hl7.org/CodeSystem/observation-category', value: 'laboratory', text: 'laboratory' },
  ]);
  assert.deepEqual(rows(ix, 'token', 'code'), [
    { system: LOINC, value: '2339-0', text: 'glucose blut glucose [mass/volume] in blood' },
  ]);
  assert.deepEqual(rows(ix, 'token', 'identifier'), [{ system: 'urn:oid:1.2.3.4', value: 'LAB-0001', text: null }]);
  assert.deepEqual(rows(ix, 'token', '_id'), [{ system: null, value: 'obs-glucose-1', text: null }]);
});

test('Observation: references as Type/id, contained skipped, Reference.identifier as a token under the same code', () => {
  const ix = indexResource(fixture('observation-lab.json'));
  assert.deepEqual(rows(ix, 'reference', 'patient'), [{ targetType: 'Patient', targetId: 'pat-1', url: null }]);
  assert.deepEqual(rows(ix, 'reference', 'subject'), [{ targetType: 'Patient', targetId: 'pat-1', url: null }]);
  assert.deepEqual(rows(ix, 'reference', 'encounter'), [{ targetType: 'Encounter', targetId: 'enc-1', url: null }]);
  assert.deepEqual(rows(ix, 'reference', 'performer'), [{ targetType: 'Practitioner', targetId: 'pr-1', url: null }]);
  assert.deepEqual(rows(ix, 'token', 'performer'), [
    { system: 'http://hl7.org/fhir/sid/us-npi', value: '9941339108', text: null },
  ]);
});

test('a reference to a contained resource indexes its type and #id without an id; a dangling #id nothing', () => {
  const ix = indexResource({
    resourceType: 'Observation',
    status: 'final',
    code: { text: 'x' },
    contained: [{ resourceType: 'Group', id: 'g', type: 'person', actual: true }],
    subject: { reference: '#g' },
    performer: [{ reference: '#nothing' }],
  } as Resource);
  assert.deepEqual(rows(ix, 'reference', 'subject'), [{ targetType: 'Group', targetId: null, url: '#g' }]);
  assert.deepEqual(rows(ix, 'reference', 'patient'), []);
  assert.deepEqual(rows(ix, 'reference', 'performer'), []);
});

test('Observation: dates are half-open ms ranges by precision, time zones honoured', () => {
  const ix = indexResource(fixture('observation-lab.json'));
  const effective = Date.UTC(2024, 2, 5, 7, 30, 0);
  assert.deepEqual(rows(ix, 'date', 'date'), [{ start: effective, end: effective + 1000 }]);
  const updated = Date.UTC(2024, 2, 5, 10, 15, 30, 123);
  assert.deepEqual(rows(ix, 'date', '_lastUpdated'), [{ start: updated, end: updated + 1 }]);
});

test('an instant is a point: indexed as [t, t + 1 ms), while a dateTime covers its precision', () => {
  const t = Date.UTC(2013, 1, 1, 10, 0, 0);
  const provenance: Provenance = {
    resourceType: 'Provenance',
    target: [{ reference: 'Observation/1' }],
    recorded: '2013-02-01T10:00:00Z',
    agent: [{ who: { display: 'x' } }],
  };
  const prov = indexResource(provenance);
  assert.deepEqual(rows(prov, 'date', 'recorded'), [{ start: t, end: t + 1 }]);
  const obs = (effective: object): IndexRows =>
    indexResource({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, ...effective } as Resource);
  assert.deepEqual(rows(obs({ effectiveInstant: '2013-02-01T10:00:00Z' }), 'date', 'date'), [{ start: t, end: t + 1 }]);
  assert.deepEqual(rows(obs({ effectiveDateTime: '2013-02-01T10:00:00Z' }), 'date', 'date'), [
    { start: t, end: t + 1000 },
  ]);
});

test('Observation: quantities by coded unit, plus the human unit when it differs', () => {
  const ix = indexResource(fixture('observation-lab.json'));
  assert.deepEqual(rows(ix, 'quantity', 'value-quantity'), [{ value: 95.5, system: UCUM, unit: 'mg/dL' }]);
  assert.deepEqual(rows(ix, 'quantity', 'component-value-quantity'), [
    { value: 120, system: UCUM, unit: 'mm[Hg]' },
    { value: 120, system: null, unit: 'mmHg' },
  ]);
  assert.equal(rows(ix, 'quantity', 'combo-value-quantity').length, 3);
});

test('Observation: composites give one row per combination within the same element', () => {
  const ix = indexResource(fixture('observation-lab.json'));
  assert.deepEqual(rows(ix, 'composite', 'code-value-quantity'), [
    {
      parts: [
        { type: 'token', system: LOINC, value: '2339-0' },
        { type: 'quantity', value: 95.5, system: UCUM, unit: 'mg/dL' },
      ],
    },
  ]);
  assert.deepEqual(rows(ix, 'composite', 'component-code-value-quantity'), [
    {
      parts: [
        { type: 'token', system: LOINC, value: '8480-6' },
        { type: 'quantity', value: 120, system: UCUM, unit: 'mm[Hg]' },
      ],
    },
    {
      parts: [
        { type: 'token', system: LOINC, value: '8480-6' },
        { type: 'quantity', value: 120, system: null, unit: 'mmHg' },
      ],
    },
  ]);
  // The systolic code never pairs with the other component's concept.
  assert.deepEqual(rows(ix, 'composite', 'component-code-value-concept'), [
    {
      parts: [
        { type: 'token', system: LOINC, value: '8462-4' },
        { type: 'token', system: 'http://snomed.info/sct', value: '260385009' },
      ],
    },
  ]);
  assert.deepEqual(rows(ix, 'composite', 'code-value-concept'), []);
  assert.equal(rows(ix, 'composite', 'combo-code-value-quantity').length, 3);
});

test('meta: _profile and _source as uri, _tag and _security as tokens', () => {
  const ix = indexResource(fixture('observation-lab.json'));
  assert.deepEqual(rows(ix, 'uri', '_profile'), [
    { value: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab' },
  ]);
  assert.deepEqual(rows(ix, 'uri', '_source'), [{ value: 'urn:ct-fhir:hl7v2' }]);
  assert.deepEqual(rows(ix, 'token', '_tag'), [{ system: 'http://example.org/tags', value: 'ct-fhir', text: null }]);
  assert.equal(rows(ix, 'token', '_security').length, 1);
});

test('absolute references on our own base URL are indexed like relative ones', () => {
  const dr = fixture<Resource>('diagnosticreport-note.json');
  const ix = indexResource(dr, { baseUrl: 'http://example.org/fhir/' });
  assert.deepEqual(rows(ix, 'reference', 'subject'), [{ targetType: 'Patient', targetId: 'pat-1', url: null }]);
  const other = indexResource(dr, { baseUrl: 'http://example.org/fhir2' });
  assert.deepEqual(rows(other, 'reference', 'subject'), [
    { targetType: 'Patient', targetId: null, url: 'http://example.org/fhir/Patient/pat-1' },
  ]);
});

test('Patient: HumanName and Address expand into normalised parts; exact keeps the original', () => {
  const ix = indexResource(fixture('patient.json'));
  assert.deepEqual(
    ix.string.filter((r) => r.code === 'name').map((r) => [r.value, r.exact]),
    [
      ['shaw', 'Šhaw'],
      ['amy', 'Amy'],
      ['v.', 'V.'],
      ['ms.', 'Ms.'],
      ['amy shaw-doe', 'Amy Shaw-Doe'],
    ],
  );
  assert.deepEqual(
    ix.string.filter((r) => r.code === 'family').map((r) => r.value),
    ['shaw'],
  );
  assert.deepEqual(
    ix.string.filter((r) => r.code === 'address').map((r) => r.value),
    ['49 meadow st', 'mounds', 'ok', '74047', 'us'],
  );
  assert.deepEqual(
    ix.string.filter((r) => r.code === 'address-city').map((r) => r.value),
    ['mounds'],
  );
});

test('Patient: identifiers, telecom, booleans, codes and US Core extensions as tokens', () => {
  const ix = indexResource(fixture('patient.json'));
  assert.deepEqual(rows(ix, 'token', 'identifier'), [
    { system: 'http://hospital.example.org/mrn', value: 'MRN-12345', text: 'medical record number' },
    { system: 'http://hl7.org/fhir/sid/us-ssn', value: '999-12-3456', text: null },
  ]);
  assert.deepEqual(rows(ix, 'token', 'phone'), [{ system: 'phone', value: '555-555-5555', text: null }]);
  assert.deepEqual(rows(ix, 'token', 'email'), [{ system: 'email', value: 'amy.shaw@example.com', text: null }]);
  assert.equal(rows(ix, 'token', 'telecom').length, 2);
  assert.deepEqual(rows(ix, 'token', 'active'), [{ system: null, value: 'true', text: null }]);
  assert.deepEqual(rows(ix, 'token', 'gender'), [{ system: null, value: 'female', text: null }]);
  assert.deepEqual(rows(ix, 'token', 'race'), [{ system: null, value: '2106-3', text: null }]);
  assert.deepEqual(rows(ix, 'token', 'deceased'), [{ system: null, value: 'false', text: null }]);
  assert.deepEqual(rows(ix, 'date', 'birthdate'), [{ start: Date.UTC(1987, 1, 20), end: Date.UTC(1987, 1, 21) }]);
  assert.deepEqual(rows(ix, 'reference', 'general-practitioner'), [
    { targetType: 'Practitioner', targetId: 'pr-1', url: null },
  ]);
});

test('DiagnosticReport: absolute URLs kept as url, history stripped, open Period runs to +infinity', () => {
  const ix = indexResource(fixture('diagnosticreport-note.json'));
  assert.deepEqual(rows(ix, 'reference', 'patient'), [
    { targetType: 'Patient', targetId: null, url: 'http://example.org/fhir/Patient/pat-1' },
  ]);
  assert.deepEqual(rows(ix, 'reference', 'result'), [
    { targetType: 'Observation', targetId: 'obs-1', url: null },
    { targetType: 'Observation', targetId: 'obs-2', url: null },
  ]);
  assert.deepEqual(rows(ix, 'date', 'date'), [{ start: Date.UTC(2024, 2, 5), end: DATE_MAX }]);
  assert.deepEqual(
    rows(ix, 'token', 'category').map((r) => (r as { value: string }).value),
    ['LP29684-5', 'LP29708-2'],
  );
  assert.deepEqual(rows(ix, 'token', 'status'), [{ system: null, value: 'amended', text: null }]);
});

test('ImagingStudy: nested series/instance tokens and the started date', () => {
  const ix = indexResource(fixture('imagingstudy.json'));
  assert.deepEqual(rows(ix, 'token', 'modality'), [
    { system: 'http://dicom.nema.org/resources/ontology/DCM', value: 'CT', text: null },
  ]);
  assert.deepEqual(
    rows(ix, 'token', 'instance').map((r) => (r as { value: string }).value),
    ['1.2.840.113619.2.55.3.1.1.1', '1.2.840.113619.2.55.3.1.1.2'],
  );
  assert.deepEqual(rows(ix, 'token', 'bodysite').length, 1);
  assert.deepEqual(rows(ix, 'reference', 'endpoint'), [{ targetType: 'Endpoint', targetId: 'pacs', url: null }]);
  const started = Date.UTC(2024, 2, 5, 7, 0, 0);
  assert.deepEqual(rows(ix, 'date', 'started'), [{ start: started, end: started + 1000 }]);
});

test('target restrictions: Provenance.patient only keeps targets that are Patients', () => {
  const ix = indexResource(byId('prov-1'));
  assert.deepEqual(rows(ix, 'reference', 'patient'), []);
  assert.equal(rows(ix, 'reference', 'target').length, 2);
  assert.deepEqual(rows(ix, 'reference', 'agent'), [
    { targetType: 'Device', targetId: 'dev-1', url: null },
    { targetType: 'Patient', targetId: 'pat-1', url: null },
  ]);
  const task = indexResource(byId('task-1'));
  assert.deepEqual(rows(task, 'reference', 'patient'), [{ targetType: 'Patient', targetId: 'pat-1', url: null }]);
});

test('Timing covers its outer limits; Period with both ends; numbers; Duration as quantity', () => {
  const sr = indexResource(byId('sr-1'));
  assert.deepEqual(rows(sr, 'date', 'occurrence'), [{ start: Date.UTC(2024, 2, 5, 7), end: Date.UTC(2024, 2, 8) }]);
  const enc = indexResource(byId('enc-1'));
  assert.deepEqual(rows(enc, 'date', 'date'), [
    { start: Date.UTC(2024, 2, 5, 8), end: Date.UTC(2024, 2, 5, 11) + 1000 },
  ]);
  assert.deepEqual(rows(enc, 'quantity', 'length'), [{ value: 180, system: UCUM, unit: 'min' }]);
  const ra = indexResource(byId('ra-1'));
  assert.deepEqual(rows(ra, 'number', 'probability'), [{ value: 0.37 }]);
});

test('Bundle as a resource: the first entry is its composition', () => {
  const ix = indexResource(byId('b-1'));
  assert.deepEqual(rows(ix, 'reference', 'composition'), [
    { targetType: 'Composition', targetId: 'comp-1', url: null },
  ]);
  assert.equal(rows(ix, 'token', 'identifier').length, 1);
  assert.deepEqual(rows(ix, 'token', 'type'), [{ system: null, value: 'document', text: null }]);
});

test('bad or empty data indexes nothing instead of throwing', () => {
  const ix = indexResource({
    resourceType: 'Observation',
    status: 'final',
    code: {},
    effectiveDateTime: 'not-a-date',
    subject: { reference: '#p' },
    valueQuantity: { unit: 'mg' },
    component: [{ code: { text: '' } }],
  } as unknown as Resource);
  assert.deepEqual(rows(ix, 'date', 'date'), []);
  assert.deepEqual(rows(ix, 'reference', 'subject'), []);
  assert.deepEqual(rows(ix, 'quantity', 'value-quantity'), []);
  assert.deepEqual(rows(ix, 'token', 'code'), []);
  assert.deepEqual(rows(ix, 'token', 'status'), [{ system: null, value: 'final', text: null }]);
  assert.deepEqual(indexResource({ resourceType: 'Binary', contentType: 'text/plain' } as Resource).token, []);
});

test('indexing speed (printed, not asserted)', () => {
  const obs = fixture<Resource>('observation-lab.json');
  indexResource(obs);
  const n = 10_000;
  const start = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < n; i++) indexResource({ ...obs, id: `obs-${i}` });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  // CPU time is the steadier figure on a shared machine; wall time shows what this run actually got.
  console.log(
    `indexed ${n} US Core Observations: ${Math.round(n / seconds)}/s wall, ${Math.round(n / cpuSeconds)}/s per CPU second`,
  );
});
