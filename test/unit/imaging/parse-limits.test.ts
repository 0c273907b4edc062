// Regression tests for the Part 10 reader: sequences nested deeper than MAX_SEQUENCE_DEPTH are a DicomParseError
// (not a stack overflow), and a file prefix that ends exactly between two elements, before untilTag, counts as
// truncated when the caller says it is a prefix (readHeader then reads the whole file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DicomParseError, parseDicom, Tags } from '../../../src/imaging/dicom/index.js';
import { EXPLICIT_LE, concat, delimiter, element, item, part10, text } from './bytes.js';

const EXPLICIT_LE_UID = '1.2.840.10008.1.2.1';
const SQ = 0x00081140; // Referenced Image Sequence
const MAX_SEQUENCE_DEPTH = 64; // parse.ts

/** `depth` sequences of undefined length, each in an item of the one around it, closed properly. */
function nested(depth: number): Uint8Array {
  let inner = element(EXPLICIT_LE, 0x00080018, 'UI', text('1.2.3', '\0'));
  for (let d = 0; d < depth; d++) {
    inner = concat(element(EXPLICIT_LE, SQ, 'SQ', concat(item(inner, true, true), delimiter(0xe0dd)), 0xffffffff));
  }
  return inner;
}

test(`sequences nested ${MAX_SEQUENCE_DEPTH} deep are read`, () => {
  const ds = parseDicom(part10(EXPLICIT_LE_UID, nested(MAX_SEQUENCE_DEPTH)));
  assert.equal(ds.element(SQ)!.items!.length, 1);
});

test('deeper nesting is a DicomParseError, also far deeper (crafted input), not a RangeError', () => {
  assert.throws(
    () => parseDicom(part10(EXPLICIT_LE_UID, nested(MAX_SEQUENCE_DEPTH + 1))),
    (e: unknown) => e instanceof DicomParseError && /nested more than 64 deep/.test(e.message),
  );
  // A sequence of undefined length opening an item of undefined length, 20,000 times over, never closed.
  const itemStart = new Uint8Array([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
  const open = concat(element(EXPLICIT_LE, SQ, 'SQ', new Uint8Array(0), 0xffffffff), itemStart);
  const deep = concat(...Array.from({ length: 20_000 }, () => open));
  assert.throws(() => parseDicom(part10(EXPLICIT_LE_UID, deep)), DicomParseError);
});

test('a prefix ending exactly after an element, before untilTag, is truncated; a whole file is not', () => {
  const body = concat(
    element(EXPLICIT_LE, 0x00080060, 'CS', text('CT')),
    element(EXPLICIT_LE, 0x00091010, 'OB', new Uint8Array(100)),
    element(EXPLICIT_LE, 0x0020000e, 'UI', text('1.2.3.4', '\0')),
    element(EXPLICIT_LE, Tags.PixelData, 'OW', new Uint8Array(8)),
  );
  const bytes = part10(EXPLICIT_LE_UID, body);
  const cut = parseDicom(bytes).element(0x0020000e)!.offset; // the private element ends here
  assert.throws(
    () => parseDicom(bytes.subarray(0, cut), { untilTag: Tags.PixelData, prefix: true }),
    (e: unknown) => e instanceof DicomParseError && e.truncated,
  );
  // Stopping at untilTag inside the prefix is fine; so is the end of bytes that are the whole file.
  const header = parseDicom(bytes.subarray(0, bytes.byteLength - 4), { untilTag: Tags.PixelData, prefix: true });
  assert.equal(header.string(0x0020000e), '1.2.3.4');
  assert.equal(parseDicom(bytes.subarray(0, cut), { untilTag: Tags.PixelData }).string(0x00080060), 'CT');
});
