import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resample, axisMap } from '../../../src/imaging/volume/index.js';
import type { VolumeGeometry } from '../../../src/imaging/volume/index.js';

function volume(
  shape: [number, number, number],
  spacing: [number, number, number],
  f: (z: number, y: number, x: number) => number,
) {
  const [nz, ny, nx] = shape;
  const data = new Int16Array(nz * ny * nx);
  for (let z = 0; z < nz; z++)
    for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[(z * ny + y) * nx + x] = f(z, y, x);
  const geometry: VolumeGeometry = {
    shape,
    spacing,
    origin: [0, 0, 0],
    direction: { x: [1, 0, 0], y: [0, 1, 0], z: [0, 0, 1] },
  };
  return { ...geometry, data };
}

/** Direct trilinear interpolation at one output voxel (the reference for the separable, cached implementation). */
function naive(
  v: ReturnType<typeof volume>,
  target: [number, number, number],
  k: number,
  j: number,
  i: number,
): number {
  const [nz, ny, nx] = v.shape;
  const at = (n: number, s: number, t: number, q: number): [number, number, number] => {
    const u = Math.min((q * t) / s, n - 1);
    const a = Math.floor(u);
    return [a, Math.min(a + 1, n - 1), u - a];
  };
  const [z0, z1, wz] = at(nz, v.spacing[0], target[0], k);
  const [y0, y1, wy] = at(ny, v.spacing[1], target[1], j);
  const [x0, x1, wx] = at(nx, v.spacing[2], target[2], i);
  const g = (z: number, y: number, x: number): number => v.data[(z * ny + y) * nx + x]!;
  const lerp = (a: number, b: number, w: number): number => a + (b - a) * w;
  const plane = (z: number): number =>
    lerp(lerp(g(z, y0, x0), g(z, y0, x1), wx), lerp(g(z, y1, x0), g(z, y1, x1), wx), wy);
  return lerp(plane(z0), plane(z1), wz);
}

test('output length keeps the physical extent: 400 slices at 1.25 mm -> 624 at 0.8 mm', () => {
  assert.equal(axisMap(400, 1.25, 0.8).size, 624);
  assert.equal(axisMap(512, 0.7, 0.8).size, 448);
  assert.equal(axisMap(1, 1, 0.8).size, 1);
});

test('a linear ramp is reproduced exactly at the new sample positions (trilinear is exact on linear data)', () => {
  const v = volume([7, 9, 11], [2, 0.7, 0.6], (z, y, x) => 40 * z + 7 * y - 3 * x);
  const target: [number, number, number] = [0.8, 0.8, 0.8];
  const r = resample(v, target, { output: 'float32' });
  const [nz, ny, nx] = r.shape;
  assert.deepEqual(r.shape, [16, 8, 8]); // 6*2/0.8+1, 8*0.7/0.8+1, 10*0.6/0.8+1 (floored)
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const expected = 40 * ((k * 0.8) / 2) + 7 * ((j * 0.8) / 0.7) - 3 * ((i * 0.8) / 0.6);
        assert.ok(Math.abs(r.data[(k * ny + j) * nx + i]! - expected) < 1e-3, `(${k},${j},${i})`);
      }
  assert.deepEqual(r.spacing, target);
});

test('the separable streamed result equals direct trilinear interpolation, upsampling and downsampling z', () => {
  let s = 3;
  const noise = (): number => ((s = (s * 1103515245 + 12345) >>> 0) % 2001) - 1000;
  const v = volume([13, 6, 5], [1.5, 0.9, 0.9], () => noise());
  for (const target of [
    [0.8, 0.8, 0.8],
    [3.7, 0.5, 1.3],
  ] as [number, number, number][]) {
    const r = resample(v, target, { output: 'float32' });
    const [nz, ny, nx] = r.shape;
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const want = naive(v, target, k, j, i);
          assert.ok(
            Math.abs(r.data[(k * ny + j) * nx + i]! - want) < 1e-2,
            `${target} (${k},${j},${i}) ${r.data[(k * ny + j) * nx + i]} vs ${want}`,
          );
        }
  }
});

test('int16 output rounds half away from zero and applies the clip', () => {
  const v = volume([2, 1, 2], [1, 1, 1], (z, _y, x) => (z === 0 ? [-3, 3][x]! : [-2000, 2000][x]!));
  const half = resample(v, [0.5, 1, 0.5], { clip: [-1000, 1000] });
  assert.deepEqual(half.shape, [3, 1, 3]);
  // z=0 row: -3, 0, 3; z=0.5 row: (-3-2000)/2 = -1001.5 -> clip -1000, 0, 1000
  assert.deepEqual([...half.data.subarray(0, 6)], [-3, 0, 3, -1000, 0, 1000]);
  const rounding = resample(
    volume([1, 1, 2], [1, 1, 1], (_z, _y, x) => [0, 3][x]!),
    [1, 1, 0.5],
  );
  assert.deepEqual([...rounding.data], [0, 2, 3]); // 1.5 -> 2
  const negative = resample(
    volume([1, 1, 2], [1, 1, 1], (_z, _y, x) => [0, -3][x]!),
    [1, 1, 0.5],
  );
  assert.deepEqual([...negative.data], [0, -2, -3]); // -1.5 -> -2
});

test('same spacing returns the same voxels', () => {
  const v = volume([3, 4, 5], [1.25, 0.8, 0.8], (z, y, x) => z * 100 + y * 10 + x - 500);
  const r = resample(v, [1.25, 0.8, 0.8]);
  assert.deepEqual([...r.data], [...v.data]);
});
