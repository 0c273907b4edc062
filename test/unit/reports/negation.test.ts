import { test } from 'node:test';
import assert from 'node:assert/strict';
import { polarity, summary } from './helpers.js';

test('a finding with no rule applying is present', () => {
  assert.equal(polarity('There is a right pleural effusion.', 'pleural_effusion'), 'present');
});

test('"no" denies what follows in its clause: the finding is absent, not dropped', () => {
  assert.equal(polarity('No pleural effusion.', 'pleural_effusion'), 'absent');
  assert.equal(polarity('There is no pneumothorax or pleural effusion.', 'pneumothorax'), 'absent');
  assert.equal(polarity('There is no pneumothorax or pleural effusion.', 'pleural_effusion'), 'absent');
});

test('post-posed negation ("was not observed") denies the clause before it', () => {
  assert.equal(polarity('Pericardial effusion was not observed.', 'pericardial_effusion'), 'absent');
  assert.equal(
    polarity('Pleural effusion-thickening was not detected in both hemithorax.', 'pleural_thickening'),
    'absent',
  );
  assert.equal(polarity('Enlarged lymph nodes were not seen in the mediastinum.', 'lymphadenopathy'), 'absent');
});

test('negation stops at a new clause with its own verb', () => {
  const text = 'No pleural effusion is seen, a 5 mm nodule is observed in the right upper lobe.';
  assert.equal(polarity(text, 'pleural_effusion'), 'absent');
  assert.equal(polarity(text, 'nodule'), 'present');
});

test('negation stops at "but" and "however"', () => {
  assert.equal(
    polarity('No consolidation, but there is a small left pleural effusion.', 'pleural_effusion'),
    'present',
  );
  assert.equal(polarity('No consolidation; however, atelectasis is seen at the bases.', 'atelectasis'), 'present');
});

test('"... was normal and no ... was detected" negates only the second clause', () => {
  const text = 'Esophageal calibration was normal and no tumoral wall thickening was detected.';
  assert.equal(polarity(text, 'cancer'), 'absent');
});

test('a post-posed negation reaches the subject across a relative clause', () => {
  const text =
    'A ground-glass nodule in the left lower lobe, which was observed in the previous examination, was not detected in the current examination.';
  assert.equal(polarity(text, 'nodule'), 'absent');
});

test('"not observed in the previous examination" marks a new finding, not a denied one', () => {
  assert.equal(
    polarity(
      'Consolidation that was not observed in the previous examination is seen in the left lower lobe.',
      'consolidation',
    ),
    'present',
  );
});

test('"did not reach pathological size" is not a negation of the node', () => {
  assert.equal(
    polarity(
      'A 9 mm lymph node that did not reach pathological size was observed in the right paratracheal area.',
      'lymphadenopathy',
    ),
    'present',
  );
});

test('normal-words deny their subject: "X is normal", "within normal limits", "Normal X"', () => {
  assert.equal(polarity('Heart size is normal.', 'cardiomegaly'), undefined);
  assert.equal(polarity('The lymph nodes are within normal limits.', 'lymphadenopathy'), 'absent');
  assert.equal(polarity('Normal lymph nodes in the mediastinum.', 'lymphadenopathy'), 'absent');
});

test('"larger than normal" is not a normal statement', () => {
  assert.equal(polarity('The heart is larger than normal.', 'cardiomegaly'), 'present');
});

test('a normal-word does not reach back across "and" into another subject', () => {
  assert.equal(
    polarity('Consolidation in the right lower lobe and the left lung is clear.', 'consolidation'),
    'present',
  );
});

test('"resolved" denies, "partially resolved" does not', () => {
  assert.equal(polarity('The right pleural effusion has resolved.', 'pleural_effusion'), 'absent');
  assert.equal(polarity('The right pleural effusion has partially resolved.', 'pleural_effusion'), 'present');
});

test('"non" prefixes remove the word they qualify (non-calcified nodule: no calcification, a nodule)', () => {
  const text = 'A non-calcified nodule is seen in the left upper lobe.';
  assert.equal(polarity(text, 'nodule'), 'present');
  assert.equal(polarity(text, 'calcification'), undefined);
});

test('"free of" and "without" deny', () => {
  assert.equal(polarity('The pleural spaces are free of effusion.', 'pleural_effusion'), 'absent');
  assert.equal(polarity('Ground-glass opacities without consolidation.', 'consolidation'), 'absent');
  assert.equal(polarity('Ground-glass opacities without consolidation.', 'groundglass'), 'present');
});

test('a rule-out indication ("evaluated for pneumonia") asserts nothing', () => {
  assert.equal(polarity('The patient should be evaluated for pneumonia.', 'pneumonia'), undefined);
});

