import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTypeLimits } from '../../../src/jobs/limits.js';

describe('parseTypeLimits', () => {
  it('reads per-process, per-process/cluster and cluster-only limits', () => {
    assert.deepEqual(parseTypeLimits('inference=1, hl7.send=4/8,report-labels=/2'), {
      inference: { perProcess: 1 },
      'hl7.send': { perProcess: 4, cluster: 8 },
      'report-labels': { cluster: 2 },
    });
  });

  it('treats empty or absent text as no limits', () => {
    assert.deepEqual(parseTypeLimits(undefined), {});
    assert.deepEqual(parseTypeLimits('  '), {});
  });

  for (const bad of ['inference', 'inference=', 'inference=x', '=1', 'inference=1/', 'a=1,,b=2', '1abc=2']) {
    it(`rejects "${bad}" naming the item`, () => {
      assert.throws(() => parseTypeLimits(bad), /JOB_LIMITS item/);
    });
  }

  it('rejects a type named twice and a per-process limit of 0', () => {
    assert.throws(() => parseTypeLimits('a=1,a=2'), /names "a" twice/);
    assert.throws(() => parseTypeLimits('a=0'), /would never run/);
  });
});
