import { test } from 'node:test';
import assert from 'node:assert/strict';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import {
  getResourceTypes,
  getSearchParam,
  getSearchParams,
  isKnownResourceType,
  narrowExpression,
  splitTopLevel,
} from '../../../src/fhir/search/registry.js';

const REQUIRED = [
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
  'Encounter',
  'ServiceRequest',
  'ImagingStudy',
  'DiagnosticReport',
  'DocumentReference',
  'Binary',
  'Observation',
  'Device',
  'Provenance',
  'Endpoint',
  'Task',
  'Flag',
  'DetectedIssue',
  'Subscription',
  'AuditEvent',
  'CodeSystem',
  'ConceptMap',
  'ValueSet',
  'Condition',
  'Bundle',
];

test('every required resource type is known and has the common parameters', () => {
  for (const t of REQUIRED) {
    assert.ok(isKnownResourceType(t), t);
    for (const code of ['_id', '_lastUpdated', '_profile', '_tag', '_security', '_source']) {
      const def = getSearchParam(t, code);
      assert.ok(def, `${t}.${code}`);
      assert.ok(def.expression.startsWith(`${t}.`), def.expression);
    }
  }
  assert.equal(getSearchParam('Patient', '_id')?.type, 'token');
  assert.equal(getSearchParam('Patient', '_lastUpdated')?.expression, 'Patient.meta.lastUpdated');
});

test('abstract, misspelled and data types are not resource types', () => {
  for (const t of ['Resource', 'DomainResource', 'patient', 'HumanName', 'Coding', '', 'Foo']) {
    assert.equal(isKnownResourceType(t), false, t);
  }
  assert.ok(getResourceTypes().length >= 140);
  assert.deepEqual(getSearchParams('NotAType'), []);
});

test('shared expressions are narrowed to the one resource type', () => {
  const code = getSearchParam('Observation', 'code');
  assert.equal(code?.expression, 'Observation.code');
  const dr = getSearchParam('DiagnosticReport', 'date');
  assert.equal(dr?.expression, 'DiagnosticReport.effective');
  assert.equal(
    getSearchParam('Observation', 'value-quantity')?.expression,
    '(Observation.value as Quantity) | (Observation.value as SampledData)',
  );
});

test('resolve() is X becomes a reference-target restriction', () => {
  const p = getSearchParam('Observation', 'patient');
  assert.equal(p?.expression, 'Observation.subject');
  assert.deepEqual(p?.target, ['Patient']);
  const sub = getSearchParam('Observation', 'subject');
  assert.ok(sub?.target?.includes('Group'));
  const ae = getSearchParam('AuditEvent', 'patient');
  assert.equal(ae?.expression, 'AuditEvent.agent.who | AuditEvent.entity.what');
  assert.deepEqual(ae?.target, ['Patient']);
});

test('mixed restricted and unrestricted parts keep a reference-type check instead of resolve()', () => {
  const n = narrowExpression('A.x.where(resolve() is Patient) | A.y | B.z', 'A');
  assert.ok(n);
  assert.equal(n.restrictedTo, undefined);
  assert.ok(!n.expression.includes('resolve()'));
  assert.ok(n.expression.includes("reference.startsWith('Patient/')"));
  assert.ok(!n.expression.includes('B.z'));
  assert.equal(narrowExpression('B.z | C.q', 'A'), undefined);
});

test('top-level split ignores separators inside parentheses and quotes', () => {
  assert.deepEqual(splitTopLevel("(A.v as Quantity) | A.x.where(url = 'a|b') | A.y", '|'), [
    '(A.v as Quantity)',
    "A.x.where(url = 'a|b')",
    'A.y',
  ]);
});

test('US Core adds parameters to our types without replacing base ones', () => {
  assert.equal(getSearchParam('Patient', 'race')?.type, 'token');
  assert.equal(getSearchParam('Patient', 'ethnicity')?.type, 'token');
  assert.equal(getSearchParam('Condition', 'asserted-date')?.type, 'date');
  assert.equal(getSearchParam('Patient', 'name')?.url, 'http://hl7.org/fhir/SearchParameter/Patient-name');
});

test('composite parameters carry their components with model-correct type names', () => {
  const cvq = getSearchParam('Observation', 'code-value-quantity');
  assert.deepEqual(
    cvq?.components?.map((c) => [c.code, c.type]),
    [
      ['code', 'token'],
      ['value-quantity', 'quantity'],
    ],
  );
  const cvd = getSearchParam('Observation', 'code-value-date');
  assert.equal(cvd?.components?.[1]?.expression, 'value.as(dateTime) | value.as(Period)');
  assert.equal(getSearchParam('Observation', 'component-code-value-quantity')?.expression, 'Observation.component');
});

test('DocumentReference relationship pairs each component with its own path (R4 swapped them; R5 fixed it)', () => {
  assert.deepEqual(
    getSearchParam('DocumentReference', 'relationship')?.components?.map((c) => [c.code, c.type, c.expression]),
    [
      ['relatesto', 'reference', 'target'],
      ['relation', 'token', 'code'],
    ],
  );
});

test('every narrowed expression compiles with the fhirpath R4 model', () => {
  let n = 0;
  for (const t of getResourceTypes()) {
    for (const def of getSearchParams(t)) {
      for (const e of [def.expression, ...(def.components ?? []).map((c) => c.expression)]) {
        assert.doesNotThrow(() => fhirpath.compile(e, r4), `${t}.${def.code}: ${e}`);
        assert.ok(!e.includes('resolve()'), `${t}.${def.code}`);
        n++;
      }
    }
  }
  assert.ok(n > 2000);
});
