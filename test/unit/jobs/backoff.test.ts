import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { retryDelayMs } from '../../../src/jobs/backoff.js';

const opts = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };

describe('retryDelayMs', () => {
  it('doubles per attempt without jitter', () => {
    const noJitter = { ...opts, jitter: 0 };
    assert.deepEqual(
      [1, 2, 3, 4].map((a) => retryDelayMs(a, noJitter)),
      [1000, 2000, 4000, 8000],
    );
  });

  it('is capped at maxMs, even for huge attempt numbers', () => {
    assert.equal(retryDelayMs(7, { ...opts, jitter: 0 }), 60_000);
    assert.equal(retryDelayMs(10_000, { ...opts, jitter: 0 }), 60_000);
  });

  it('jitter removes at most the jitter fraction', () => {
    assert.equal(
      retryDelayMs(2, opts, () => 0),
      2000,
    );
    assert.equal(
      retryDelayMs(2, opts, () => 0.999999),
      1000,
    );
    assert.equal(
      retryDelayMs(2, opts, () => 0.5),
      1500,
    );
  });

  it('spreads retries of the same attempt (not lockstep)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => retryDelayMs(3, opts)));
    assert.ok(delays.size > 10);
    for (const d of delays) assert.ok(d >= 2000 && d <= 4000, `delay ${d}`);
  });

  it('rejects attempt numbers below 1 and out-of-range options', () => {
    assert.throws(() => retryDelayMs(0, opts), RangeError);
    assert.throws(() => retryDelayMs(1.5, opts), RangeError);
    assert.throws(() => retryDelayMs(1, { ...opts, jitter: 2 }), RangeError);
    assert.throws(() => retryDelayMs(1, { ...opts, baseMs: -1 }), RangeError);
  });
});
