// Real scanner files from ../shared/data/dicom (pydicom test data; never copied into the repository). Each test
// skips with a message where the folder is absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, copyFileSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDicom, readPixelData } from '../../../src/imaging/dicom/index.js';
import { loadVolumeFromFolder, huRange, VolumeError } from '../../../src/imaging/volume/index.js';

const DATA = resolve(process.env.CT_FHIR_SHARED_DATA ?? '../shared/data', 'dicom');
const CT_SMALL = join(DATA, 'ct-small', 'CT_small.dcm');
const HEAD = join(DATA, 'head-ct-4slice');
const skipSmall = existsSync(CT_SMALL) ? false : `${CT_SMALL} is absent (third-party data beside the repository)`;
const skipHead = existsSync(HEAD) ? false : `${HEAD} is absent (third-party data beside the repository)`;
const DCMTK = spawnSync('dcmdump', ['-h'], { stdio: 'ignore' }).error === undefined;

test(
  'CT_small.dcm: 128 x 128 explicit VR little endian, intercept -1024, pixels equal to dcmtk extraction',
  { skip: skipSmall },
  async () => {
    const ds = parseDicom(readFileSync(CT_SMALL));
    assert.equal(ds.transferSyntaxUid, '1.2.840.10008.1.2.1');
    assert.equal(ds.number('Rows'), 128);
    assert.equal(ds.number('Columns'), 128);
    assert.equal(ds.number('RescaleIntercept'), -1024);
    assert.deepEqual(ds.numbers('PixelSpacing'), [0.661468, 0.661468]);
    const px = await readPixelData(ds);
    assert.ok(px instanceof Int16Array);
    assert.equal(px.length, 128 * 128);
    if (DCMTK) {
      const dir = mkdtempSync(join(tmpdir(), 'ctfhir-real-'));
      try {
        spawnSync('dcmdump', ['+W', dir, CT_SMALL], { stdio: 'ignore' });
        const raw = readdirSync(dir).find((f) => f.endsWith('.raw'))!;
        const reference = new Int16Array(new Uint8Array(readFileSync(join(dir, raw))).buffer);
        assert.deepEqual([...px], [...reference]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  },
);

test('CT_small.dcm as a one-slice volume: HU range and geometry', { skip: skipSmall }, async () => {
  const { volume, choice } = await loadVolumeFromFolder(join(DATA, 'ct-small'), { criteria: { minSlices: 1 } });
  assert.deepEqual(volume.shape, [1, 128, 128]);
  assert.deepEqual(volume.spacing, [5, 0.661468, 0.661468]);
  assert.deepEqual(huRange(volume.data), { min: -896, max: 1167, mean: huRange(volume.data).mean });
  assert.match(choice.reason, /CT, ORIGINAL, axial, 1 instances/);
  assert.match(volume.warnings.join(), /single slice: slice spacing 5 mm from the header/);
});

test('head series: the four files have a 202.5 mm gap, refused as missing slices', { skip: skipHead }, async () => {
  await assert.rejects(
    loadVolumeFromFolder(HEAD, { criteria: { minSlices: 1 } }),
    (e: unknown) =>
      e instanceof VolumeError &&
      e.code === 'missing-slices' &&
      /161 slice\(s\) missing between -99\.48 and 103\.02 mm/.test(e.message),
  );
});

test(
  'head series: the three contiguous slices are ordered by position with 1.25 mm spacing',
  { skip: skipHead },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ctfhir-head-'));
    try {
      // Copied under names that sort against their positions, so order must come from Image Position (Patient).
      ['17196.dcm', '17166.dcm', '17136.dcm'].forEach((f, i) => copyFileSync(join(HEAD, f), join(dir, `${i}.dcm`)));
      const { volume } = await loadVolumeFromFolder(dir, { criteria: { minSlices: 1 } });
      assert.deepEqual(volume.shape, [3, 16, 16]);
      assert.ok(Math.abs(volume.spacing[0] - 1.25) < 1e-4);
      assert.deepEqual(volume.origin, [-125, -128.100006, 103.019997]);
      const byFile = await Promise.all(
        ['17136.dcm', '17166.dcm', '17196.dcm'].map(async (f) => {
          const ds = parseDicom(readFileSync(join(HEAD, f)));
          return (
            (await readPixelData(ds))[0]! * (ds.number('RescaleSlope') ?? 1) + (ds.number('RescaleIntercept') ?? 0)
          );
        }),
      );
      assert.deepEqual([volume.data[0], volume.data[256], volume.data[512]], byFile);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
