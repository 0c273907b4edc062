import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFindings } from '../../../src/reports/extract.js';
import { countsAsPositive, toVector } from '../../../src/reports/labels.js';
import { polarity, terminology, vocab } from './helpers.js';

test('hedge words make a finding uncertain', () => {
  assert.equal(polarity('Findings may be compatible with pneumonia.', 'pneumonia'), 'uncertain');
  assert.equal(polarity('Possible small left pleural effusion.', 'pleural_effusion'), 'uncertain');
  assert.equal(polarity('Atelectasis versus consolidation in the left lower lobe.', 'consolidation'), 'uncertain');
});

test('"cannot be excluded" is a hedge, not a negation', () => {
  assert.equal(polarity('A small pneumothorax cannot be excluded.', 'pneumothorax'), 'uncertain');
  assert.equal(polarity('Malignancy could not be ruled out.', 'cancer'), 'uncertain');
});

test('a question mark hedges its parenthesis only', () => {
  const text = 'A 4 mm nodule in the right lower lobe (intrapulmonary lymph node?).';
  assert.equal(polarity(text, 'nodule'), 'present');
  assert.equal(polarity(text, 'lymphadenopathy'), 'uncertain');
});

test('a denied finding stays absent even in a hedged sentence', () => {
  assert.equal(polarity('No pleural effusion; possible early pneumonia.', 'pleural_effusion'), 'absent');
});

test('hedge policy applies at label time: positive counts uncertain findings, negative and uncertain do not', () => {
  assert.equal(countsAsPositive('uncertain', 'positive'), true);
  assert.equal(countsAsPositive('uncertain', 'negative'), false);
  assert.equal(countsAsPositive('uncertain', 'uncertain'), false);
  assert.equal(countsAsPositive('present', 'negative'), true);
  assert.equal(countsAsPositive('absent', 'positive'), false);
  const findings = extractFindings('Possible pneumothorax on the right.', vocab);
  const i = terminology.rad83.indexOf('pneumothorax');
  assert.equal(toVector(findings, terminology.rad83, 'positive')[i], 1);
  assert.equal(toVector(findings, terminology.rad83, 'negative')[i], 0);
});
