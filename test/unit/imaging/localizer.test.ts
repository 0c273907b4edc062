// Regression test: a localizer (scout) filed inside the axial series (Image Type value 3 LOCALIZER, PS3.3
// C.8.2.1.1.1) is skipped with a warning, wherever it arrives, instead of failing the series as non-axial or as an
// orientation change; the expected instance count is lowered by the localizers skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDicom } from '../../../src/imaging/dicom/index.js';
import {
  assembleVolume,
  selectSeries,
  seriesProblems,
  DEFAULT_SERIES_CRITERIA,
  VolumeError,
} from '../../../src/imaging/volume/index.js';
import { writeCtSlice } from '../../support/dicom-writer.js';
import { ctSeries } from './series-fixture.js';

function withLocalizer(slices: number, at: number) {
  const series = ctSeries({ slices });
  const first = series[0]!;
  const scout = parseDicom(
    writeCtSlice({
      rows: 4,
      columns: 3,
      pixels: new Int16Array(12),
      pixelSpacing: [0.5, 0.5], // like the slices: only the orientation tells it apart
      position: [-10, 0, 100],
      orientation: [1, 0, 0, 0, 0, -1], // coronal
      imageType: 'ORIGINAL\\PRIMARY\\LOCALIZER',
      studyUid: first.string('StudyInstanceUID')!,
      seriesUid: first.string('SeriesInstanceUID')!,
      instanceNumber: 999,
    }),
  );
  return [...series.slice(0, at), scout, ...series.slice(at)];
}

test('a localizer first in the series is skipped; the volume is the axial slices', async () => {
  const volume = await assembleVolume(withLocalizer(40, 0), { expectedSlices: 41 });
  assert.deepEqual(volume.shape, [40, 4, 3]);
  assert.equal(volume.data[39 * 12], 3900);
  assert.match(volume.warnings.join(), /skipped 1 localizer/);
});

test('a localizer in the middle of the series is skipped, not an orientation change', async () => {
  const volume = await assembleVolume(withLocalizer(40, 20), { expectedSlices: 41 });
  assert.deepEqual(volume.shape, [40, 4, 3]);
  assert.deepEqual(volume.direction.z, [0, 0, 1]);
});

test('a missing axial slice is still counted when a localizer was skipped', async () => {
  await assert.rejects(
    assembleVolume(withLocalizer(10, 3), { expectedSlices: 12 }),
    (e: unknown) =>
      e instanceof VolumeError && e.code === 'instance-count' && /10 instances arrived, 11 expected/.test(e.message),
  );
});

test('a series of localizers only is no volume', async () => {
  await assert.rejects(
    assembleVolume(withLocalizer(1, 0).slice(0, 1)),
    (e: unknown) => e instanceof VolumeError && e.code === 'no-series',
  );
  const scout = {
    seriesInstanceUid: '1.2',
    modality: 'CT',
    imageType: ['ORIGINAL', 'PRIMARY', 'LOCALIZER'],
    instanceCount: 40,
  };
  assert.match(seriesProblems(scout, DEFAULT_SERIES_CRITERIA).join(), /localizer/);
  assert.throws(() => selectSeries([scout]), /localizer/);
});
