import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDicom,
  readPixelData,
  frameBytes,
  PixelDataError,
  Tags,
  decoderFor,
} from '../../../src/imaging/dicom/index.js';
import { concat, delimiter, element, EXPLICIT_BE, EXPLICIT_LE, item, part10, text, u16 } from './bytes.js';

const image = (rows: number, columns: number, extra: Uint8Array[] = [], bits = 16, signed = 1, le = true): Uint8Array =>
  concat(
    element(le ? EXPLICIT_LE : EXPLICIT_BE, 0x00280002, 'US', u16([1], le)),
    element(le ? EXPLICIT_LE : EXPLICIT_BE, 0x00280010, 'US', u16([rows], le)),
    element(le ? EXPLICIT_LE : EXPLICIT_BE, 0x00280011, 'US', u16([columns], le)),
    element(le ? EXPLICIT_LE : EXPLICIT_BE, 0x00280100, 'US', u16([bits], le)),
    element(le ? EXPLICIT_LE : EXPLICIT_BE, 0x00280101, 'US', u16([bits], le)),
    element(le ? EXPLICIT_LE : EXPLICIT_BE, 0x00280103, 'US', u16([signed], le)),
    ...extra,
  );

const int16Bytes = (values: number[], le = true): Uint8Array => {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setInt16(i * 2, v, le));
  return out;
};

test('native 16-bit signed pixels come back as an Int16Array', async () => {
  const ds = parseDicom(
    part10(
      '1.2.840.10008.1.2.1',
      concat(image(2, 2), element(EXPLICIT_LE, Tags.PixelData, 'OW', int16Bytes([-1024, 0, 1, 3071]))),
    ),
  );
  const px = await readPixelData(ds);
  assert.ok(px instanceof Int16Array);
  assert.deepEqual([...px], [-1024, 0, 1, 3071]);
});

test('native big endian pixels are byte-swapped', async () => {
  const body = concat(
    image(1, 3, [], 16, 1, false),
    element(EXPLICIT_BE, Tags.PixelData, 'OW', int16Bytes([-2, 300, 7], false)),
  );
  const px = await readPixelData(parseDicom(part10('1.2.840.10008.1.2.2', body)));
  assert.deepEqual([...px], [-2, 300, 7]);
});

test('bits above Bits Stored are masked and the sign extended (PS3.5 8.1.1)', async () => {
  const stored12 = element(EXPLICIT_LE, 0x00280101, 'US', u16([12]));
  // 0xF800 has garbage in bits 12-15 and 0x0800 is -2048 in 12-bit two's complement; 0x07FF = 2047.
  const body = concat(
    image(1, 3, [stored12]),
    element(EXPLICIT_LE, Tags.PixelData, 'OW', u16([0xf800, 0x07ff, 0x1001])),
  );
  const px = await readPixelData(parseDicom(part10('1.2.840.10008.1.2.1', body)));
  assert.deepEqual([...px], [-2048, 2047, 1]);
});

test('unsigned 16-bit pixels come back as a Uint16Array', async () => {
  const body = concat(image(1, 2, [], 16, 0), element(EXPLICIT_LE, Tags.PixelData, 'OW', u16([65535, 2])));
  const px = await readPixelData(parseDicom(part10('1.2.840.10008.1.2.1', body)));
  assert.ok(px instanceof Uint16Array);
  assert.deepEqual([...px], [65535, 2]);
});

test('native pixel data shorter than Rows x Columns x bits is an error citing PS3.5 8.1.1', async () => {
  const ds = parseDicom(
    part10('1.2.840.10008.1.2.1', concat(image(4, 4), element(EXPLICIT_LE, Tags.PixelData, 'OW', new Uint8Array(30)))),
  );
  await assert.rejects(
    readPixelData(ds),
    (e: unknown) =>
      e instanceof PixelDataError && /expected 32/.test(e.message) && /PS3\.5 section 8\.1\.1/.test(e.message),
  );
});

test('native multi-frame pixel data is split by frame size', () => {
  const frames = element(EXPLICIT_LE, 0x00280008, 'IS', text('3'));
  const ds = parseDicom(
    part10(
      '1.2.840.10008.1.2.1',
      concat(image(1, 2, [frames]), element(EXPLICIT_LE, Tags.PixelData, 'OW', int16Bytes([1, 2, 3, 4, 5, 6]))),
    ),
  );
  assert.deepEqual([...new Int16Array(frameBytes(ds, 2).slice().buffer)], [5, 6]);
  assert.throws(() => frameBytes(ds, 3), /frame 4 requested but the instance has 3/);
});

test('missing Pixel Data is a clear error', async () => {
  const ds = parseDicom(part10('1.2.840.10008.1.2.1', image(2, 2)));
  await assert.rejects(readPixelData(ds), /no Pixel Data \(7FE0,0010\)/);
});