test('empty, whitespace-only and punctuation-only reports give no findings', () => {
  assert.equal(polarity('', 'nodule'), undefined);
  assert.equal(polarity('   \n\t ', 'nodule'), undefined);
  assert.equal(polarity('...;;,,??', 'nodule'), undefined);
});

test('"resolution of" denies what follows unless the resolution is partial or near complete', () => {
  assert.equal(polarity('Resolution of the right pleural effusion.', 'pleural_effusion'), 'absent');
  assert.equal(polarity('Partial resolution of the right pleural effusion.', 'pleural_effusion'), 'present');
  assert.equal(polarity('Near complete resolution of the left lower lobe consolidation.', 'consolidation'), 'present');
  assert.equal(polarity('Incomplete resolution of the consolidation.', 'consolidation'), 'present');
});

test('a bare "not" denies the words after it: "the heart is not enlarged", "does not show mass configuration"', () => {
  assert.notEqual(polarity('The heart is not enlarged.', 'cardiomegaly'), 'present');
  assert.equal(polarity('The soft tissue does not show mass configuration.', 'mass'), 'absent');
  assert.equal(polarity('There is not a pleural effusion.', 'pleural_effusion'), 'absent');
  assert.equal(polarity('The nodule is not seen.', 'nodule'), 'absent');
  // Earlier rules still win: "not excluded" hedges, "not changed" asserts nothing, "not resolved" stays present.
  assert.equal(polarity('Pneumonia is not excluded.', 'pneumonia'), 'uncertain');
  assert.equal(polarity('The pleural effusion has not changed.', 'pleural_effusion'), 'present');
  assert.equal(polarity('The pleural effusion has not resolved.', 'pleural_effusion'), 'present');
});

test('a verbless "X unremarkable." / "X: normal." denies X; a comma or "and" bounds it', () => {
  assert.deepEqual(summary('Heart unremarkable. Mediastinum normal. Lungs: clear.'), []);
  assert.equal(polarity('Mediastinal lymph nodes unremarkable.', 'lymphadenopathy'), 'absent');
  assert.equal(polarity('Nodule in the right upper lobe, lungs otherwise clear.', 'nodule'), 'present');
  assert.equal(polarity('Right lower lobe consolidation and left lung clear.', 'consolidation'), 'present');
  // With a verb it is no bare predicate: "above normal" stays abnormal.
  assert.deepEqual(summary('The aortic arch calibration is slightly above normal.'), ['other_disease@aorta=present']);
});

test('"no longer present/seen" denies (resolved), also written first', () => {
  assert.equal(polarity('The previously seen nodule is no longer present.', 'nodule'), 'absent');
  assert.equal(polarity('The left pleural effusion is no longer seen.', 'pleural_effusion'), 'absent');
  assert.equal(polarity('No longer seen is the left pleural effusion.', 'pleural_effusion'), 'absent');
});

test('a backward normal scope stops at a conjunct that names its own finding ("lungs are otherwise clear")', () => {
  assert.equal(polarity('Small nodule in the RLL, the lungs are otherwise clear.', 'nodule'), 'present');
  assert.equal(polarity('Small nodule in the right lower lobe and the lungs are clear.', 'nodule'), 'present');
  // "otherwise": the exceptions were named before, even in words the vocabulary does not know.
  assert.deepEqual(summary('Right hilar fullness, the lungs are otherwise clear.'), ['other_disease@hilum=present']);
  assert.deepEqual(summary('The lungs are otherwise clear.'), []);
  assert.deepEqual(summary('Lungs clear otherwise.'), []);
});

test('a forward normal scope stops at a conjunct that names its own finding ("Normal heart, small effusion")', () => {
  assert.equal(polarity('Normal heart, small effusion.', 'pleural_effusion'), 'present');
  assert.equal(polarity('Normal lungs with a small nodule.', 'nodule'), 'present');
  assert.equal(polarity('Normal heart and small pleural effusion.', 'pleural_effusion'), 'present');
  // A list of structures still shares the normal word.
  assert.deepEqual(summary('Normal heart, mediastinum and great vessels.'), []);
});

test('a normal statement over a coordinated subject denies each conjunct', () => {
  assert.deepEqual(summary('Heart and pericardium are unremarkable.'), []);
  assert.deepEqual(summary('Heart and pericardium unremarkable.'), []);
  assert.deepEqual(summary('Trachea and both main bronchi are open.'), []);
  assert.deepEqual(summary('Heart, mediastinum and great vessels are normal.'), []);
  assert.deepEqual(summary('Liver, spleen, both adrenal glands and pancreas are normal.'), []);
  // A conjunct with a finding is its own statement.
  assert.equal(
    polarity('Consolidation in the right lower lobe and the left lung is clear.', 'consolidation'),
    'present',
  );
});
