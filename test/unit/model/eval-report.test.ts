import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTable, labelKey, meanAuroc, readTruth } from '../../../src/imaging/model/eval-report.js';
import type { ManifestLabel } from '../../../src/imaging/model/manifest.js';
import type { LabelEvaluation } from '../../../src/imaging/model/metrics.js';

const LABELS: ManifestLabel[] = [
  { abnormality: 'pleural_effusion', location: 'left_lung', threshold: 0.5 },
  { abnormality: 'nodule', location: null, threshold: 0.4 },
  { abnormality: 'mass', location: null, threshold: 0.5 },
];

test('label keys are the abnormality code, with @location when the model gives one', () => {
  assert.deepEqual(LABELS.map(labelKey), ['pleural_effusion@left_lung', 'nodule', 'mass']);
});

test('labels.csv columns map onto manifest labels by key, in any column order; empty cells are unknown', () => {
  const t = readTruth(
    [
      ['nodule', 'study', 'pleural_effusion@left_lung'],
      ['1', 's1', '0'],
      ['', 's2', '1'],
      ['', '', ''],
    ],
    LABELS,
  );
  assert.deepEqual(t.studies, ['s1', 's2']);
  assert.deepEqual(t.columns, [[0, 1], [1, null], null]);
});

test('labels.csv without a study column, with a repeated study or a cell other than 0/1 is rejected with its place', () => {
  assert.throws(() => readTruth([['nodule'], ['1']], LABELS), /needs a "study" column/);
  assert.throws(
    () =>
      readTruth(
        [
          ['study', 'nodule'],
          ['a', '1'],
          ['a', '0'],
        ],
        LABELS,
      ),
    /row 3: study "a" repeated/,
  );
  assert.throws(
    () =>
      readTruth(
        [
          ['study', 'nodule'],
          ['a', 'yes'],
        ],
        LABELS,
      ),
    /row 2, column nodule: "yes" must be 0, 1 or empty/,
  );
  assert.throws(() => readTruth([], LABELS), /labels.csv is empty/);
});

const E = (abnormality: string, auroc: number | null): LabelEvaluation => ({
  abnormality,
  location: null,
  positives: 3,
  negatives: 5,
  auroc,
  auroc95: auroc === null ? null : [auroc - 0.1, Math.min(1, auroc + 0.05)],
  averagePrecision: 0.8,
  threshold: 0.5,
  sensitivity: 2 / 3,
  specificity: 0.8,
});

test('mean AUROC skips labels without both classes', () => {
  assert.equal(meanAuroc([E('a', 0.9), E('b', null), E('c', 0.7)]), 0.8);
  assert.equal(meanAuroc([E('b', null)]), null);
});

test('the table has one row per label with CI, AP and operating point, then the mean', () => {
  const text = formatTable([E('nodule', 0.9), E('mass', null)]);
  const lines = text.split('\n');
  assert.equal(lines[2], '| nodule | 3 | 5 | 0.900 | 0.800-0.950 | 0.800 | 0.5000 | 0.667 | 0.800 |');
  assert.equal(lines[3], '| mass | 3 | 5 | n/a | n/a | 0.800 | 0.5000 | 0.667 | 0.800 |');
  assert.match(text, /mean AUROC over 1 labels: 0.900/);
});
