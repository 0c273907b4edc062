import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import { crc32, encodePng } from '../../../src/imaging/model/png.js';
import { COLOURS, plotRoc } from '../../../src/imaging/model/roc-plot.js';

/** Splits a PNG into its chunks, checking each CRC. */
function chunks(png: Buffer): { type: string; data: Buffer }[] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < png.length;) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(png.readUInt32BE(at + 8 + length), crc32(png.subarray(at + 4, at + 8 + length)), `${type} CRC`);
    out.push({ type, data });
    at += 12 + length;
  }
  return out;
}

test('crc32 gives the standard check value for "123456789"', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.from('ct-fhir')), zlibCrc32(Buffer.from('ct-fhir')));
});

test('encodes a 2x2 RGB image whose IDAT inflates back to the filtered pixels', () => {
  const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
  const parts = chunks(encodePng({ width: 2, height: 2, rgb }));
  assert.deepEqual(
    parts.map((c) => c.type),
    ['IHDR', 'IDAT', 'IEND'],
  );
  const ihdr = parts[0]!.data;
  assert.deepEqual([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[12]], [2, 2, 8, 2, 0]);
  const raw = inflateSync(parts[1]!.data);
  assert.deepEqual([...raw], [0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 10, 20, 30]);
});

test('rejects a raster whose byte count does not match its size', () => {
  assert.throws(() => encodePng({ width: 2, height: 2, rgb: new Uint8Array(11) }), /needs 12 bytes/);
});

test('ROC plot draws the curve through the top-left corner for a perfect classifier and marks the operating point', () => {
  const size = 100;
  const r = plotRoc(
    [
      { fpr: 0, tpr: 0, threshold: Infinity },
      { fpr: 0, tpr: 1, threshold: 0.9 },
      { fpr: 1, tpr: 1, threshold: 0.1 },
    ],
    { fpr: 0.5, tpr: 0.5 },
    size,
  );
  const at = (x: number, y: number) => [...r.rgb.subarray((y * size + x) * 3, (y * size + x) * 3 + 3)];
  const m = Math.round(size * 0.08);
  assert.deepEqual(at(m, m), [...COLOURS.CURVE]); // (fpr 0, tpr 1) is the top-left corner of the plot area
  assert.deepEqual(at(50, 50), [...COLOURS.MARK]); // operating point at the centre
  assert.deepEqual(at(size - 2, size - 2), [...COLOURS.WHITE]); // margin stays blank
});
