import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identifierQuery, identifierToken } from '../../../src/fhir/identifier-token.js';
import { parseSearchRequest } from '../../../src/fhir/search/parse.js';
import type { SearchValue } from '../../../src/fhir/search/types.js';

const parsed = (query: string): SearchValue[][] =>
  parseSearchRequest('Task', new URLSearchParams(query), { strict: true, defaultCount: 20, maxCount: 100 }).filters.map(
    (f) => f.values,
  );

test('an identifier query parses back to exactly that system and value, separators included', () => {
  const id = { system: 'urn:x|y', value: 'acc,1$2\\3|4' };
  assert.deepEqual(parsed(identifierQuery(id)), [[{ kind: 'token', system: 'urn:x|y', code: 'acc,1$2\\3|4' }]]);
  // the same token as a plain parameter value (what the pipeline's searches pass)
  assert.deepEqual(
    parsed(new URLSearchParams({ identifier: identifierToken(id) }).toString()),
    parsed(identifierQuery(id)),
  );
});

test('an identifier without a system matches its value in any system', () => {
  assert.equal(identifierToken({ value: 'A1' }), 'A1');
  assert.deepEqual(parsed(identifierQuery({ value: 'A1' })), [[{ kind: 'token', code: 'A1' }]]);
});

test('tokens tell apart identifiers whose parts differ only in where the bar falls', () => {
  assert.notEqual(identifierToken({ system: 'a', value: 'b|c' }), identifierToken({ system: 'a|b', value: 'c' }));
});
