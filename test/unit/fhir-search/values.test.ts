import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidId, normalizeString, parseReferenceString } from '../../../src/fhir/search/values.js';

test('strings normalise case, accents and whitespace the same way for index and query', () => {
  assert.equal(normalizeString('Zoë'), 'zoe');
  assert.equal(normalizeString('  ŠHAW   Doe '), 'shaw doe');
  assert.equal(normalizeString('Ångström'), 'angstrom');
  assert.equal(normalizeString(''), '');
});

test('reference strings: relative, versioned, absolute, urn, contained and junk', () => {
  assert.deepEqual(parseReferenceString('Patient/123'), { resourceType: 'Patient', id: '123' });
  assert.deepEqual(parseReferenceString('Patient/123/_history/2'), { resourceType: 'Patient', id: '123' });
  assert.deepEqual(parseReferenceString('https://x.org/fhir/Patient/1'), {
    url: 'https://x.org/fhir/Patient/1',
    resourceType: 'Patient',
  });
  assert.deepEqual(parseReferenceString('urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0'), {
    url: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
  });
  assert.equal(parseReferenceString('#contained'), undefined);
  assert.equal(parseReferenceString('Nope/1'), undefined);
  assert.equal(parseReferenceString('a/Patient/1'), undefined);
  assert.equal(parseReferenceString(''), undefined);
});

test('ids follow the R4 id syntax', () => {
  assert.ok(isValidId('abc-1.2'));
  assert.ok(!isValidId('a b'));
  assert.ok(!isValidId('x'.repeat(65)));
  assert.ok(!isValidId(''));
});
