// Regression tests: pixel formats ct-fhir cannot read are PixelDataErrors (so a classify job fails at once with the
// reason instead of being retried): Bits Allocated other than 8, 16 or 32, and samples not in the low bits (High Bit
// other than Bits Stored - 1, which the CT Image module forbids: PS3.3 C.8.2.1.1.4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDicom, PixelDataError, readPixelData } from '../../../src/imaging/dicom/index.js';
import { assembleVolume, VolumeError } from '../../../src/imaging/volume/index.js';
import { classifyError } from '../../../src/pipeline/classify-job.js';
import { PermanentJobError } from '../../../src/jobs/types.js';
import { newUid, writeCtSlice, type WriteElement } from '../../support/dicom-writer.js';

function slice(pixels: Int16Array, extra: WriteElement[]) {
  return parseDicom(
    writeCtSlice({
      rows: 2,
      columns: 2,
      pixels,
      position: [0, 0, 0],
      studyUid: newUid(),
      seriesUid: newUid(),
      instanceNumber: 1,
      extra,
    }),
  );
}

const bits = (allocated: number, stored: number, high: number, signed = 1): WriteElement[] => [
  { tag: 0x00280100, vr: 'US', value: [allocated] },
  { tag: 0x00280101, vr: 'US', value: [stored] },
  { tag: 0x00280102, vr: 'US', value: [high] },
  { tag: 0x00280103, vr: 'US', value: [signed] },
];

test('Bits Allocated 12 is a PixelDataError, an unusable series and a permanent job failure', async () => {
  const ds = slice(new Int16Array(4), bits(12, 12, 11));
  await assert.rejects(
    readPixelData(ds),
    (e: unknown) => e instanceof PixelDataError && /Bits Allocated 12/.test(e.message),
  );
  await assert.rejects(assembleVolume([ds]), (e: unknown) => {
    assert.ok(e instanceof VolumeError, String(e));
    assert.equal(e.code, 'unsupported-pixels');
    assert.ok(classifyError(e) instanceof PermanentJobError);
    return true;
  });
});

test('High Bit 15 with Bits Stored 12 (samples in the top bits) is refused, not misread', async () => {
  const stored = [100, 1024, 2000, 4095];
  const ds = slice(new Int16Array(stored.map((v) => ((v << 4) << 16) >> 16)), bits(16, 12, 15, 0));
  await assert.rejects(
    readPixelData(ds),
    (e: unknown) => e instanceof PixelDataError && /High Bit 15 .*Bits Stored 12/.test(e.message),
  );
});

test('High Bit = Bits Stored - 1 still reads the low bits, sign-extended', async () => {
  const ds = slice(new Int16Array([100, -1024, 2047, -2048]), bits(16, 12, 11, 1));
  assert.deepEqual([...(await readPixelData(ds))], [100, -1024, 2047, -2048]);
});