function encapsulated(uid: string, fragments: Uint8Array[], bot: number[], frames: number): Uint8Array {
  return part10(
    uid,
    concat(
      image(1, 1, [element(EXPLICIT_LE, 0x00280008, 'IS', text(String(frames)))]),
      element(EXPLICIT_LE, Tags.PixelData, 'OB', new Uint8Array(0), 0xffffffff),
      item(new Uint8Array(new Uint32Array(bot).buffer)),
      ...fragments.map((f) => item(f)),
      delimiter(0xe0dd),
    ),
  );
}

test('encapsulated frames follow the Basic Offset Table across several fragments (PS3.5 A.4)', () => {
  const f = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
  // frame 1 = fragments 1+2 (offsets 0 and 8+4), frame 2 = fragment 3 at 12+8+2 = 22
  const ds = parseDicom(encapsulated('1.2.840.10008.1.2.5', [f(4, 1), f(2, 2), f(6, 3)], [0, 22], 2));
  assert.deepEqual([...frameBytes(ds, 0)], [1, 1, 1, 1, 2, 2]);
  assert.deepEqual([...frameBytes(ds, 1)], [3, 3, 3, 3, 3, 3]);
});

test('without an offset table one frame takes all fragments, and N frames take one fragment each', () => {
  const one = parseDicom(encapsulated('1.2.840.10008.1.2.5', [new Uint8Array([1, 2]), new Uint8Array([3, 4])], [], 1));
  assert.deepEqual([...frameBytes(one, 0)], [1, 2, 3, 4]);
  const two = parseDicom(encapsulated('1.2.840.10008.1.2.5', [new Uint8Array([1, 2]), new Uint8Array([3, 4])], [], 2));
  assert.deepEqual([...frameBytes(two, 1)], [3, 4]);
  const bad = parseDicom(
    encapsulated(
      '1.2.840.10008.1.2.5',
      [new Uint8Array([1, 2]), new Uint8Array([3, 4]), new Uint8Array([5, 6])],
      [],
      2,
    ),
  );
  assert.throws(() => frameBytes(bad, 0), /cannot split 3 fragments into 2 frames/);
  const wrongTable = parseDicom(encapsulated('1.2.840.10008.1.2.5', [new Uint8Array([1, 2])], [0, 5, 9], 2));
  assert.throws(() => frameBytes(wrongTable, 0), /Basic Offset Table has 3 entries for 2 frames/);
});

test('an unsupported transfer syntax is an error naming it and its UID', async () => {
  const ds = parseDicom(encapsulated('1.2.840.10008.1.2.4.50', [new Uint8Array([0xff, 0xd8])], [], 1));
  await assert.rejects(
    readPixelData(ds),
    (e: unknown) =>
      e instanceof PixelDataError && /JPEG Baseline \(Process 1\) \(1\.2\.840\.10008\.1\.2\.4\.50\)/.test(e.message),
  );
  await assert.rejects(decoderFor('1.2.3.4.5'), /unsupported transfer syntax 1\.2\.3\.4\.5 \(unknown UID/);
});

test('corrupt JPEG Lossless, JPEG-LS and JPEG 2000 frames are PixelDataErrors naming the codec', async () => {
  const junk = [new Uint8Array([0xff, 0xd8, 0xff, 0xc3, 0, 2, 1, 2, 3, 4])];
  for (const [uid, codec] of [
    ['1.2.840.10008.1.2.4.70', 'JPEG Lossless'],
    ['1.2.840.10008.1.2.4.80', 'JPEG-LS'],
    ['1.2.840.10008.1.2.4.90', 'JPEG 2000'],
  ] as const) {
    const ds = parseDicom(encapsulated(uid, junk, [], 1));
    await assert.rejects(
      readPixelData(ds),
      (e: unknown) => e instanceof PixelDataError && e.message.includes(codec),
      codec,
    );
  }
});

test('encapsulated syntax with native-length Pixel Data is rejected', async () => {
  const ds = parseDicom(
    part10('1.2.840.10008.1.2.5', concat(image(1, 1), element(EXPLICIT_LE, Tags.PixelData, 'OB', new Uint8Array(2)))),
  );
  await assert.rejects(readPixelData(ds), /must be encapsulated/);
});

test('WASM codecs: a frame without its end marker is refused before decoding; one with it reaches the codec', async () => {
  for (const [uid, codec] of [
    ['1.2.840.10008.1.2.4.80', 'JPEG-LS'],
    ['1.2.840.10008.1.2.4.90', 'JPEG 2000'],
  ] as const) {
    const cut = parseDicom(
      encapsulated(uid, [new Uint8Array([0xff, 0xd8, 0xff, 0xf7, 0, 11, 16, 0, 1, 0, 1, 1])], [], 1),
    );
    await assert.rejects(
      readPixelData(cut),
      new RegExp(`${codec} frame of 12 bytes does not end with the FFD9 end marker`),
    );
    const garbled = parseDicom(
      encapsulated(uid, [new Uint8Array([0xff, 0xd8, 0x12, 0x34, 0x56, 0x78, 0xff, 0xd9])], [], 1),
    );
    await assert.rejects(readPixelData(garbled), new RegExp(`${codec} (decoder rejected the frame|frame is)`));
  }
});
