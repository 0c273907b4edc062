// Location assignment against negation scopes, lobe abbreviations, radiographic zones and organ parts; and the
// negation/hedge phrasings of general radiology English (constructed sentences, no evaluation data).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locations, polarity, summary } from './helpers.js';

/** Locations at which an abnormality is denied. */
function deniedAt(text: string, abnormality: string): string[] {
  return summary(text)
    .filter((s) => s.startsWith(`${abnormality}@`) && s.endsWith('=absent'))
    .map((s) => s.slice(abnormality.length + 1, -'=absent'.length));
}

test('a denied finding keeps the locations of its scope; an asserted one does not take them', () => {
  assert.deepEqual(summary('Opacity in the left lower lobe, no nodule in the right upper lobe.'), [
    'nodule@right_upper=absent',
    'opacity@left_lower=present',
  ]);
  assert.deepEqual(summary('No nodule in the right upper lobe; opacity in the left lower lobe.'), [
    'nodule@right_upper=absent',
    'opacity@left_lower=present',
  ]);
  assert.deepEqual(
    locations('Atelectasis in the left lower lobe without effusion in the right hemithorax.', 'atelectasis'),
    ['left_lower'],
  );
  assert.deepEqual(
    deniedAt('Atelectasis in the left lower lobe without effusion in the right hemithorax.', 'pleural_effusion'),
    ['right_lung'],
  );
  assert.deepEqual(locations('Calcified plaques in the aorta, no coronary artery calcification.', 'calcification'), [
    'aorta',
  ]);
});

test('a denial that names no place of its own keeps the sentence topic; a normal structure stays a location', () => {
  assert.deepEqual(deniedAt('The right upper lobe shows no nodule.', 'nodule'), ['right_upper']);
  assert.deepEqual(deniedAt('Right upper lobe: no nodule.', 'nodule'), ['right_upper']);
  assert.deepEqual(locations('The aorta is of normal calibre with calcified plaques.', 'plaque'), ['aorta']);
  assert.deepEqual(
    locations('No lytic lesion is seen in the bones, and degenerative changes are observed.', 'arthritis'),
    ['bone'],
  );
});

test('a negation inside the subject ends at its verb ("X without Y is seen ...")', () => {
  const text = 'Ground-glass opacity without consolidation is accompanied by septal thickening.';
  assert.equal(polarity(text, 'consolidation'), 'absent');
  assert.equal(polarity(text, 'septal_thickening'), 'present');
  assert.equal(polarity('A nodule without calcification is seen next to a small cyst.', 'cyst'), 'present');
  const t5 = 'A sclerotic lesion without soft tissue component was observed in the T5 vertebra.';
  assert.deepEqual(locations(t5, 'lesion'), ['spine']);
  assert.equal(polarity(t5, 'soft_tissue'), 'absent');
  // A negation that opens the clause still denies the whole predication.
  assert.deepEqual(summary('No mass was detected in the liver.'), ['mass@liver=absent']);
});

test('lobe abbreviations are lobe locations with their side', () => {
  assert.deepEqual(locations('Nodule in the RUL.', 'nodule'), ['right_upper']);
  assert.deepEqual(locations('Atelectasis in the RML.', 'atelectasis'), ['right_mid']);
  assert.deepEqual(locations('Consolidation in the RLL and LLL.', 'consolidation'), ['left_lower', 'right_lower']);
  assert.deepEqual(locations('LUL: 4 mm nodule.', 'nodule'), ['left_upper']);
  assert.deepEqual(locations('Scarring in the RUL and lingula.', 'scarring'), ['left_mid', 'right_upper']);
});

