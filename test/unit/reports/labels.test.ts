import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFindings } from '../../../src/reports/extract.js';
import { toMappedLabels, toMatrix, toVector } from '../../../src/reports/labels.js';
import { terminology, vocab } from './helpers.js';

function ctRate(text: string): string[] {
  const v = toMappedLabels(extractFindings(text, vocab), terminology.ctRate18);
  return terminology.ctRate18.labels.filter((_, i) => v[i] === 1);
}

test('the matrix is 84 abnormalities x 52 locations and marks present pairs', () => {
  const findings = extractFindings('Right lower lobe consolidation.', vocab);
  const m = toMatrix(findings, vocab.abnormalityCodes, vocab.locationCodes);
  assert.equal(m.rows.length, 84);
  assert.equal(m.columns.length, 52);
  const r = m.rows.indexOf('consolidation');
  const c = m.columns.indexOf('right_lower');
  assert.equal(m.cells[r * m.columns.length + c], 1);
  assert.equal(
    m.cells.reduce((a, b) => a + b, 0),
    1,
  );
});

test('the 83-vector follows CT-Net order and excludes other_disease', () => {
  assert.equal(terminology.rad83.length, 83);
  assert.equal(terminology.rad83[0], 'bandlike_or_linear');
  assert.equal(terminology.rad83[82], 'gi_tube');
  const v = toVector(extractFindings('Emphysema. No pleural effusion.', vocab), terminology.rad83);
  assert.equal(v[terminology.rad83.indexOf('emphysema')], 1);
  assert.equal(v[terminology.rad83.indexOf('pleural_effusion')], 0);
});

test('CT-RATE labels come through the ConceptMap with location dependencies', () => {
  assert.deepEqual(ctRate('Calcified plaques in the coronary arteries.'), ['Coronary artery wall calcification']);
  assert.deepEqual(ctRate('Calcified atheroma plaques in the thoracic aorta.'), ['Arterial wall calcification']);
  assert.deepEqual(ctRate('Hiatal hernia.'), ['Hiatal hernia']);
  assert.deepEqual(ctRate('Umbilical hernia in the abdominal wall.'), []);
  assert.deepEqual(ctRate('A 4 mm nodule in the right lower lobe.'), ['Lung nodule']);
  assert.deepEqual(ctRate('A hypodense nodule in the left adrenal gland.'), []);
  assert.deepEqual(ctRate('Nasogastric tube in place.'), ['Medical material']);
  assert.deepEqual(ctRate('Mosaic attenuation pattern in both lungs.'), ['Mosaic attenuation pattern']);
  assert.deepEqual(ctRate('Peribronchial thickening in both lower lobes.'), ['Peribronchial thickening']);
});

test('a report with only denied findings has no CT-RATE labels', () => {
  assert.deepEqual(ctRate('No pleural effusion. No pneumothorax. Pericardial effusion was not observed.'), []);
});
