import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { parseDicom, DicomParseError, Tags, tagOf, formatTag } from '../../../src/imaging/dicom/index.js';
import { concat, delimiter, element, EXPLICIT_BE, EXPLICIT_LE, IMPLICIT_LE, item, part10, text, u16 } from './bytes.js';

const EXPLICIT_LE_UID = '1.2.840.10008.1.2.1';

function basic(enc = EXPLICIT_LE): Uint8Array {
  return concat(
    element(enc, 0x00080060, 'CS', text('CT')),
    element(enc, 0x00200032, 'DS', text('-1.5\\2\\-300.25')),
    element(enc, 0x00280010, 'US', u16([512], enc.littleEndian)),
    element(enc, 0x00280011, 'US', u16([256], enc.littleEndian)),
  );
}

function checkBasic(ds: ReturnType<typeof parseDicom>): void {
  assert.equal(ds.string('Modality'), 'CT');
  assert.deepEqual(ds.numbers('ImagePositionPatient'), [-1.5, 2, -300.25]);
  assert.equal(ds.number('Rows'), 512);
  assert.equal(ds.number(0x00280011), 256);
}

test('explicit VR little endian Part 10 file: meta group, transfer syntax and typed getters', () => {
  const ds = parseDicom(part10(EXPLICIT_LE_UID, basic()));
  assert.equal(ds.transferSyntaxUid, EXPLICIT_LE_UID);
  assert.equal(ds.littleEndian, true);
  checkBasic(ds);
  assert.deepEqual(ds.warnings, []);
});

test('implicit VR little endian takes VRs from the dictionary', () => {
  const ds = parseDicom(part10('1.2.840.10008.1.2', basic(IMPLICIT_LE)));
  checkBasic(ds);
  assert.equal(ds.element('Rows')?.vr, 'US');
  assert.equal(ds.element('Modality')?.vr, 'CS');
});

test('explicit VR big endian reads binary values in big endian order', () => {
  const ds = parseDicom(part10('1.2.840.10008.1.2.2', basic(EXPLICIT_BE)));
  assert.equal(ds.littleEndian, false);
  checkBasic(ds);
});

test('deflated explicit VR little endian inflates the dataset after the meta group', () => {
  const ds = parseDicom(part10('1.2.840.10008.1.2.1.99', deflateRawSync(basic())));
  checkBasic(ds);
});

test('a corrupt deflate stream is a DicomParseError citing PS3.5 A.5', () => {
  const bad = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00, 0x12, 0x34]);
  assert.throws(
    () => parseDicom(part10('1.2.840.10008.1.2.1.99', bad)),
    (e: unknown) => e instanceof DicomParseError && /A\.5/.test(e.message),
  );
});

test('sequences of undefined length with undefined-length items nest datasets', () => {
  const inner = concat(
    element(EXPLICIT_LE, 0x00081150, 'UI', text('1.2.3', '\0')),
    element(EXPLICIT_LE, 0x00081155, 'UI', text('4.5.6', '\0')),
  );
  const seq = concat(
    element(EXPLICIT_LE, 0x00081140, 'SQ', new Uint8Array(0), 0xffffffff),
    item(inner, true, true),
    item(inner, true, false),
    delimiter(0xe0dd),
  );
  const ds = parseDicom(part10(EXPLICIT_LE_UID, concat(seq, element(EXPLICIT_LE, 0x00080060, 'CS', text('CT')))));
  const items = ds.sequence('ReferencedImageSequence');
  assert.equal(items.length, 2);
  assert.equal(items[0]!.string('ReferencedSOPInstanceUID'), '4.5.6');
  assert.equal(items[1]!.string('ReferencedSOPClassUID'), '1.2.3');
  assert.equal(ds.string('Modality'), 'CT', 'the element after the sequence is read');
});

test('a defined-length sequence ending the file is read to its end', () => {
  const inner = element(EXPLICIT_LE, 0x00081155, 'UI', text('7.8', '\0'));
  const items = item(inner);
  const ds = parseDicom(part10(EXPLICIT_LE_UID, concat(element(EXPLICIT_LE, 0x00081140, 'SQ', items))));
  assert.equal(ds.sequence('ReferencedImageSequence')[0]!.string('ReferencedSOPInstanceUID'), '7.8');
});

test('an explicit UN of undefined length is read as an implicit little endian sequence (PS3.5 6.2.2)', () => {
  const inner = element(IMPLICIT_LE, 0x00081155, 'UI', text('9.9', '\0'));
  const body = concat(
    element(EXPLICIT_LE, 0x00091010, 'UN', new Uint8Array(0), 0xffffffff),
    item(inner, true, true),
    delimiter(0xe0dd),
  );
  const ds = parseDicom(part10(EXPLICIT_LE_UID, body));
  assert.equal(ds.sequence(0x00091010)[0]!.string('ReferencedSOPInstanceUID'), '9.9');
});

test('encapsulated pixel data keeps the Basic Offset Table and fragments', () => {
  const bot = new Uint8Array(new Uint32Array([0, 16]).buffer);
  const body = concat(
    element(EXPLICIT_LE, Tags.PixelData, 'OB', new Uint8Array(0), 0xffffffff),
    item(bot),
    item(new Uint8Array(8).fill(1)),
    item(new Uint8Array(4).fill(2)),
    delimiter(0xe0dd),
  );
  const ds = parseDicom(part10('1.2.840.10008.1.2.5', body));
  const fragments = ds.element('PixelData')!.fragments!;
  assert.equal(fragments.length, 3);
  assert.deepEqual([...fragments[2]!], [2, 2, 2, 2]);
});

