import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, formatEvaluation } from '../../../src/reports/metrics.js';

test('per-label precision, recall, F1 and support; macro and micro F1', () => {
  const gold = [
    [1, 0],
    [1, 1],
    [0, 0],
    [0, 1],
  ];
  const pred = [
    [1, 0],
    [0, 1],
    [1, 0],
    [0, 1],
  ];
  const e = evaluate(['a', 'b'], gold, pred);
  const [a, b] = e.labels;
  assert.deepEqual([a!.tp, a!.fp, a!.fn, a!.support], [1, 1, 1, 2]);
  assert.equal(a!.precision, 0.5);
  assert.equal(a!.recall, 0.5);
  assert.equal(b!.f1, 1);
  assert.equal(e.macroF1, 0.75);
  assert.equal(e.microF1, (2 * (3 / 4) * (3 / 4)) / (3 / 4 + 3 / 4));
  assert.match(formatEvaluation(e), /macro F1\s+0\.750/);
});

test('a label with nothing to find and nothing predicted scores 1; one with only false positives 0', () => {
  const e = evaluate(['none', 'fp'], [[0, 0]], [[0, 1]]);
  assert.equal(e.labels[0]!.f1, 1);
  assert.equal(e.labels[1]!.f1, 0);
});

test('different report counts are an error', () => {
  assert.throws(() => evaluate(['a'], [[1]], []), /1 reports, predictions 0/);
});
