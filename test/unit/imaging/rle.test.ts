import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../../src/imaging/dicom/decoders/rle.js';
import type { FrameInfo } from '../../../src/imaging/dicom/index.js';

const info = (rows: number, columns: number, bits = 16, signed = 1): FrameInfo => ({
  rows,
  columns,
  samplesPerPixel: 1,
  bitsAllocated: bits,
  bitsStored: bits,
  pixelRepresentation: signed,
  planarConfiguration: 0,
  littleEndian: true,
  transferSyntaxUid: '1.2.840.10008.1.2.5',
});

/** An RLE frame from raw PackBits segments (PS3.5 G.5 header: count + offsets). */
function frame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((s, i) => {
    dv.setUint32(4 + 4 * i, offset, true);
    offset += s.length;
  });
  return new Uint8Array(Buffer.concat([header, ...segments.map((s) => Buffer.from(s))]));
}

test('RLE: literal and replicate runs across the high and low byte segments rebuild 16-bit signed pixels', async () => {
  // pixels: -1024 (0xFC00), -1024, 5 (0x0005), 300 (0x012C)
  const high = [0xff, 0xfc, 0x01, 0x00, 0x01]; // replicate 0xFC x2, literal [0x00, 0x01]
  const low = [0xff, 0x00, 0x80, 0x01, 0x05, 0x2c]; // replicate 0x00 x2, no-op (-128), literal [0x05, 0x2C]
  const px = await decode(frame([high, low]), info(2, 2));
  assert.ok(px instanceof Int16Array);
  assert.deepEqual([...px], [-1024, -1024, 5, 300]);
});

test('RLE: 8-bit pixels use one segment', async () => {
  const px = await decode(frame([[0x02, 1, 2, 3]]), info(1, 3, 8, 0));
  assert.deepEqual([...px], [1, 2, 3]);
});

test('RLE: a segment count that does not match the pixel format cites PS3.5 G.2', async () => {
  await assert.rejects(async () => decode(frame([[0x00, 1]]), info(1, 1)), /lists 1 segments, expected 2.*G\.2/);
});

test('RLE: a short segment cites PS3.5 G.3.1 with the byte counts', async () => {
  await assert.rejects(
    async () =>
      decode(
        frame([
          [0x00, 1],
          [0x00, 2],
        ]),
        info(1, 2),
      ),
    /decodes to 1 bytes, expected Rows x Columns = 2.*G\.3\.1/,
  );
});

test('RLE: a frame shorter than its header or with offsets outside it is rejected', async () => {
  await assert.rejects(async () => decode(new Uint8Array(10), info(1, 1)), /64-byte header/);
  const f = frame([
    [0x00, 1],
    [0x00, 2],
  ]);
  new DataView(f.buffer).setUint32(8, 5000, true);
  await assert.rejects(async () => decode(f, info(1, 1)), /outside the/);
});