test('the lingula is always left, the middle lobe always right, whatever else the sentence names', () => {
  assert.deepEqual(locations('Opacity in the lingular segment.', 'opacity'), ['left_mid']);
  assert.deepEqual(locations('Lingular atelectasis.', 'atelectasis'), ['left_mid']);
  assert.deepEqual(locations('Bibasilar atelectasis and opacity in the middle lobe.', 'opacity'), [
    'left_lower',
    'right_lower',
    'right_mid',
  ]);
  // A side the phrase names wins over the side a lobe word implies.
  assert.deepEqual(locations('Atelectasis at the right lung bases.', 'atelectasis'), ['right_lower']);
  assert.deepEqual(locations('Nodules in the upper, middle and lower lobes.', 'nodule'), [
    'right_lower',
    'right_mid',
    'right_upper',
  ]);
});

test('radiographic zones are the upper, mid and lower lung locations; an unsided zone stays in the lung', () => {
  assert.deepEqual(locations('Opacity in the right mid zone.', 'opacity'), ['right_mid']);
  assert.deepEqual(locations('Reticulation in the left middle zone.', 'reticulation'), ['left_mid']);
  assert.deepEqual(locations('Bilateral mid zone opacities.', 'opacity'), ['left_mid', 'right_mid']);
  assert.deepEqual(locations('Opacities in the right and left mid zones.', 'opacity'), ['left_mid', 'right_mid']);
  assert.deepEqual(locations('Opacity in the middle zone.', 'opacity'), ['lung']);
  assert.deepEqual(locations('Emphysema in the upper lung zones.', 'emphysema'), ['lung']);
});

test('a lobe or zone of no side is the lung, not other_location', () => {
  assert.deepEqual(locations('Nodule in the upper lobe.', 'nodule'), ['lung']);
  assert.deepEqual(locations('Scarring at the apical level.', 'scarring'), ['lung']);
});

test('lobe, zone and side words of another organ are that organ, not the lung', () => {
  assert.deepEqual(locations('Cortical cyst in the middle zone of the right kidney.', 'cyst'), ['kidney']);
  assert.deepEqual(locations('Calcification at the cardiac apex.', 'calcification'), ['heart']);
  assert.deepEqual(locations('Calcification at the apex of the heart.', 'calcification'), ['heart']);
  assert.deepEqual(locations('A hypodense lesion in the posterior segment of the right lobe of the liver.', 'lesion'), [
    'liver',
  ]);
  // The mediastinal pleura is still pleura.
  assert.deepEqual(locations('Pleural thickening along the mediastinal pleura.', 'pleural_thickening'), ['lung']);
});

test('"loss of" names a finding, it does not deny one', () => {
  assert.equal(polarity('Loss of volume in the left lower lobe with bronchiectasis.', 'bronchiectasis'), 'present');
  assert.equal(
    polarity('Slight loss of aeration in the left lower lobe, dependent atelectasis.', 'atelectasis'),
    'present',
  );
});

test('hedged exclusions with an adverb are uncertain, "unlikely" is uncertain, "clearing of" denies', () => {
  assert.equal(polarity('Early pneumonia cannot be entirely excluded.', 'pneumonia'), 'uncertain');
  assert.equal(polarity('Malignancy cannot be completely ruled out.', 'cancer'), 'uncertain');
  assert.equal(polarity("A small nodule can't be excluded.", 'nodule'), 'uncertain');
  assert.equal(polarity('Atelectasis is unlikely.', 'atelectasis'), 'uncertain');
  assert.equal(polarity('Interval clearing of the consolidation.', 'consolidation'), 'absent');
  assert.equal(polarity('Partial clearing of the consolidation.', 'consolidation'), 'present');
  // "resolved" with an adverb still denies.
  assert.equal(polarity('The effusion has entirely resolved.', 'pleural_effusion'), 'absent');
});

test('a place named only where a finding is denied is no other_disease', () => {
  assert.deepEqual(summary('Lungs are free of consolidation.'), ['consolidation@lung=absent']);
  assert.deepEqual(summary('Pleural effusion was not detected in both hemithoraces.'), [
    'pleural_effusion@lung=absent',
  ]);
  assert.deepEqual(summary('Right hilar fullness.'), ['other_disease@hilum=present']);
});