test('untilTag stops before Pixel Data so headers can be read from a file prefix', () => {
  const body = concat(basic(), element(EXPLICIT_LE, Tags.PixelData, 'OW', new Uint8Array(1000)));
  const bytes = part10(EXPLICIT_LE_UID, body);
  const ds = parseDicom(bytes.subarray(0, bytes.byteLength - 900), { untilTag: Tags.PixelData });
  checkBasic(ds);
  assert.equal(ds.has('PixelData'), false);
});

test('a truncated value names the element, the offset and PS3.5 section 7.1.1', () => {
  const bytes = part10(
    EXPLICIT_LE_UID,
    concat(basic(), element(EXPLICIT_LE, Tags.PixelData, 'OW', new Uint8Array(64))),
  );
  const cut = bytes.subarray(0, bytes.byteLength - 10);
  assert.throws(
    () => parseDicom(cut),
    (e: unknown) =>
      e instanceof DicomParseError &&
      e.truncated &&
      /\(7FE0,0010\) PixelData/.test(e.message) &&
      /offset \d+/.test(e.message) &&
      /PS3\.5 section 7\.1\.1/.test(e.message) &&
      /needs 64 bytes but only 54 remain/.test(e.message),
  );
});

test('a truncated element header and a missing sequence delimiter are truncation errors', () => {
  const bytes = part10(EXPLICIT_LE_UID, basic());
  assert.throws(
    () => parseDicom(bytes.subarray(0, bytes.byteLength - 3)),
    (e: unknown) => e instanceof DicomParseError && e.truncated,
  );
  const open = part10(
    EXPLICIT_LE_UID,
    concat(
      element(EXPLICIT_LE, 0x00081140, 'SQ', new Uint8Array(0), 0xffffffff),
      item(text('xx'), true, false).subarray(0, 8),
    ),
  );
  assert.throws(
    () => parseDicom(open),
    (e: unknown) => e instanceof DicomParseError && /PS3\.5 section 7\.5/.test(e.message),
  );
});

test('a wrong tag inside a sequence is a clear error, not a silent misread', () => {
  const body = concat(
    element(EXPLICIT_LE, 0x00081140, 'SQ', new Uint8Array(0), 0xffffffff),
    element(EXPLICIT_LE, 0x00080060, 'CS', text('CT')),
  );
  assert.throws(() => parseDicom(part10(EXPLICIT_LE_UID, body)), /expected Item \(FFFE,E000\)/);
});

test('a file without preamble but with DICM, or a bare dataset, is read leniently with a warning', () => {
  const full = part10(EXPLICIT_LE_UID, basic());
  const noPreamble = full.subarray(128);
  const ds = parseDicom(noPreamble);
  checkBasic(ds);
  assert.match(ds.warnings.join(), /no 128-byte preamble/);
  const bare = parseDicom(basic(IMPLICIT_LE));
  checkBasic(bare);
  assert.match(bare.warnings.join(), /bare dataset/);
  assert.equal(bare.transferSyntaxUid, '1.2.840.10008.1.2');
});

test('an element without a valid explicit VR is read as implicit, with a warning', () => {
  const body = concat(
    element(IMPLICIT_LE, 0x00280010, 'US', u16([64])),
    element(EXPLICIT_LE, 0x00080060, 'CS', text('CT')),
  );
  // (0028,0010) sorts after (0008,0060) in a real file; order does not matter to the reader.
  const ds = parseDicom(part10(EXPLICIT_LE_UID, body));
  assert.equal(ds.number('Rows'), 64);
  assert.equal(ds.string('Modality'), 'CT');
  assert.match(ds.warnings.join(), /no valid explicit VR/);
});

test('odd value lengths are accepted with a warning', () => {
  const ds = parseDicom(
    part10(EXPLICIT_LE_UID, element(EXPLICIT_LE, 0x00080060, 'CS', new Uint8Array(Buffer.from('CT1')))),
  );
  assert.equal(ds.string('Modality'), 'CT1');
  assert.match(ds.warnings.join(), /odd value length 3/);
});

test('text or other non-DICOM bytes are reported as not DICOM', () => {
  assert.throws(
    () => parseDicom(new Uint8Array(Buffer.from('{"labels": [1, 2, 3]}\n'))),
    /not a DICOM file: no "DICM" prefix/,
  );
});

test('too few bytes for a file is a truncation error', () => {
  assert.throws(
    () => parseDicom(new Uint8Array(5)),
    (e: unknown) => e instanceof DicomParseError && e.truncated,
  );
});

test('keywords resolve through the JSON dictionary; unknown keywords throw', () => {
  assert.equal(tagOf('PixelData'), 0x7fe00010);
  assert.equal(formatTag(0x00280010), '(0028,0010) Rows');
  assert.equal(formatTag(0x00091010), '(0009,1010)');
  assert.throws(() => tagOf('NoSuchKeyword'), /unknown DICOM keyword "NoSuchKeyword"/);
});

test('string getters trim padding and split multiple values; numbers skip non-numeric text', () => {
  const body = concat(
    element(EXPLICIT_LE, 0x00080008, 'CS', text('ORIGINAL\\PRIMARY\\AXIAL')),
    element(EXPLICIT_LE, 0x00200013, 'IS', text(' 12 ')),
    element(EXPLICIT_LE, 0x00281050, 'DS', text('abc\\40')),
  );
  const ds = parseDicom(part10(EXPLICIT_LE_UID, body));
  assert.deepEqual(ds.strings('ImageType'), ['ORIGINAL', 'PRIMARY', 'AXIAL']);
  assert.equal(ds.number('InstanceNumber'), 12);
  assert.deepEqual(ds.numbers('WindowCenter'), [40]);
  assert.equal(ds.string('SeriesDescription'), undefined);
  assert.deepEqual(ds.numbers('SliceThickness'), []);
});
