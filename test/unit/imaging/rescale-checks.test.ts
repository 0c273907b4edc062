// A Modality LUT (PS3.3 C.11.1) that cannot give HU: a Rescale Slope or Intercept that is present but not a number,
// or a slope of 0, is refused instead of assembling a volume of shifted or constant HU.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VolumeError, assembleVolume } from '../../../src/imaging/volume/index.js';
import type { CtSliceSpec } from '../../support/dicom-writer.js';
import { ctSeries } from './series-fixture.js';

function series(slice: Partial<CtSliceSpec>) {
  return ctSeries({ slices: 2, rows: 1, columns: 2, value: () => 1064, slice: () => slice });
}

test('a Rescale Intercept that is not a number is refused, not taken as 0', async () => {
  const ds = series({ rescaleSlope: 1, extra: [{ tag: 0x00281052, vr: 'DS', value: 'n/a' }] });
  await assert.rejects(
    assembleVolume(ds),
    (e: unknown) =>
      e instanceof VolumeError &&
      e.code === 'non-hu-rescale' &&
      e.message === 'instance 1: (0028,1052) RescaleIntercept "n/a" is not a number (PS3.3 C.11.1)',
  );
});

test('a Rescale Slope that is not a number is refused', async () => {
  const ds = series({ extra: [{ tag: 0x00281053, vr: 'DS', value: 'abc' }] });
  await assert.rejects(assembleVolume(ds), (e: unknown) => e instanceof VolumeError && e.code === 'non-hu-rescale');
});

test('a Rescale Slope of 0 is refused', async () => {
  await assert.rejects(
    assembleVolume(series({ rescaleSlope: 0, rescaleIntercept: -1024 })),
    (e: unknown) => e instanceof VolumeError && e.code === 'non-hu-rescale' && /is 0/.test(e.message),
  );
});

test('slices with different slopes and intercepts each get their own Modality LUT', async () => {
  const ds = ctSeries({
    slices: 3,
    rows: 1,
    columns: 2,
    value: (z) => [1064, 2128, 40][z]!,
    slice: (z) => ({ rescaleSlope: [1, 0.5, 1][z], rescaleIntercept: [-1024, -1024, 0][z] }),
  });
  const volume = await assembleVolume(ds);
  assert.deepEqual(Array.from(volume.data), [40, 40, 40, 40, 40, 40]);
});
