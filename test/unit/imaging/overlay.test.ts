import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  axisMap,
  overlayLayout,
  prepareModelInput,
  resample,
  resampleToModelInput,
  streamResampled,
  type Preprocessing,
  type VolumeGeometry,
} from '../../../src/imaging/volume/index.js';
import { allocateResizable, asResizable } from '../../../src/imaging/volume/resizable.js';
import { METHOD } from './method-preprocessing.js';

type Shape = [number, number, number];

/** A noisy volume in a resizable buffer (as SliceStore makes them), with room to grow to `reserve` bytes. */
function volumeOf(
  shape: Shape,
  spacing: Shape,
  seed: number,
  reserve = 1 << 24,
): VolumeGeometry & { data: Int16Array } {
  const length = shape[0] * shape[1] * shape[2];
  const data = new Int16Array(allocateResizable(length * 2, reserve), 0, length);
  let s = seed;
  for (let i = 0; i < length; i++) data[i] = ((s = (s * 1103515245 + 12345) >>> 0) % 3000) - 1500;
  return { data, shape, spacing, origin: [0, 0, 0], direction: { x: [1, 0, 0], y: [0, 1, 0], z: [0, 0, 1] } };
}

const bytesOf = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('streamed slices are the same in descending as in ascending order', () => {
  const v = volumeOf([9, 5, 6], [1.3, 0.7, 0.9], 3);
  const slices = (order: 'ascending' | 'descending'): Map<number, string> => {
    const out = new Map<number, string>();
    streamResampled(
      v,
      [0.8, 0.8, 0.8],
      (k, a, b, wz) => out.set(k, bytesOf(a.map((x, i) => x + (b[i]! - x) * wz)).toString('hex')),
      order,
    );
    return out;
  };
  const up = slices('ascending');
  const down = slices('descending');
  assert.equal(up.size, axisMap(9, 1.3, 0.8).size);
  for (const [k, hex] of up) assert.equal(down.get(k), hex, `slice ${k}`);
});

test('the model input written over the consumed volume equals prepareModelInput(resample(...)), bit for bit', () => {
  // Up- and downsampling in z, padding and cropping on every axis: the overlay must never overwrite an input slice
  // that is still to be read (random voxels make any such overwrite change the result).
  const cases: { shape: Shape; spacing: Shape; target: Shape }[] = [
    { shape: [9, 11, 7], spacing: [1.3, 0.7, 0.9], target: [10, 6, 12] },
    { shape: [9, 11, 7], spacing: [1.3, 0.7, 0.9], target: [20, 11, 3] },
    { shape: [30, 8, 8], spacing: [0.4, 0.8, 0.8], target: [6, 8, 8] },
    { shape: [30, 8, 8], spacing: [0.4, 0.8, 0.8], target: [40, 10, 10] },
    { shape: [12, 16, 16], spacing: [0.8, 0.7, 0.7], target: [14, 12, 12] },
    { shape: [12, 16, 16], spacing: [2.5, 0.7, 0.7], target: [20, 12, 12] },
    { shape: [1, 6, 6], spacing: [1, 0.8, 0.8], target: [3, 6, 6] },
  ];
  let overlaid = 0;
  for (const [i, c] of cases.entries()) {
    for (const padValue of ['min', -2000] as const) {
      const p: Preprocessing = { ...METHOD, shape: c.target, padValue, spacing: [0.8, 0.8, 0.8] };
      const resampled = resample(volumeOf(c.shape, c.spacing, i), p.spacing, { clip: p.clipHU });
      const reference = prepareModelInput(resampled, p);
      const volume = volumeOf(c.shape, c.spacing, i);
      const buffer = volume.data.buffer;
      // keepResampled shows the slices that are cropped away too (they are read last in descending order).
      const { input, resampled: kept } = resampleToModelInput(volume, p, { consume: true, keepResampled: true });
      assert.equal(volume.data.length, 0, 'the consumed volume has no voxels left');
      assert.deepEqual(kept?.data, resampled.data, `case ${i} ${padValue}: resampled`);
      assert.deepEqual(input.offset, reference.offset);
      assert.equal(input.padValueHU, reference.padValueHU);
      assert.ok(bytesOf(input.data).equals(bytesOf(reference.data)), `case ${i} ${padValue}`);
      if (input.data.buffer === buffer) overlaid++;
    }
  }
  assert.equal(overlaid, cases.length * 2, 'every case wrote the model input over its volume');
});

test('a CT-like volume and model input share one buffer of about the larger of the two', () => {
  // 40 slices of 64 x 64 at 0.7 x 0.7 x 1.25 mm to 0.8 mm and a 50 x 52 x 52 input: float32 slices larger than the
  // int16 ones, 62 resampled slices centre-cropped to 50.
  const volume = volumeOf([40, 64, 64], [1.25, 0.7, 0.7], 7);
  const volumeBytes = volume.data.byteLength;
  const buffer = asResizable(volume.data.buffer)!;
  const p: Preprocessing = { ...METHOD, shape: [50, 52, 52] };
  const { input } = resampleToModelInput(volume, p, { consume: true });
  assert.equal(input.data.buffer, buffer);
  const inputBytes = input.data.byteLength;
  assert.ok(inputBytes > volumeBytes);
  assert.equal(buffer.byteLength, input.data.byteOffset + inputBytes, 'nothing kept beyond the model input');
  assert.ok(buffer.byteLength < 0.7 * (volumeBytes + inputBytes), `${buffer.byteLength} bytes`);
});

test('without room to grow, or without consume, the model input is a new array and the volume is untouched', () => {
  const p: Preprocessing = { ...METHOD, shape: [50, 52, 52] };
  const tight = volumeOf([40, 64, 64], [1.25, 0.7, 0.7], 7, 0);
  const expected = resampleToModelInput(volumeOf([40, 64, 64], [1.25, 0.7, 0.7], 7), p).input;
  const first = tight.data.buffer;
  const { input } = resampleToModelInput(tight, p, { consume: true });
  assert.notEqual(input.data.buffer, first);
  assert.ok(bytesOf(input.data).equals(bytesOf(expected.data)));
  const kept = volumeOf([40, 64, 64], [1.25, 0.7, 0.7], 7);
  const copy = kept.data.slice();
  resampleToModelInput(kept, p);
  assert.deepEqual(kept.data, copy);
});

test('layout: ascending from the start when the volume is used up faster than the input grows', () => {
  // 100 thin slices of 10 x 10 int16 to 20 float32 slices of 5 x 5: each output slice (100 bytes) is written over
  // input already read (5 slices of 200 bytes per output slice).
  const taps = axisMap(100, 0.16, 0.8);
  const down = overlayLayout({ slices: 100, sliceBytes: 200, taps, zOffset: 0, outSlices: 20, outSliceBytes: 100 });
  assert.deepEqual(down, { order: 'ascending', offset: 0, bytes: 20_000 });
  // Same slice count, output slices larger than input ones: descending, the input starting at byte 0.
  const same = axisMap(10, 0.8, 0.8);
  const up = overlayLayout({ slices: 10, sliceBytes: 200, taps: same, zOffset: -1, outSlices: 12, outSliceBytes: 400 });
  assert.equal(up.order, 'descending');
  assert.equal(up.bytes, up.offset + 12 * 400);
  assert.ok(up.bytes < 10 * 200 + 12 * 400);
});
