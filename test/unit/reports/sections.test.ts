import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitSections } from '../../../src/reports/sections.js';
import { extractFindings } from '../../../src/reports/extract.js';
import { polarity, vocab } from './helpers.js';

test('a report without headings is one findings section', () => {
  const text = 'Small right pleural effusion.';
  assert.deepEqual(
    splitSections(text, vocab.sections).map((s) => [s.kind, s.skip, s.start, s.end]),
    [['findings', false, 0, text.length]],
  );
});

test('headings split the report; indication, history, technique and comparison are skipped', () => {
  const text =
    'INDICATION: Rule out pneumonia.\nTECHNIQUE: CT chest without contrast.\nFINDINGS: Small left pleural effusion.\nIMPRESSION: Effusion. No pneumothorax.';
  const kinds = splitSections(text, vocab.sections).map((s) => `${s.kind}:${s.skip}`);
  assert.deepEqual(kinds, ['indication:true', 'technique:true', 'findings:false', 'impression:false']);
  assert.equal(polarity(text, 'pneumonia'), undefined);
  assert.equal(polarity(text, 'pleural_effusion'), 'present');
  assert.equal(polarity(text, 'pneumothorax'), 'absent');
});

test('a heading in capitals on its own line counts without a colon; a sentence word does not', () => {
  const text = 'FINDINGS\nMild emphysema.\nIMPRESSION\nEmphysema.';
  assert.deepEqual(
    splitSections(text, vocab.sections).map((s) => s.kind),
    ['findings', 'impression'],
  );
  assert.deepEqual(
    splitSections('The findings are stable.', vocab.sections).map((s) => s.kind),
    ['findings'],
  );
});

test('a skipped heading on a one-line report covers only its own sentence', () => {
  const text = 'Comparison: CT dated 25.12.2019. Small right pleural effusion.';
  assert.equal(polarity(text, 'pleural_effusion'), 'present');
});

test('the evidence names the section it came from', () => {
  const text = 'FINDINGS: Mild emphysema.\nIMPRESSION: Small pneumothorax.';
  const f = extractFindings(text, vocab).find((x) => x.abnormality === 'pneumothorax');
  assert.equal(f?.evidence.section, 'impression');
});

test('with a findings heading, a skipped section runs to the next heading, not to its first line break', () => {
  const text = 'CLINICAL HISTORY: Lung cancer.\nTreated pneumonia.\nFINDINGS: No pleural effusion.';
  assert.deepEqual(
    splitSections(text, vocab.sections).map((s) => `${s.kind}:${s.skip}`),
    ['history:true', 'findings:false'],
  );
  assert.equal(polarity(text, 'pneumonia'), undefined);
  assert.equal(polarity(text, 'cancer'), undefined);
});

test('headings are found after a bare CR line end', () => {
  const text = 'FINDINGS\rMild emphysema.\rIMPRESSION\rEmphysema.';
  assert.deepEqual(
    splitSections(text, vocab.sections).map((s) => s.kind),
    ['findings', 'impression'],
  );
});

test('evidence never quotes the preamble before a findings heading (patient identifiers)', () => {
  const text = 'Patient: John Doe MRN 123, right lung nodule follow-up\nFINDINGS: Nodule in the right upper lobe.';
  const findings = extractFindings(text, vocab);
  assert.ok(findings.length > 0);
  for (const f of findings) {
    assert.equal(f.evidence.section, 'findings');
    assert.ok(!f.evidence.sentence.includes('John Doe'));
    assert.ok(f.evidence.sentenceStart > text.indexOf('FINDINGS'));
  }
});

test('without a findings heading, text before the first heading is still read', () => {
  assert.equal(polarity('Small right pleural effusion.\nIMPRESSION: Effusion.', 'pleural_effusion'), 'present');
});
