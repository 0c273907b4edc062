import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assembleVolume,
  parseInstances,
  parsePreprocessing,
  preprocessVolume,
  VolumeError,
  storeHU,
  type VolumeErrorCode,
} from '../../../src/imaging/volume/index.js';
import { asResizable } from '../../../src/imaging/volume/resizable.js';
import { newUid, writeCtSlice } from '../../support/dicom-writer.js';
import type { DicomDataset } from '../../../src/imaging/dicom/index.js';
import { ctSeries, shuffled } from './series-fixture.js';

async function rejectsWith(
  instances: DicomDataset[],
  code: VolumeErrorCode,
  pattern: RegExp,
  options = {},
): Promise<void> {
  await assert.rejects(assembleVolume(instances, options), (e: unknown) => {
    assert.ok(e instanceof VolumeError, `expected VolumeError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

test('slices arriving shuffled are ordered by position along the normal, spacing from positions', async () => {
  const volume = await assembleVolume(shuffled(ctSeries({ slices: 9, spacing: 2.5 })));
  assert.deepEqual(volume.shape, [9, 4, 3]);
  assert.deepEqual(volume.spacing, [2.5, 0.5, 0.5]);
  assert.deepEqual(volume.origin, [-10, -20, 50]);
  for (let z = 0; z < 9; z++) assert.equal(volume.data[z * 12 + 5], z * 100 + 5, `slice ${z}`);
  assert.deepEqual(volume.direction.z, [0, 0, 1]);
});

test('an async stream with the expected count fills one preallocated array', async () => {
  const instances = shuffled(ctSeries({ slices: 5 }));
  async function* stream(): AsyncGenerator<DicomDataset> {
    for (const ds of instances) yield ds;
  }
  const volume = await assembleVolume(stream(), { expectedSlices: 5 });
  assert.equal(volume.data.length, 5 * 12);
  assert.equal(volume.data.buffer.byteLength, 5 * 12 * 2, 'no spare capacity, no second buffer');
  assert.equal(volume.data[4 * 12], 400);
  // The buffer has room to take a model input larger than the volume over it (overlay.ts).
  const buffer = volume.data.buffer;
  assert.ok(asResizable(buffer));
  const p = parsePreprocessing({
    spacing: [0.5, 0.5, 0.5],
    clipHU: [-1000, 1000],
    inputClipHU: [-1000, 200],
    scale: [0, 1],
    shape: [6, 6, 6],
  });
  const { input } = preprocessVolume(volume, p, { consume: true });
  assert.equal(input.data.buffer, buffer);
  assert.equal(volume.data.length, 0);
});

test('a stream without a count grows past its first capacity and trims to the slices received', async () => {
  const volume = await assembleVolume(ctSeries({ slices: 70, rows: 2, columns: 2 }));
  assert.ok(asResizable(volume.data.buffer), 'grown and trimmed in place');
  assert.equal(volume.data.buffer.byteLength, 70 * 4 * 2);
  assert.equal(volume.shape[0], 70);
  assert.equal(volume.data.length, 70 * 4);
  assert.equal(volume.data[69 * 4 + 3], 6903);
});

test('HU = stored x slope + intercept, rounded half away from zero and clamped to int16', async () => {
  const instances = ctSeries({
    slices: 2,
    value: () => 1000,
    slice: () => ({ rescaleSlope: 0.5, rescaleIntercept: -1024.25 }),
  });
  const volume = await assembleVolume(instances);
  assert.equal(volume.data[0], -524); // 500 - 1024.25 = -524.25
  const dst = new Int16Array(4);
  storeHU(new Uint16Array([65535, 0, 3, 1]), dst, 1, -1.5);
  assert.deepEqual([...dst], [32767, -2, 2, -1]); // 65533.5 clamps; -1.5 -> -2; 1.5 -> 2; -0.5 -> -1
});

test('slices whose normal points down are reordered feet to head; rows reversed in y are flipped to LPS', async () => {
  // Orientation rows +x, columns -y: normal = x cross -y = -z.
  const instances = ctSeries({ slices: 3, slice: () => ({ orientation: [1, 0, 0, 0, -1, 0] }) });
  const volume = await assembleVolume(instances);
  assert.deepEqual(volume.direction.z, [0, 0, 1]);
  assert.deepEqual(volume.direction.y, [0, 1, 0]);
  assert.equal(volume.data[0], 9, 'first voxel is the last row of the slice with the lowest z');
  assert.deepEqual(volume.origin, [-10, -21.5, 50]);
  assert.match(volume.warnings.join(), /flipped y/);
  const raw = await assembleVolume(ctSeries({ slices: 3, slice: () => ({ orientation: [1, 0, 0, 0, -1, 0] }) }), {
    canonical: false,
  });
  assert.equal(raw.data[0], 200, 'without canonical the order follows the normal (highest z first)');
});

test('mixed image sizes are refused', async () => {
  const a = ctSeries({ slices: 3 });
  const b = ctSeries({ slices: 1, rows: 5, slice: () => ({ seriesUid: a[0]!.string('SeriesInstanceUID')! }) });
  await rejectsWith([...a, ...b], 'mixed-sizes', /instance 4: 5x3 pixels but the series started with 4x3/);
});

test('instances of another series are refused', async () => {
  await rejectsWith(
    [...ctSeries({ slices: 2 }), ...ctSeries({ slices: 1 })],
    'mixed-series',
    /instance 3: belongs to series/,
  );
});

test('duplicate positions are refused naming the instances', async () => {
  const instances = ctSeries({ slices: 4, slice: (z) => (z === 2 ? { position: [-10, -20, 52.5] } : {}) });
  await rejectsWith(instances, 'duplicate-position', /instances 2 and 3 share position 52\.500/);
});

test('a gap of whole slices is reported as missing slices', async () => {
  const instances = ctSeries({ slices: 6 }).filter((_, z) => z !== 2 && z !== 3);
  await rejectsWith(instances, 'missing-slices', /2 slice\(s\) missing between 52\.50 and 60\.00 mm/);
});

test('uneven spacing beyond the tolerance is refused; within it the mean spacing is used', async () => {
  const uneven = ctSeries({ slices: 5, slice: (z) => (z === 4 ? { position: [-10, -20, 50 + 3 * 2.5 + 3.6] } : {}) });
  await rejectsWith(uneven, 'uneven-spacing', /gap of 3\.600 mm .* against 2\.500 mm \(tolerance 10%\)/);
  const slight = ctSeries({ slices: 5, slice: (z) => (z === 4 ? { position: [-10, -20, 50 + 3 * 2.5 + 2.6] } : {}) });
  const volume = await assembleVolume(slight);
  assert.ok(Math.abs(volume.spacing[0] - 10.1 / 4) < 1e-9);
  await rejectsWith(
    ctSeries({ slices: 5, slice: (z) => (z === 4 ? { position: [-10, -20, 50 + 3 * 2.5 + 2.6] } : {}) }),
    'uneven-spacing',
    /tolerance 1%/,
    {
      spacingTolerance: 0.01,
    },
  );
});

test('positions drifting in-plane (gantry tilt) and a Gantry/Detector Tilt tag are refused', async () => {
  const drift = ctSeries({ slices: 5, slice: (z) => ({ position: [-10, -20 + z * 0.5, 50 + z * 2.5] }) });
  await rejectsWith(drift, 'gantry-tilt', /stacked 11\.31 deg off their normal/);
  const tagged = ctSeries({ slices: 2, slice: () => ({ extra: [{ tag: 0x00181120, vr: 'DS', value: '15' }] }) });
  await rejectsWith(tagged, 'gantry-tilt', /Gantry\/Detector Tilt \(0018,1120\) is 15 deg/);
});

test('sagittal or oblique slices are refused as non-axial', async () => {
  const sagittal = ctSeries({ slices: 2, slice: () => ({ orientation: [0, 1, 0, 0, 0, -1] }) });
  await rejectsWith(sagittal, 'non-axial', /not axial: normal 90\.0 deg/);
  const c = Math.cos(0.2);
  const s = Math.sin(0.2);
  const oblique = ctSeries({ slices: 2, slice: () => ({ orientation: [1, 0, 0, 0, c, s] }) });
  await rejectsWith(oblique, 'non-axial', /11\.5 deg/);
});

test('an orientation change inside the series is refused', async () => {
  const instances = ctSeries({
    slices: 3,
    slice: (z) => (z === 1 ? { orientation: [1, 0, 0, 0, 0.998, 0.0628] } : {}),
  });
  await rejectsWith(
    instances,
    'inconsistent-orientation',
    /instance 2: Image Orientation \(Patient\) differs by 3\.60 deg/,
  );
});

test('a Rescale Type other than HU is refused; an explicit HU is accepted', async () => {
  await rejectsWith(
    ctSeries({ slices: 2, slice: () => ({ extra: [{ tag: 0x00281054, vr: 'LO', value: 'US' }] }) }),
    'non-hu-rescale',
    /Rescale Type \(0028,1054\) is US, not HU/,
  );
  const ok = await assembleVolume(
    ctSeries({ slices: 2, slice: () => ({ extra: [{ tag: 0x00281054, vr: 'LO', value: 'HU' }] }) }),
  );
  assert.equal(ok.shape[0], 2);
});

test('missing pixel data, a non-CT modality and missing positions are refused', async () => {
  await rejectsWith(
    ctSeries({ slices: 2, slice: (z) => (z === 1 ? { omit: [0x7fe00010] } : {}) }),
    'missing-pixel-data',
    /instance 2: no Pixel Data/,
  );
  await rejectsWith(
    ctSeries({ slices: 2, slice: () => ({ modality: 'MR' }) }),
    'non-ct',
    /Modality \(0008,0060\) is MR, not CT/,
  );
  await rejectsWith(
    ctSeries({ slices: 2, slice: (z) => (z === 1 ? { omit: [0x00200032] } : {}) }),
    'missing-position',
    /Image Position \(Patient\)/,
  );
});

test('non-square pixels are refused (method: square pixels)', async () => {
  await rejectsWith(
    ctSeries({ slices: 2, slice: () => ({ pixelSpacing: [0.5, 0.7] }) }),
    'non-square-pixels',
    /0\.5\\0\.7 is not square/,
  );
});

test('a series over maxVoxels is refused before its array is allocated', async () => {
  // 3,000 slices of 512 x 512 announced by the count: refused at the first instance.
  const one = ctSeries({ slices: 1, rows: 512, columns: 512, value: () => 0 });
  await rejectsWith(one, 'too-large', /3000 slices x 262144 pixels needs 1\.46 GiB, over the limit/, {
    expectedSlices: 3000,
  });
  // Without a count the growing buffer stops at the limit.
  await rejectsWith(ctSeries({ slices: 5 }), 'too-large', /over the limit of 48 voxels/, { maxVoxels: 48 });
});

test('fewer or more instances than expected are refused', async () => {
  await rejectsWith(ctSeries({ slices: 3 }), 'instance-count', /3 instances arrived, 4 expected/, {
    expectedSlices: 4,
  });
  await rejectsWith(ctSeries({ slices: 3 }), 'instance-count', /more instances than the 2 expected/, {
    expectedSlices: 2,
  });
});

test('an empty input and an undecodable frame are clear errors', async () => {
  await rejectsWith([], 'no-series', /no instances/);
  const broken = ctSeries({ slices: 2, rows: 4, columns: 4 });
  broken[1]!.elements.get(0x7fe00010)!.value = new Uint8Array(10);
  await rejectsWith(
    broken,
    'unsupported-pixels',
    /instance 2: native Pixel Data has 10 bytes, expected 32 for 1 frame\(s\) \(PS3\.5 section 8\.1\.1\)/,
  );
});

test('parseInstances feeds Part 10 bytes (a WADO-RS stream) into assembly; a truncated part names its index and offset', async () => {
  const studyUid = newUid();
  const seriesUid = newUid();
  const part = (z: number): Uint8Array =>
    writeCtSlice({
      rows: 2,
      columns: 2,
      pixels: new Int16Array([z, z, z, z]),
      position: [0, 0, 3 - z],
      studyUid,
      seriesUid,
      instanceNumber: z + 1,
    });
  async function* stream(parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
    for (const p of parts) yield p;
  }
  const volume = await assembleVolume(parseInstances(stream([part(0), part(1), part(2)])), { expectedSlices: 3 });
  assert.deepEqual([...volume.data.subarray(0, 4)], [2, 2, 2, 2], 'lowest z first');
  const cut = part(1).subarray(0, 300);
  await assert.rejects(
    assembleVolume(parseInstances(stream([part(0), cut]))),
    (e: unknown) =>
      e instanceof VolumeError &&
      e.code === 'unreadable' &&
      /^instance 2: truncated DICOM: .* at offset \d+ .*PS3\.5 section 7\.1/.test(e.message),
  );
});
