import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFindings, MAX_REPORT_CHARS } from '../../../src/reports/extract.js';
import { vocab } from './helpers.js';

test('evidence offsets point at the matched words in the original text', () => {
  const text = 'FINDINGS:\n  Trachea is patent.  Moderate RIGHT Pleural Effusion-thickening is present.';
  for (const f of extractFindings(text, vocab)) {
    const { start, end, sentenceStart, sentence } = f.evidence;
    assert.equal(text.slice(sentenceStart, sentenceStart + sentence.length), sentence);
    assert.ok(start >= sentenceStart && end <= sentenceStart + sentence.length);
  }
  const effusion = extractFindings(text, vocab).find((f) => f.abnormality === 'pleural_effusion');
  assert.ok(effusion);
  assert.equal(text.slice(effusion.evidence.start, effusion.evidence.end), 'Pleural Effusion');
  assert.equal(effusion.location, 'right_lung');
});

test('one finding per abnormality and location, strongest polarity wins', () => {
  const text = 'No pleural effusion on the left. Small pleural effusion on the left.';
  const effusions = extractFindings(text, vocab).filter((f) => f.abnormality === 'pleural_effusion');
  assert.deepEqual(
    effusions.map((f) => [f.location, f.polarity]),
    [['left_lung', 'present']],
  );
});

test('non-text bytes and a very long report are handled without throwing', () => {
  const binary = String.fromCharCode(...Array.from({ length: 2000 }, (_, i) => i % 256));
  assert.doesNotThrow(() => extractFindings(binary, vocab));
  const long = 'Small right pleural effusion. '.repeat(40_000); // ~1.2 MB
  const findings = extractFindings(long, vocab);
  assert.ok(findings.some((f) => f.abnormality === 'pleural_effusion'));
  assert.ok(long.length > MAX_REPORT_CHARS);
});

test('non-Latin letters are tokenised as words, not dropped silently', () => {
  assert.doesNotThrow(() => extractFindings('Plevral efüzyon izlenmedi. Ölçüm 1,5 cm.', vocab));
});
