import { test } from 'node:test';
import assert from 'node:assert/strict';
import { polarity } from './helpers.js';

test('a nodule over 1 cm adds nodulegr1cm', () => {
  assert.equal(polarity('A 1.2 cm nodule in the right upper lobe.', 'nodulegr1cm'), 'present');
  assert.equal(polarity('A nodule measuring 15x11 mm in the left lower lobe.', 'nodulegr1cm'), 'present');
});

test('a nodule of 1 cm or less does not', () => {
  assert.equal(polarity('A 1 cm nodule in the right upper lobe.', 'nodulegr1cm'), undefined);
  assert.equal(polarity('Nodules of 2.3 and 3 mm in diameter in the right lung.', 'nodulegr1cm'), undefined);
  assert.equal(polarity('A 9 mm nodule in the lingula.', 'nodulegr1cm'), undefined);
});

test('an upper bound ("smaller than 15 mm") is not a size over 1 cm', () => {
  assert.equal(polarity('Several nodules smaller than 15 mm in both lungs.', 'nodulegr1cm'), undefined);
});

test('a denied nodule gets no size label', () => {
  assert.equal(polarity('No nodule larger than 12 mm was detected.', 'nodulegr1cm'), undefined);
});

test('a size in another clause does not size the nodule', () => {
  assert.equal(polarity('A 4 mm nodule is seen, the effusion measures 30 mm.', 'nodulegr1cm'), undefined);
});

test('a lymph node over 1 cm or described as enlarged is lymphadenopathy', () => {
  assert.equal(polarity('A 15 mm node in the subcarinal region.', 'lymphadenopathy'), 'present');
  assert.equal(polarity('Mediastinal adenopathy.', 'lymphadenopathy'), 'present');
  assert.equal(polarity('No enlarged lymph nodes were detected.', 'lymphadenopathy'), 'absent');
});

test('a size in parentheses, or after "up to" / "maximum", is the nodule size', () => {
  assert.equal(polarity('Nodule in the right upper lobe (12 mm).', 'nodulegr1cm'), 'present');
  assert.equal(polarity('A 12 mm (previously 8 mm) nodule in the right upper lobe.', 'nodulegr1cm'), 'present');
  assert.equal(polarity('Nodules measuring up to 12 mm in both lungs.', 'nodulegr1cm'), 'present');
  assert.equal(polarity('A nodule with a maximum diameter of 14 mm.', 'nodulegr1cm'), 'present');
});

test('a size of the previous examination is not the current size', () => {
  assert.equal(polarity('Nodule measuring 8 mm, previously 12 mm.', 'nodulegr1cm'), undefined);
  assert.equal(polarity('Nodule measuring 8 mm (12 mm in the previous examination).', 'nodulegr1cm'), undefined);
  assert.equal(polarity('Nodule measuring 12 mm, previously 8 mm.', 'nodulegr1cm'), 'present');
});
