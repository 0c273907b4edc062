import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Patient } from 'fhir/r4.js';
import { subset } from '../../../src/fhir/summary.js';

test('_summary=text keeps id, meta, text and the mandatory elements; _elements keeps mandatory ones too', () => {
  const obs: Observation = {
    resourceType: 'Observation',
    id: 'o1',
    status: 'final',
    code: { text: 'x' },
    subject: { reference: 'Patient/1' },
    text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' },
    valueQuantity: { value: 1 },
  };
  const keys = (r: object): string[] => Object.keys(r).sort();
  assert.deepEqual(keys(subset(obs, 'text', undefined)), ['code', 'id', 'meta', 'resourceType', 'status', 'text']);
  assert.deepEqual(keys(subset(obs, undefined, ['subject'])), [
    'code',
    'id',
    'meta',
    'resourceType',
    'status',
    'subject',
  ]);
  // Patient has no mandatory elements.
  const patient: Patient = { resourceType: 'Patient', id: 'p', name: [{ family: 'x' }], text: obs.text! };
  assert.deepEqual(keys(subset(patient, 'text', undefined)), ['id', 'meta', 'resourceType', 'text']);
});
