import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSentences } from '../../../src/reports/sentences.js';

function split(text: string): string[] {
  return splitSentences(text).map((s) => text.slice(s.start, s.end));
}

test('decimals do not end a sentence', () => {
  assert.deepEqual(split('A 1.2 cm nodule. No effusion.'), ['A 1.2 cm nodule.', 'No effusion.']);
});

test('abbreviations (Dr., e.g., vs.) do not end a sentence', () => {
  assert.deepEqual(split('Discussed with Dr. Smith. Opacities, e.g. ground glass, are seen.'), [
    'Discussed with Dr. Smith.',
    'Opacities, e.g. ground glass, are seen.',
  ]);
  assert.deepEqual(split('Atelectasis vs. pneumonia.'), ['Atelectasis vs. pneumonia.']);
});

test('a unit at the end of a sentence still ends it', () => {
  assert.deepEqual(split('The nodule measures 5 mm. The heart is normal.'), [
    'The nodule measures 5 mm.',
    'The heart is normal.',
  ]);
});

test('numbered lists and line breaks split items; bare numbers are dropped', () => {
  assert.deepEqual(split('1. Right pleural effusion.\n2. Atelectasis\n3. Emphysema'), [
    'Right pleural effusion.',
    'Atelectasis',
    'Emphysema',
  ]);
});

test('a line break inside a sentence that continues in lower case does not split', () => {
  assert.deepEqual(split('Small effusion\nat the right base.'), ['Small effusion\nat the right base.']);
});

test('quote marks and bullets used as impression items split', () => {
  assert.deepEqual(split('No effusion. " Hiatal hernia " Emphysema • Cardiomegaly'), [
    'No effusion.',
    'Hiatal hernia',
    'Emphysema',
    'Cardiomegaly',
  ]);
});

test('a quotation inside a sentence does not split it; quotes around items still do', () => {
  assert.deepEqual(
    split('The so-called "tree-in-bud" pattern is seen. Areas of \u201ccrazy paving\u201d, both lungs.'),
    ['The so-called "tree-in-bud" pattern is seen.', 'Areas of \u201ccrazy paving\u201d, both lungs.'],
  );
  assert.deepEqual(split('"Mosaic pattern in both lungs" Minimal atelectasis.'), [
    'Mosaic pattern in both lungs',
    'Minimal atelectasis.',
  ]);
});

test('Unicode spaces separate sentences; a bare CR ends a line like LF and CRLF', () => {
  assert.deepEqual(split('No effusion.\u00a0Emphysema.\u2003Nodule.\u202fAtelectasis.'), [
    'No effusion.',
    'Emphysema.',
    'Nodule.',
    'Atelectasis.',
  ]);
  assert.deepEqual(split('No effusion\rEmphysema\r\nNodule\nAtelectasis'), [
    'No effusion',
    'Emphysema',
    'Nodule',
    'Atelectasis',
  ]);
});

test('a question mark inside parentheses does not split, one before a capital does', () => {
  assert.deepEqual(split('Hypodense lesion (cyst?) in the liver. Atelectasis? Infection?'), [
    'Hypodense lesion (cyst?) in the liver.',
    'Atelectasis?',
    'Infection?',
  ]);
});

test('spans are offsets into the original text', () => {
  const text = '  Effusion.   Nodule.  ';
  const spans = splitSentences(text);
  assert.deepEqual(spans, [
    { start: 2, end: 11 },
    { start: 14, end: 21 },
  ]);
});
