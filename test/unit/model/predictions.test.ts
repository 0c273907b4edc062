import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateManifest } from '../../../src/imaging/model/manifest.js';
import type { ModelManifest } from '../../../src/imaging/model/manifest.js';
import { checkInput, sigmoid, toFindings } from '../../../src/imaging/model/predictions.js';
import { ModelError } from '../../../src/imaging/model/errors.js';

function manifest(activation: 'sigmoid' | 'none' = 'sigmoid'): ModelManifest {
  const r = validateManifest(JSON.parse(readFileSync('test/fixtures/model/tiny/model.json', 'utf8')));
  assert.ok(r.ok);
  return { ...r.manifest, output: { ...r.manifest.output, activation } };
}

test('sigmoid matches the logistic function and stays finite for large inputs', () => {
  assert.equal(sigmoid(0), 0.5);
  assert.ok(Math.abs(sigmoid(2) - 1 / (1 + Math.exp(-2))) < 1e-15);
  assert.ok(Math.abs(sigmoid(-2) - 1 / (1 + Math.exp(2))) < 1e-15);
  assert.equal(sigmoid(1000), 1);
  assert.equal(sigmoid(-1000), 0);
});

test('logits become probabilities and positives at each label threshold (inclusive)', () => {
  // thresholds 0.5, 0.3, 0.6, 0.5
  const f = toFindings(manifest(), [0, -0.5, 0.5, -3]);
  assert.deepEqual(
    f.map((x) => [x.abnormality, x.location, x.positive]),
    [
      ['pleural_effusion', 'left_lung', true], // 0.5 >= 0.5
      ['pneumothorax', null, true], // 0.3775 >= 0.3
      ['nodule', null, true], // 0.6225 >= 0.6
      ['mass', null, false], // 0.047 < 0.5
    ],
  );
  assert.ok(Math.abs(f[1]!.probability - 0.3775406687981454) < 1e-12);
});

test('activation "none" takes outputs as probabilities', () => {
  const f = toFindings(manifest('none'), [0.49, 0.3, 0.61, 1]);
  assert.deepEqual(
    f.map((x) => [x.probability, x.positive]),
    [
      [0.49, false],
      [0.3, true],
      [0.61, true],
      [1, true],
    ],
  );
});

test('NaN or infinite outputs are an error naming the labels, not findings', () => {
  assert.throws(
    () => toFindings(manifest(), [0, NaN, 0, -Infinity]),
    (err: unknown) =>
      err instanceof ModelError &&
      err.reason === 'non-finite-output' &&
      /pneumothorax=NaN, mass=-Infinity/.test(err.message) &&
      /nothing was written/.test(err.message),
  );
});

test('probabilities outside [0, 1] are an error when the model applies no activation', () => {
  assert.throws(() => toFindings(manifest('none'), [0.5, 0.5, 1.2, 0.5]), /nodule=1.2/);
});

test('an output count different from the label count is a broken model', () => {
  assert.throws(
    () => toFindings(manifest(), [0, 0, 0]),
    (err: unknown) =>
      err instanceof ModelError && err.reason === 'model-broken' && /3 outputs.*4 labels/.test(err.message),
  );
});

test('input with the manifest dims and finite values passes', () => {
  assert.doesNotThrow(() => checkInput(manifest(), new Float32Array(384), [1, 6, 8, 8]));
});

test('input with other dims is rejected with both shapes in the message', () => {
  assert.throws(
    () => checkInput(manifest(), new Float32Array(384), [1, 8, 6, 8]),
    (err: unknown) =>
      err instanceof ModelError &&
      err.reason === 'input-shape' &&
      err.status === 422 &&
      err.message === 'model tiny-fixture expects input [1, 6, 8, 8], got [1, 8, 6, 8]',
  );
  assert.throws(() => checkInput(manifest(), new Float32Array(384), [6, 8, 8]), /expects input \[1, 6, 8, 8\]/);
});

test('input whose buffer length disagrees with its dims is rejected', () => {
  assert.throws(() => checkInput(manifest(), new Float32Array(383), [1, 6, 8, 8]), /expects 384 input values, got 383/);
});

test('input containing NaN is rejected before inference', () => {
  const data = new Float32Array(384);
  data[17] = NaN;
  assert.throws(
    () => checkInput(manifest(), data, [1, 6, 8, 8]),
    (err: unknown) =>
      err instanceof ModelError && err.reason === 'input-invalid' && /input value 17 is NaN/.test(err.message),
  );
});
