// Regression test: decoding JPEG 2000 writes nothing to stdout. OpenJPEG's Emscripten build prints [INFO] lines per
// frame through console.log by default, which corrupted `ct-fhir inspect --json` (stdout) output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parseDicom, readPixelData } from '../../../src/imaging/dicom/index.js';
import { newUid, writeCtSlice } from '../../support/dicom-writer.js';

interface J2KEncoder {
  getDecodedBuffer(info: object): Uint8Array;
  getEncodedBuffer(): Uint8Array;
  setQuality(lossless: boolean, quality: number): void;
  encode(): void;
  delete(): void;
}

/** A lossless JPEG 2000 frame of the pixels, from OpenJPEG's encoder build (quiet, so only the decoder is tested). */
async function encodeJ2k(pixels: Int16Array, width: number, height: number): Promise<Uint8Array> {
  const require = createRequire(import.meta.url);
  const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (
    o: object,
  ) => Promise<{ J2KEncoder: new () => J2KEncoder }>;
  const openjpeg = await factory({ print: () => undefined, printErr: () => undefined });
  const encoder = new openjpeg.J2KEncoder();
  const info = { width, height, bitsPerSample: 16, componentCount: 1, isSigned: true, isUsingColorTransform: false };
  encoder.getDecodedBuffer(info).set(new Uint8Array(pixels.buffer));
  encoder.setQuality(true, 0);
  encoder.encode();
  const frame = encoder.getEncodedBuffer().slice();
  encoder.delete();
  return frame;
}

test('JPEG 2000 frames decode without a line on stdout', async () => {
  const pixels = new Int16Array(32 * 32).map((_, i) => -1000 + (i % 1200));
  const ds = parseDicom(
    writeCtSlice({
      rows: 32,
      columns: 32,
      pixels,
      position: [0, 0, 0],
      studyUid: newUid(),
      seriesUid: newUid(),
      instanceNumber: 1,
      encapsulated: { transferSyntaxUid: '1.2.840.10008.1.2.4.90', frames: [await encodeJ2k(pixels, 32, 32)] },
    }),
  );
  const written: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let decoded;
  try {
    decoded = await readPixelData(ds);
    await readPixelData(ds);
  } finally {
    process.stdout.write = write;
  }
  assert.deepEqual([...decoded], [...pixels]);
  assert.deepEqual(written, []);
});
