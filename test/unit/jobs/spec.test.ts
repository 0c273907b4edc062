import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MAX_ATTEMPTS, MAX_PAYLOAD_BYTES, normaliseSpec } from '../../../src/jobs/spec.js';
import type { EnqueueSpec } from '../../../src/jobs/types.js';

describe('normaliseSpec', () => {
  it('fills defaults and serialises the payload', () => {
    assert.deepEqual(normaliseSpec({ type: 'labels.extract', payload: { focus: 'DiagnosticReport/1' } }), {
      type: 'labels.extract',
      payload: '{"focus":"DiagnosticReport/1"}',
      priority: 0,
      dedupeKey: null,
      runAt: null,
      maxAttempts: DEFAULT_MAX_ATTEMPTS,
    });
  });

  it('accepts runAt as a Date or epoch ms, and the optional fields', () => {
    const s = normaliseSpec({
      type: 'a',
      payload: null,
      priority: -5,
      dedupeKey: 'k',
      runAt: new Date(1_700_000_000_000),
      maxAttempts: 1,
    });
    assert.equal(s.runAt, 1_700_000_000_000);
    assert.equal(s.payload, 'null');
    assert.equal(normaliseSpec({ type: 'a', payload: 1, runAt: 12.6 }).runAt, 13);
  });

  const bad: [string, unknown, RegExp][] = [
    ['a type with spaces', { type: 'bad type', payload: {} }, /type must match/],
    ['an empty type', { type: '', payload: {} }, /type must match/],
    ['a type over 100 characters', { type: 'a'.repeat(101), payload: {} }, /type must match/],
    ['a missing payload', { type: 'a' }, /payload of a is missing/],
    ['a function payload', { type: 'a', payload: () => 1 }, /missing or not JSON/],
    ['a BigInt in the payload', { type: 'a', payload: { n: 1n } }, /not JSON-serialisable/],
    ['a fractional priority', { type: 'a', payload: {}, priority: 1.5 }, /priority/],
    ['a priority out of range', { type: 'a', payload: {}, priority: 5000 }, /priority/],
    ['zero maxAttempts', { type: 'a', payload: {}, maxAttempts: 0 }, /maxAttempts/],
    ['an empty dedupeKey', { type: 'a', payload: {}, dedupeKey: '' }, /dedupeKey/],
    ['a dedupeKey over 200 characters', { type: 'a', payload: {}, dedupeKey: 'k'.repeat(201) }, /dedupeKey/],
    ['an invalid Date', { type: 'a', payload: {}, runAt: new Date('nope') }, /runAt/],
    ['a negative runAt', { type: 'a', payload: {}, runAt: -1 }, /runAt/],
    ['a string runAt', { type: 'a', payload: {}, runAt: '2025-01-01' }, /runAt/],
  ];
  for (const [what, spec, message] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(() => normaliseSpec(spec as EnqueueSpec), message);
    });
  }

  it('rejects a circular payload and a payload over the size limit', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => normaliseSpec({ type: 'a', payload: circular }), /not JSON-serialisable/);
    assert.throws(
      () => normaliseSpec({ type: 'a', payload: { text: 'x'.repeat(MAX_PAYLOAD_BYTES) } }),
      /over 1048576 bytes/,
    );
  });

  it('rejects a spec that is not an object', () => {
    assert.throws(() => normaliseSpec(null as unknown as EnqueueSpec), /spec must be an object/);
  });
});
