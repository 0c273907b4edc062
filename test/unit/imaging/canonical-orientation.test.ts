// Regression test: in-plane axes swapped by Image Orientation (Patient) (rows running front to back, e.g.
// 0\1\0\-1\0\0 from a decubitus or rotated acquisition) are transposed, not only flipped, so the canonical volume's
// x runs along +L and y along +P (LPS, PS3.3 C.7.6.2.1.1) whatever the acquisition's orientation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assembleVolume } from '../../../src/imaging/volume/index.js';
import { ctSeries } from './series-fixture.js';

// One object on a 3 (left-right) x 4 (front-back) grid of 0.5 mm pixels from (-10, -20): the value names the voxel,
// z * 100 + (P index) * 10 + (L index); L index 2 is the patient's leftmost column.
const L = 3;
const P = 4;
const S = 0.5;
const value = (z: number, l: number, p: number): number => z * 100 + p * 10 + l;

test('a transposed orientation (rows along +P, columns along -L) gives the same LPS volume as a plain axial one', async () => {
  const plain = await assembleVolume(
    ctSeries({ slices: 3, rows: P, columns: L, value: (z, i) => value(z, i % L, Math.floor(i / L)) }),
  );
  assert.deepEqual(plain.direction, { x: [1, 0, 0], y: [0, 1, 0], z: [0, 0, 1] });

  // Rows run along +P (first cosine), columns along -L: pixel (r, c) is L index 2 - r, P index c.
  const decubitus = ctSeries({
    slices: 3,
    rows: L,
    columns: P,
    value: (z, i) => value(z, L - 1 - Math.floor(i / P), i % P),
    slice: (z) => ({ orientation: [0, 1, 0, -1, 0, 0], position: [-10 + (L - 1) * S, -20, 50 + z * 2.5] }),
  });
  const volume = await assembleVolume(decubitus);
  assert.deepEqual(volume.direction, plain.direction);
  assert.deepEqual(volume.shape, plain.shape);
  assert.deepEqual(volume.spacing, plain.spacing);
  assert.deepEqual(volume.origin, plain.origin);
  assert.deepEqual([...volume.data], [...plain.data]);
  // The patient's left (L index 2) is at the high-x side, front (P index 0) at y = 0.
  assert.equal(volume.data[L - 1]! % 10, L - 1, 'leftmost voxel of row 0 at x = columns - 1');
  assert.match(volume.warnings.join(), /transposed/);
});

test('rows along -P and columns along +L are transposed and flipped into the same LPS volume', async () => {
  const plain = await assembleVolume(
    ctSeries({ slices: 2, rows: P, columns: L, value: (z, i) => value(z, i % L, Math.floor(i / L)) }),
  );
  // Pixel (r, c) is L index r, P index 3 - c; pixel (0, 0) lies at the back.
  const rotated = ctSeries({
    slices: 2,
    rows: L,
    columns: P,
    value: (z, i) => value(z, Math.floor(i / P), P - 1 - (i % P)),
    slice: (z) => ({ orientation: [0, -1, 0, 1, 0, 0], position: [-10, -20 + (P - 1) * S, 50 + z * 2.5] }),
  });
  const volume = await assembleVolume(rotated);
  assert.deepEqual(volume.direction, plain.direction);
  assert.deepEqual(volume.shape, plain.shape);
  assert.deepEqual(volume.origin, plain.origin);
  assert.deepEqual([...volume.data], [...plain.data]);
});

test('voxel centres map back to where the scanner put each pixel (left finding stays left)', async () => {
  // A bright "finding" in the patient's left (+L) and front half, scanned in the decubitus orientation.
  const finding: [number, number] = [2, 1]; // L index, P index
  const decubitus = ctSeries({
    slices: 2,
    rows: L,
    columns: P,
    value: (_z, i) => {
      const [l, p] = [L - 1 - Math.floor(i / P), i % P];
      return l === finding[0] && p === finding[1] ? 1000 : 0;
    },
    slice: (z) => ({ orientation: [0, 1, 0, -1, 0, 0], position: [-10 + (L - 1) * S, -20, 50 + z * 2.5] }),
  });
  const v = await assembleVolume(decubitus);
  const [, rows, columns] = v.shape;
  const at = v.data.subarray(0, rows * columns).indexOf(1000);
  const [y, x] = [Math.floor(at / columns), at % columns];
  const patient = [0, 1, 2].map(
    (k) => v.origin[k]! + v.direction.x[k]! * x * v.spacing[2] + v.direction.y[k]! * y * v.spacing[1],
  );
  assert.deepEqual(patient.slice(0, 2), [-10 + finding[0] * S, -20 + finding[1] * S]);
  assert.ok(x > (columns - 1) / 2, `left finding at x ${x} of ${columns}: on the +L side`);
});
