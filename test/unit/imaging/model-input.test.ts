import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  prepareModelInput,
  valueTable,
  preprocessVolume,
  parsePreprocessing,
  resample,
  resampleToModelInput,
  type Preprocessing,
} from '../../../src/imaging/volume/index.js';
import { METHOD } from './method-preprocessing.js';

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

test('value table: clip to [-1000, 200], scale to [0, 1], subtract 0.449', () => {
  const lut = valueTable(METHOD);
  const at = (hu: number): number => lut[hu + 32768]!;
  assert.ok(close(at(-1000), -0.449));
  assert.ok(close(at(-2000), -0.449));
  assert.ok(close(at(200), 0.551));
  assert.ok(close(at(1000), 0.551));
  assert.ok(close(at(-400), 0.5 - 0.449));
});

test('a small volume is padded centred with its minimum; a large one is centre-cropped', () => {
  // 2 x 2 x 2 volume, values -500..200: padded to 4^3, offsets -1 per axis
  const data = new Int16Array([-500, -400, -300, -200, -100, 0, 100, 200]);
  const input = prepareModelInput({ data, shape: [2, 2, 2] }, METHOD);
  assert.deepEqual(input.offset, [-1, -1, -1]);
  assert.equal(input.padValueHU, -500);
  const lut = valueTable(METHOD);
  const v = (z: number, y: number, x: number): number => input.data[(z * 4 + y) * 4 + x]!;
  assert.ok(close(v(0, 0, 0), lut[-500 + 32768]!), 'pad = transformed minimum');
  assert.ok(close(v(1, 1, 1), lut[-500 + 32768]!));
  assert.ok(close(v(2, 2, 2), lut[200 + 32768]!));
  assert.ok(close(v(3, 3, 3), lut[-500 + 32768]!));
  // 6 x 6 x 6 cropped to 4: offset 1
  const big = new Int16Array(216).map((_, i) => i - 1000);
  const cropped = prepareModelInput({ data: big, shape: [6, 6, 6] }, { ...METHOD, padValue: -1000 });
  assert.deepEqual(cropped.offset, [1, 1, 1]);
  assert.ok(close(cropped.data[0]!, lut[1 * 36 + 1 * 6 + 1 - 1000 + 32768]!));
});

test('odd size differences put the extra pad after and crop the extra before (floor of the half)', () => {
  const input = prepareModelInput(
    { data: new Int16Array(3).fill(100), shape: [1, 1, 3] },
    { ...METHOD, shape: [1, 1, 6], padValue: -1000 },
  );
  assert.deepEqual(input.offset, [0, 0, -1]);
  const lut = valueTable(METHOD);
  assert.deepEqual(
    [...input.data].map((x) => Number(x.toFixed(4))),
    [
      lut[-1000 + 32768]!,
      lut[100 + 32768]!,
      lut[100 + 32768]!,
      lut[100 + 32768]!,
      lut[-1000 + 32768]!,
      lut[-1000 + 32768]!,
    ].map((x) => Number(x.toFixed(4))),
  );
  const crop = prepareModelInput(
    { data: new Int16Array([1, 2, 3, 4, 5]), shape: [1, 1, 5] },
    { ...METHOD, shape: [1, 1, 2], padValue: 0, inputClipHU: [0, 10], scale: [0, 10], centre: 0 },
  );
  assert.deepEqual([...crop.data], [2, 3]);
});

test('preprocessVolume resamples with the storage clip then builds the input of the manifest shape', () => {
  const data = new Int16Array(2 * 3 * 3).fill(-3000);
  data[9 + 4] = 1500;
  const { resampled, input } = preprocessVolume(
    {
      data,
      shape: [2, 3, 3],
      spacing: [1.6, 0.8, 0.8],
      origin: [0, 0, 0],
      direction: { x: [1, 0, 0], y: [0, 1, 0], z: [0, 0, 1] },
    },
    METHOD,
    { keepResampled: true },
  );
  assert.ok(resampled);
  assert.deepEqual(resampled.shape, [3, 3, 3]);
  assert.equal(resampled.data[0], -1000, 'storage clip');
  assert.equal(resampled.data[18 + 4], 1000);
  assert.equal(
    resampled.data[9 + 4],
    -750,
    'interpolated from raw HU (-3000, 1500) first, clipped after (method order)',
  );
  assert.deepEqual(input.shape, [4, 4, 4]);
});

test('parsePreprocessing accepts the method section and rejects bad fields with the field name', () => {
  assert.deepEqual(parsePreprocessing({ ...METHOD, shape: [402, 420, 420] }).shape, [402, 420, 420]);
  assert.equal(parsePreprocessing({ ...METHOD, padValue: undefined }).padValue, 'min');
  assert.throws(() => parsePreprocessing(null), /preprocessing must be an object/);
  assert.throws(
    () => parsePreprocessing({ ...METHOD, spacing: [0.8, 0.8] }),
    /preprocessing\.spacing must be 3 positive numbers/,
  );
  assert.throws(() => parsePreprocessing({ ...METHOD, spacing: [0.8, 0, 0.8] }), /spacing/);
  assert.throws(
    () => parsePreprocessing({ ...METHOD, shape: [402, 420.5, 420] }),
    /preprocessing\.shape must be 3 positive integers/,
  );
  assert.throws(() => parsePreprocessing({ ...METHOD, clipHU: [1000, -1000] }), /clipHU must have low < high/);
  assert.throws(() => parsePreprocessing({ ...METHOD, inputClipHU: 'x' }), /inputClipHU/);
  assert.throws(() => parsePreprocessing({ ...METHOD, centre: '0.4' }), /centre must be a number/);
  assert.throws(() => parsePreprocessing({ ...METHOD, padValue: 'max' }), /padValue must be "min" or a number/);
});

test('the streamed resample-to-input pass gives exactly prepareModelInput(resample(...)) when padding and cropping', () => {
  let seed = 9;
  const data = new Int16Array(9 * 11 * 7).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) % 3000) - 1500);
  const volume = {
    data,
    shape: [9, 11, 7] as [number, number, number],
    spacing: [1.3, 0.7, 0.9] as [number, number, number],
    origin: [0, 0, 0] as [number, number, number],
    direction: {
      x: [1, 0, 0] as [number, number, number],
      y: [0, 1, 0] as [number, number, number],
      z: [0, 0, 1] as [number, number, number],
    },
  };
  for (const shape of [
    [10, 6, 12],
    [20, 11, 3],
    [4, 4, 4],
  ] as [number, number, number][]) {
    for (const padValue of ['min', -2000] as const) {
      const p: Preprocessing = { ...METHOD, shape, padValue };
      const reference = prepareModelInput(resample(volume, p.spacing, { clip: p.clipHU }), p);
      const streamed = resampleToModelInput(volume, p);
      assert.deepEqual(streamed.input.offset, reference.offset);
      assert.equal(streamed.input.padValueHU, reference.padValueHU);
      assert.ok(
        Buffer.from(streamed.input.data.buffer).equals(Buffer.from(reference.data.buffer)),
        `${shape} ${padValue}`,
      );
      assert.equal(streamed.resampled, undefined, 'the resampled volume is not kept by default');
    }
  }
});
