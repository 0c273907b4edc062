import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locations } from './helpers.js';

test('a lobe with its side gives the lobe location', () => {
  assert.deepEqual(locations('Consolidation in the right lower lobe.', 'consolidation'), ['right_lower']);
  assert.deepEqual(locations('Atelectasis in the lower lobe of the left lung.', 'atelectasis'), ['left_lower']);
  assert.deepEqual(locations('Ground-glass opacity in the left lung upper lobe.', 'groundglass'), ['left_upper']);
});

test('the middle lobe is right, the lingula is left mid', () => {
  assert.deepEqual(locations('Atelectasis in the middle lobe.', 'atelectasis'), ['right_mid']);
  assert.deepEqual(locations('Subsegmental atelectasis in the lingula.', 'atelectasis'), ['left_mid']);
});

test('"bilateral", "both lungs", "bases" and "apices" set both sides', () => {
  assert.deepEqual(locations('Bilateral pleural effusion.', 'pleural_effusion'), ['left_lung', 'right_lung']);
  assert.deepEqual(locations('Emphysema in both lungs.', 'emphysema'), ['left_lung', 'right_lung']);
  assert.deepEqual(locations('Atelectasis at the bases.', 'atelectasis'), ['left_lower', 'right_lower']);
  assert.deepEqual(locations('Scarring at the apices.', 'scarring'), ['left_upper', 'right_upper']);
});

test('a lung-only abnormality without location words is in the lung', () => {
  assert.deepEqual(locations('Emphysema.', 'emphysema'), ['lung']);
});

test('organ sanity: a lung-only abnormality is never placed in the heart', () => {
  assert.deepEqual(locations('Pleural effusion, cardiomegaly and pericardial thickening.', 'pleural_effusion'), [
    'lung',
  ]);
});

test('a heart-only abnormality defaults to the heart', () => {
  assert.deepEqual(locations('Cardiomegaly.', 'cardiomegaly'), ['heart']);
});

test('a generic abnormality takes the organs of its clause and other_location when none', () => {
  assert.deepEqual(locations('A hypodense cyst in the liver.', 'cyst'), ['liver']);
  assert.deepEqual(locations('A cyst is seen.', 'cyst'), ['other_location']);
});

test('"lobe of the liver" is the liver, not a lung lobe', () => {
  assert.deepEqual(locations('A hypodense nodule in the left lobe of the liver.', 'nodule'), ['liver']);
});

test('coronary arteries are the heart, the thoracic aorta the aorta, the abdominal aorta the abdomen', () => {
  assert.deepEqual(locations('Calcified plaques in the coronary arteries.', 'plaque'), ['heart']);
  assert.deepEqual(locations('Calcified plaques in the thoracic aorta.', 'plaque'), ['aorta']);
  assert.deepEqual(locations('Calcified plaques in the abdominal aorta.', 'plaque'), ['abdomen']);
});

test('a hiatal hernia is at the esophagus', () => {
  assert.ok(locations('Small hiatal hernia.', 'hernia').includes('esophagus'));
});

test('a location named in abnormal text with no known abnormality is other_disease', () => {
  assert.deepEqual(locations('The thyroid gland appears heterogeneous.', 'other_disease').includes('thyroid'), true);
});

test('each lobe takes the side named with it, not every side of the sentence', () => {
  assert.deepEqual(locations('Nodules in the right upper lobe and left lower lobe.', 'nodule'), [
    'left_lower',
    'right_upper',
  ]);
  assert.deepEqual(
    locations('Atelectasis in the lower lobe of the right lung and the upper lobe of the left lung.', 'atelectasis'),
    ['left_upper', 'right_lower'],
  );
  assert.deepEqual(locations('Consolidation in the lingula and right lower lobe.', 'consolidation'), [
    'left_mid',
    'right_lower',
  ]);
  // Sides listed before one lobe, a side after the lobe, and a lobe with no side of its own.
  assert.deepEqual(locations('Atelectasis in the right and left lower lobes.', 'atelectasis'), [
    'left_lower',
    'right_lower',
  ]);
  assert.deepEqual(locations('Atelectasis in the lower lobes bilaterally.', 'atelectasis'), [
    'left_lower',
    'right_lower',
  ]);
  assert.deepEqual(locations('In the right lung, atelectasis is seen in the lower lobe.', 'atelectasis'), [
    'right_lower',
  ]);
});

test('a singular "base" is one lower lobe, not both sides as "bases" is', () => {
  assert.deepEqual(locations('Atelectasis at the right base.', 'atelectasis'), ['right_lower']);
  assert.deepEqual(locations('Atelectasis at the lung base.', 'atelectasis'), ['lung']);
  assert.deepEqual(locations('Atelectasis at both lung bases.', 'atelectasis'), ['left_lower', 'right_lower']);
});

test('lobe modifiers coordinated before one "lobes" each make a lobe with the shared side', () => {
  assert.deepEqual(locations('Atelectasis in the right middle and lower lobes.', 'atelectasis'), [
    'right_lower',
    'right_mid',
  ]);
  assert.deepEqual(locations('Nodules in the upper, middle and lower lobes of the right lung.', 'nodule'), [
    'right_lower',
    'right_mid',
    'right_upper',
  ]);
  assert.deepEqual(locations('Right lung upper and lower lobe nodules.', 'nodule'), ['right_lower', 'right_upper']);
  assert.deepEqual(locations('Atelectasis in the right middle and lower lobes and left upper lobe.', 'atelectasis'), [
    'left_upper',
    'right_lower',
    'right_mid',
  ]);
  assert.deepEqual(locations('Bilateral upper and lower lobe ground glass opacities.', 'groundglass'), [
    'left_lower',
    'left_upper',
    'right_lower',
    'right_upper',
  ]);
  assert.deepEqual(locations('Pleural plaques at the upper-middle lobe of the right lung.', 'plaque'), [
    'right_mid',
    'right_upper',
  ]);
  // A modifier after a lobe or right before one without a joiner names a segment, not another lobe.
  assert.deepEqual(locations('Consolidation in the superior lower lobe of the right lung.', 'consolidation'), [
    'right_lower',
  ]);
  assert.deepEqual(
    locations('Nodule in the right lung lower lobe superior and middle lobe lateral segment.', 'nodule'),
    ['right_lower', 'right_mid'],
  );
});
