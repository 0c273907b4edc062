import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  atThreshold,
  auroc,
  aurocBootstrapCI,
  averagePrecision,
  evaluateLabel,
  mulberry32,
  quantile,
  rocCurve,
} from '../../../src/imaging/model/metrics.js';

const close = (a: number | null, b: number, eps = 1e-12) =>
  assert.ok(a !== null && Math.abs(a - b) < eps, `${a} is not ${b}`);

// Hand-computed example: positives score 0.35, 0.8; negatives 0.1, 0.4.
const S = [0.1, 0.4, 0.35, 0.8];
const Y = [0, 0, 1, 1];

test('AUROC counts positive-over-negative pairs: 3 of 4 pairs ordered correctly = 0.75', () => {
  close(auroc(S, Y), 0.75);
});

test('AUROC counts a tied pair as half', () => {
  // pos {0.5, 0.9}, neg {0.5, 0.1}: pairs (0.5,0.5)=0.5, (0.5,0.1)=1, (0.9,*)=2 -> 3.5/4
  close(auroc([0.5, 0.9, 0.5, 0.1], [1, 1, 0, 0]), 0.875);
  close(auroc([0.3, 0.3, 0.3], [1, 0, 0]), 0.5);
});

test('AUROC is 1 for perfect separation, 0 for perfectly reversed, null with one class', () => {
  close(auroc([0.9, 0.8, 0.2], [1, 1, 0]), 1);
  close(auroc([0.1, 0.2, 0.9], [1, 1, 0]), 0);
  assert.equal(auroc([0.1, 0.2], [0, 0]), null);
  assert.equal(auroc([0.1, 0.2], [1, 1]), null);
});

test('average precision sums recall steps times precision: 0.5 x 1 + 0.5 x 2/3', () => {
  close(averagePrecision(S, Y), 0.5 + 0.5 * (2 / 3));
  close(averagePrecision([0.9, 0.8, 0.2], [1, 1, 0]), 1);
  assert.equal(averagePrecision([0.9], [0]), null);
});

test('average precision treats tied scores as one threshold', () => {
  // both at 0.5: one step to recall 1 with precision 1/2
  close(averagePrecision([0.5, 0.5], [1, 0]), 0.5);
});

test('sensitivity and specificity at the threshold count score >= threshold as positive', () => {
  assert.deepEqual(atThreshold(S, Y, 0.35), { sensitivity: 1, specificity: 0.5 });
  assert.deepEqual(atThreshold(S, Y, 0.5), { sensitivity: 0.5, specificity: 1 });
  assert.deepEqual(atThreshold([0.2, 0.7], [0, 0], 0.5), { sensitivity: null, specificity: 0.5 });
});

test('ROC curve runs from (0,0) to (1,1) with one point per distinct score', () => {
  const roc = rocCurve(S, Y);
  assert.deepEqual(
    roc.map((p) => [p.fpr, p.tpr]),
    [
      [0, 0],
      [0, 0.5],
      [0.5, 0.5],
      [0.5, 1],
      [1, 1],
    ],
  );
  assert.deepEqual(
    rocCurve([0.5, 0.5, 0.1], [1, 0, 0]).map((p) => [p.fpr, p.tpr]),
    [
      [0, 0],
      [0.5, 1],
      [1, 1],
    ],
  );
});

test('quantile interpolates linearly between order statistics', () => {
  assert.equal(quantile([1, 2, 3, 4, 5], 0.5), 3);
  assert.equal(quantile([0, 10], 0.25), 2.5);
  assert.throws(() => quantile([], 0.5), /no values/);
});

test('bootstrap interval is reproducible from its seed and brackets the point estimate', () => {
  const random = mulberry32(7);
  const scores: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 200; i++) {
    const y = random() < 0.3 ? 1 : 0;
    labels.push(y);
    scores.push(random() + (y ? 0.4 : 0));
  }
  const a = auroc(scores, labels)!;
  const ci = aurocBootstrapCI(scores, labels, 300, 42)!;
  assert.deepEqual(aurocBootstrapCI(scores, labels, 300, 42), ci);
  assert.ok(ci[0] < a && a < ci[1], `${ci} around ${a}`);
  assert.ok(ci[1] - ci[0] < 0.2 && ci[1] - ci[0] > 0.01);
});

test('bootstrap interval is null when too few resamples contain both classes', () => {
  assert.equal(aurocBootstrapCI([0.1, 0.2, 0.3, 0.9], [0, 0, 0, 0], 50), null);
});

test('evaluateLabel gathers every metric for a label at its operating point', () => {
  const e = evaluateLabel({ abnormality: 'nodule', location: null, threshold: 0.35 }, S, Y, { resamples: 100 });
  assert.equal(e.positives, 2);
  assert.equal(e.negatives, 2);
  close(e.auroc, 0.75);
  assert.equal(e.sensitivity, 1);
  assert.equal(e.specificity, 0.5);
});

test('mismatched lengths, labels other than 0/1 and non-finite scores are rejected', () => {
  assert.throws(() => auroc([0.1], [0, 1]), /differ in length/);
  assert.throws(() => auroc([0.1, 0.2], [0, 2]), /label 1 is 2, must be 0 or 1/);
  assert.throws(() => averagePrecision([NaN, 0.2], [0, 1]), /score 0 is NaN/);
});
