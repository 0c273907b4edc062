import { test } from 'node:test';
import assert from 'node:assert/strict';
import { implicitSystem } from '../../../src/fhir/search/implicit-system.js';
import { getSearchParam } from '../../../src/fhir/search/registry.js';

const system = (type: string, code: string): string | undefined => {
  const def = getSearchParam(type, code);
  assert.ok(def, `${type}.${code}`);
  return implicitSystem(def);
};

test('a code bound (required) to one code system carries that system implicitly', () => {
  assert.equal(system('Patient', 'gender'), 'http://hl7.org/fhir/administrative-gender');
  assert.equal(system('Observation', 'status'), 'http://hl7.org/fhir/observation-status');
  // Through a data type: DocumentReference.content.attachment.contentType (Attachment, bound to mimetypes).
  assert.equal(system('DocumentReference', 'contenttype'), 'urn:ietf:bcp:13');
});

test('no implicit system for concepts, booleans, several systems or non-required bindings', () => {
  assert.equal(system('Observation', 'code'), undefined); // CodeableConcept: systems are written
  assert.equal(system('Patient', 'active'), undefined); // boolean
  assert.equal(system('Task', 'intent'), undefined); // task-intent draws on two code systems
  assert.equal(system('Patient', 'language'), undefined); // preferred binding
  assert.equal(system('Patient', 'name'), undefined); // not a token
});
