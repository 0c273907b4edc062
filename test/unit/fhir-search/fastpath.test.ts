import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { Resource } from 'fhir/r4.js';
import { compileFast } from '../../../src/fhir/search/fastpath.js';
import { getSearchParams } from '../../../src/fhir/search/registry.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8'));
const resources = [
  fixture('observation-lab.json'),
  fixture('diagnosticreport-note.json'),
  fixture('patient.json'),
  fixture('imagingstudy.json'),
  ...(fixture('more-resources.json') as unknown[]),
] as Resource[];

const asSet = (values: unknown[]): string[] => [...new Set(values.map((v) => JSON.stringify(v)))].sort();

test('the fast walker finds exactly what the fhirpath engine finds, for every simple parameter', () => {
  let compared = 0;
  for (const resource of resources) {
    for (const def of getSearchParams(resource.resourceType)) {
      const fast = compileFast(def.expression, resource.resourceType);
      if (!fast) continue;
      // Search treats `x as T` as a filter over collections, which FHIRPath spells ofType(T).
      const filtered = def.expression.replace(/\(([^()\s]+) as (\w+)\)/g, '$1.ofType($2)');
      const expected = fhirpath.evaluate(resource, filtered, undefined, r4) as unknown[];
      const actual = fast(resource, resource.resourceType).map((n) => n.data);
      assert.deepEqual(asSet(actual), asSet(expected), `${resource.resourceType}.${def.code}: ${def.expression}`);
      compared++;
    }
  }
  assert.ok(compared > 150, `compared ${compared}`);
});

test('composite components walk relative to the element they start from', () => {
  const obs = resources[0];
  const base = compileFast('Observation | Observation.component', 'Observation');
  const value = compileFast('value.as(Quantity)');
  assert.ok(base && value);
  const nodes = base(obs, 'Observation');
  assert.deepEqual(
    nodes.map((n) => n.path),
    ['Observation', 'Observation.component', 'Observation.component'],
  );
  const quantities = nodes.map((n) => value(n.data, n.path).map((q) => (q.data as { value: number }).value));
  assert.deepEqual(quantities, [[95.5], [120], []]);
});

test('choice types come back typed and casts filter them', () => {
  const obs = resources[0];
  const effective = compileFast('Observation.effective', 'Observation');
  assert.deepEqual(
    effective?.(obs, 'Observation').map((n) => n.type),
    ['dateTime'],
  );
  const concept = compileFast('(Observation.component.value as CodeableConcept).text', 'Observation');
  assert.deepEqual(
    concept?.(obs, 'Observation').map((n) => n.data),
    ['Negative'],
  );
});

test('expressions beyond the simple subset are left to the engine', () => {
  for (const e of [
    "Patient.telecom.where(system='phone')",
    'Patient.deceased.exists() and Patient.deceased != false',
    'Bundle.entry[0].resource',
    "Patient.extension('http://x').value",
    'Observation.subject.resolve()',
  ]) {
    assert.equal(compileFast(e, e.split('.')[0]), undefined, e);
  }
  assert.equal(compileFast('Patient.name', 'Observation'), undefined, 'root must be the resource type');
});
