import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  selectSeries,
  VolumeError,
  DEFAULT_SERIES_CRITERIA,
  type SeriesSummary,
} from '../../../src/imaging/volume/index.js';

const AXIAL = [1, 0, 0, 0, 1, 0];
const s = (uid: string, count: number, extra: Partial<SeriesSummary> = {}): SeriesSummary => ({
  seriesInstanceUid: uid,
  modality: 'CT',
  imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
  orientation: AXIAL,
  instanceCount: count,
  ...extra,
});

test('the ORIGINAL axial CT series with the most instances (> 30) is chosen, with the reason', () => {
  const choice = selectSeries([
    s('1.1', 120, { seriesNumber: 2 }),
    s('1.2', 300, { seriesNumber: 3, description: 'Lung 1.0' }),
    s('1.3', 20),
  ]);
  assert.equal(choice.series.seriesInstanceUid, '1.2');
  assert.match(
    choice.reason,
    /series 3 "Lung 1\.0" \(1\.2\): CT, ORIGINAL, axial, 300 instances \(>= 31\), the most of 2 qualifying of 3 series/,
  );
  assert.deepEqual(
    choice.rejected.map((r) => [r.seriesInstanceUid, r.reasons.join()]),
    [
      ['1.3', '20 instance(s), fewer than 31'],
      ['1.1', '120 instances, fewer than the chosen series'],
    ],
  );
});

test('derived, non-CT, sagittal and short series are rejected, each with its reason', () => {
  const all = [
    s('2.1', 400, { imageType: ['DERIVED', 'SECONDARY', 'MPR'] }),
    s('2.2', 400, { modality: 'PT' }),
    s('2.3', 400, { orientation: [0, 1, 0, 0, 0, -1] }),
    s('2.4', 30),
  ];
  assert.throws(
    () => selectSeries(all),
    (e: unknown) =>
      e instanceof VolumeError &&
      e.code === 'no-series' &&
      /2\.1: Image Type DERIVED\\SECONDARY\\MPR is not ORIGINAL/.test(e.message) &&
      /2\.2: modality PT, not CT/.test(e.message) &&
      /2\.3: not axial \(slice normal 90\.0 deg/.test(e.message) &&
      /2\.4: 30 instance\(s\), fewer than 31/.test(e.message),
  );
});

test('rules are configurable: derived allowed, fewer slices, an explicit series', () => {
  const all = [s('3.1', 40, { imageType: ['DERIVED'] }), s('3.2', 10)];
  assert.equal(
    selectSeries(all, { ...DEFAULT_SERIES_CRITERIA, requireOriginal: false }).series.seriesInstanceUid,
    '3.1',
  );
  assert.equal(
    selectSeries(all, { ...DEFAULT_SERIES_CRITERIA, minSlices: 1, requireOriginal: false, seriesInstanceUid: '3.2' })
      .series.seriesInstanceUid,
    '3.2',
  );
  assert.throws(
    () => selectSeries(all, { ...DEFAULT_SERIES_CRITERIA, seriesInstanceUid: '9.9' }),
    /requested series 9\.9 is not in the study \(2 series found\)/,
  );
});

test('unknown image type or orientation (a QIDO summary) does not reject; ties go to the lower series number', () => {
  const choice = selectSeries([
    s('4.1', 50, { seriesNumber: 5, imageType: undefined, orientation: undefined }),
    s('4.2', 50, { seriesNumber: 4 }),
  ]);
  assert.equal(choice.series.seriesInstanceUid, '4.2');
  assert.equal(
    selectSeries([s('4.3', 50, { imageType: undefined, orientation: undefined })]).series.seriesInstanceUid,
    '4.3',
  );
});
