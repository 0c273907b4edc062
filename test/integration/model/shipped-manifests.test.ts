import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifest } from '../../../src/imaging/model/runtime.js';
import { loadLabelVocabulary } from '../../../src/imaging/model/vocabulary.js';

test('the label vocabulary is read from the ct-abnormality and ct-location CodeSystems in terminology/', async () => {
  const v = await loadLabelVocabulary();
  assert.ok(v, 'terminology/ has no ct-abnormality / ct-location CodeSystem');
  assert.ok(v.abnormality.has('pleural_effusion') && v.abnormality.has('nodulegr1cm'));
  assert.ok(v.location.has('left_lower'));
  assert.equal(v.abnormality.has('left_lower'), false);
});

test('the label vocabulary is undefined when a folder lacks the CodeSystems', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-vocab-'));
  writeFileSync(
    join(dir, 'x.json'),
    JSON.stringify({ resourceType: 'CodeSystem', id: 'ct-abnormality', concept: [{ code: 'a' }] }),
  );
  writeFileSync(join(dir, 'broken.json'), '{');
  assert.equal(await loadLabelVocabulary(dir), undefined);
});

for (const name of readdirSync('models').filter((d) => existsSync(join('models', d, 'model.json')))) {
  test(`shipped manifest models/${name}/model.json validates against the product's CodeSystems`, async () => {
    const v = await loadLabelVocabulary();
    const m = await readManifest(join('models', name), v);
    assert.equal(m.name, name);
    if (m.synthetic) assert.match(m.intendedUse, /not for clinical use/i);
  });
}

test('the full-size CT-Net manifest describes the published architecture: 402 x 420 x 420 input, 83 outputs', async () => {
  const m = await readManifest('models/ctnet-full');
  assert.deepEqual(m.input.shape, [1, 402, 420, 420]);
  assert.equal(m.labels.length, 83);
  assert.equal(m.labels[0]!.abnormality, 'bandlike_or_linear');
  assert.equal(m.labels[82]!.abnormality, 'gi_tube');
  assert.equal(m.weights, 'not-shipped');
  assert.deepEqual(m.preprocessing.spacing, [0.8, 0.8, 0.8]);
  assert.deepEqual(m.preprocessing.inputClipHU, [-1000, 200]);
  assert.equal(m.preprocessing.centre, 0.449);
});
