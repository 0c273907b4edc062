// Pixel Padding Value (0028,0120) and Pixel Padding Range Limit (0028,0121), PS3.3 C.7.5.1.1.2: padding pixels are
// not tissue; the assembled volume holds them as air, so resampling does not blend -2000 or -3024 HU into the edge
// of the field of view.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pixelPadding } from '../../../src/imaging/dicom/index.js';
import { assembleVolume, resample } from '../../../src/imaging/volume/index.js';
import type { WriteElement } from '../../support/dicom-writer.js';
import { ctSeries } from './series-fixture.js';

const TISSUE = 1064; // stored; 40 HU with intercept -1024
const PAD = { tag: 0x00280120, vr: 'SS', value: [-2000] } satisfies WriteElement;

/** Two slices of one row: `values` stored per column, intercept -1024, with the given extra elements. */
function series(values: number[], extra: WriteElement[]) {
  return ctSeries({
    slices: 2,
    rows: 1,
    columns: values.length,
    value: (_z, i) => values[i]!,
    slice: () => ({ rescaleIntercept: -1024, extra }),
  });
}

test('padding pixels become air (-1000 HU), not -3024 HU, and the volume says so', async () => {
  const volume = await assembleVolume(series([TISSUE, TISSUE, -2000, -2000], [PAD]));
  assert.deepEqual(Array.from(volume.data.subarray(0, 4)), [40, 40, -1000, -1000]);
  assert.ok(volume.warnings.includes('4 padding pixel(s) (Pixel Padding Value) set to -1000 HU (air)'));
});

test('resampling blends the edge of the field of view with air, not with the padding value', async () => {
  const volume = await assembleVolume(series([TISSUE, TISSUE, -2000, -2000], [PAD]));
  // Pixel spacing 0.5 mm to 0.25 mm: sample 3 lies halfway between the last tissue pixel and the first padding one.
  const r = resample(volume, [volume.spacing[0], volume.spacing[1], 0.25], { clip: [-1000, 1000] });
  assert.deepEqual(Array.from(r.data.subarray(0, r.shape[2])), [40, 40, 40, -480, -1000, -1000, -1000]);
  const unclipped = resample(volume, [volume.spacing[0], volume.spacing[1], 0.25], { output: 'float32' });
  assert.ok(Math.min(...unclipped.data) >= -1000, 'no value below air');
});

test('Pixel Padding Range Limit pads the inclusive range, either end the higher', async () => {
  const limit = { tag: 0x00280121, vr: 'SS', value: [-1500] } satisfies WriteElement;
  const values = [TISSUE, -1499, -1500, -1800, -2000, -2001];
  const volume = await assembleVolume(
    series(values, [
      { ...PAD, value: [-1500] },
      { ...limit, value: [-2000] },
    ]),
  );
  assert.deepEqual(Array.from(volume.data.subarray(0, values.length)), [40, -2523, -1000, -1000, -1000, -3025]);
});

test('a padding value written as US for signed pixels is read as the signed sample', async () => {
  const ds = series([TISSUE, -2000], [{ tag: 0x00280120, vr: 'US', value: [63536] }]);
  assert.deepEqual(pixelPadding(ds[0]!), [-2000, -2000]);
  const volume = await assembleVolume(ds);
  assert.deepEqual(Array.from(volume.data.subarray(0, 2)), [40, -1000]);
});

test('12-bit unsigned pixels whose padding has the high bits set (0xF830) are padding, not bone', async () => {
  const twelveBits: WriteElement[] = [
    { tag: 0x00280101, vr: 'US', value: [12] },
    { tag: 0x00280102, vr: 'US', value: [11] },
    { tag: 0x00280103, vr: 'US', value: [0] },
    { tag: 0x00280120, vr: 'US', value: [0xf830] },
  ];
  // 0xF830 as a signed 16-bit stored word is -2000; Bits Stored 12 keeps 0x830 = 2096 (1072 HU) of it.
  const volume = await assembleVolume(series([TISSUE, -2000], twelveBits));
  assert.deepEqual(Array.from(volume.data.subarray(0, 2)), [40, -1000]);
});

test('a series without Pixel Padding Value keeps every stored value', async () => {
  const volume = await assembleVolume(series([TISSUE, -2000], []));
  assert.deepEqual(Array.from(volume.data.subarray(0, 2)), [40, -3024]);
  assert.ok(!volume.warnings.some((w) => w.includes('padding')));
});
