import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newResourceId } from '../../../src/store/resource-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The 48-bit Unix millisecond timestamp at the front of a version-7 UUID. */
const stamp = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16);

test('ids are RFC 9562 version-7 UUIDs and valid FHIR ids, carrying the creation time', () => {
  const before = Date.now();
  const id = newResourceId();
  assert.match(id, V7);
  assert.match(id, FHIR_ID);
  assert.ok(stamp(id) >= before && stamp(id) <= Date.now(), `timestamp ${stamp(id)} not in [${before}, now]`);
  assert.equal(stamp(newResourceId(Date.UTC(2030, 0, 1))), Date.UTC(2030, 0, 1));
});

test('ids from one process strictly increase, also within one millisecond and past the counter', () => {
  const now = Date.UTC(2031, 5, 1);
  // 5,000 ids in the same millisecond overflow the 12-bit counter: they must carry into the next millisecond.
  const ids = Array.from({ length: 5000 }, () => newResourceId(now));
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} >= ${ids[i]} at ${i}`);
  assert.equal(new Set(ids).size, ids.length);
  assert.equal(stamp(ids[0]!), now);
  assert.ok(stamp(ids.at(-1)!) > now, 'the counter overflow did not move to the next millisecond');
});

test('a clock that goes back does not break the order', () => {
  const a = newResourceId(Date.UTC(2032, 0, 1, 12));
  const b = newResourceId(Date.UTC(2032, 0, 1, 11));
  assert.ok(a < b);
});

test('the random part differs between ids of the same millisecond', () => {
  const now = Date.UTC(2033, 0, 1);
  const tails = new Set(Array.from({ length: 200 }, () => newResourceId(now).slice(19)));
  assert.equal(tails.size, 200);
});
