// Minimal DICOM Part 10 writer for tests and benchmarks: CT Image Storage slices in Explicit VR Little Endian
// (PS3.10 section 7.1, PS3.5 section 7.1.2), strict (even lengths, group lengths). Not a general writer.
import { randomUUID } from 'node:crypto';

const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

/** An element to write: tag, VR and a value (string, numbers for binary VRs, or raw bytes). */
export interface WriteElement {
  tag: number;
  vr: string;
  value: string | number[] | Uint8Array;
}

function encodeValue(el: WriteElement): Uint8Array {
  if (el.value instanceof Uint8Array) return el.value;
  if (typeof el.value === 'string') {
    const pad = el.vr === 'UI' ? '\0' : ' ';
    const s = el.value.length % 2 === 1 ? el.value + pad : el.value;
    return new Uint8Array(Buffer.from(s, 'latin1'));
  }
  const sizes: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 };
  const size = sizes[el.vr];
  if (!size) throw new Error(`numbers for VR ${el.vr} are not supported by the test writer`);
  const out = new Uint8Array(size * el.value.length);
  const dv = new DataView(out.buffer);
  el.value.forEach((v, i) => {
    const o = i * size;
    if (el.vr === 'US') dv.setUint16(o, v, true);
    else if (el.vr === 'SS') dv.setInt16(o, v, true);
    else if (el.vr === 'UL') dv.setUint32(o, v, true);
    else if (el.vr === 'SL') dv.setInt32(o, v, true);
    else if (el.vr === 'FL') dv.setFloat32(o, v, true);
    else dv.setFloat64(o, v, true);
  });
  return out;
}

/** Encodes elements (sorted by tag) in explicit VR little endian. */
export function encodeElements(elements: WriteElement[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const el of [...elements].sort((a, b) => a.tag - b.tag)) {
    const value = encodeValue(el);
    const long = LONG_VRS.has(el.vr);
    const header = new Uint8Array(long ? 12 : 8);
    const dv = new DataView(header.buffer);
    dv.setUint16(0, el.tag >>> 16, true);
    dv.setUint16(2, el.tag & 0xffff, true);
    header[4] = el.vr.charCodeAt(0);
    header[5] = el.vr.charCodeAt(1);
    if (long) dv.setUint32(8, value.byteLength, true);
    else dv.setUint16(6, value.byteLength, true);
    parts.push(header, value);
  }
  return Buffer.concat(parts);
}

/** A Part 10 file: preamble, DICM, File Meta Information with group length, then the dataset (explicit VR LE). */
export function writePart10(
  dataset: WriteElement[],
  sopInstanceUid: string,
  sopClassUid = CT_IMAGE_STORAGE,
  transferSyntaxUid = '1.2.840.10008.1.2.1',
  trailing: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const metaBody = encodeElements([
    { tag: 0x00020001, vr: 'OB', value: new Uint8Array([0, 1]) },
    { tag: 0x00020002, vr: 'UI', value: sopClassUid },
    { tag: 0x00020003, vr: 'UI', value: sopInstanceUid },
    { tag: 0x00020010, vr: 'UI', value: transferSyntaxUid },
    { tag: 0x00020012, vr: 'UI', value: '1.2.826.0.1.3680043.10.1461.1' },
  ]);
  const groupLength = encodeElements([{ tag: 0x00020000, vr: 'UL', value: [metaBody.byteLength] }]);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return Buffer.concat([preamble, groupLength, metaBody, encodeElements(dataset), trailing]);
}

/** Encapsulated Pixel Data (PS3.5 A.4): undefined length, an empty Basic Offset Table, one fragment per frame. */
export function encapsulate(frames: Uint8Array[]): Uint8Array {
  const item = (tag: number, value: Uint8Array): Uint8Array => {
    const padded = value.byteLength % 2 ? Buffer.concat([value, new Uint8Array(1)]) : value;
    const head = new Uint8Array(8);
    const dv = new DataView(head.buffer);
    dv.setUint16(0, tag >>> 16, true);
    dv.setUint16(2, tag & 0xffff, true);
    dv.setUint32(4, padded.byteLength, true);
    return Buffer.concat([head, padded]);
  };
  const head = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xff]);
  const frameItems = frames.map((f) => item(0xfffee000, f));
  return Buffer.concat([head, item(0xfffee000, new Uint8Array(0)), ...frameItems, item(0xfffee0dd, new Uint8Array(0))]);
}

/** A UID under the UUID-derived root 2.25 (PS3.5 section B.2). */
export function newUid(): string {
  return '2.25.' + BigInt('0x' + randomUUID().replace(/-/g, '')).toString();
}

export interface CtSliceSpec {
  rows: number;
  columns: number;
  /** Stored values (signed 16-bit), rows x columns. */
  pixels: Int16Array;
  position: [number, number, number];
  orientation?: [number, number, number, number, number, number];
  pixelSpacing?: [number, number];
  sliceThickness?: number;
  rescaleSlope?: number;
  rescaleIntercept?: number;
  studyUid: string;
  seriesUid: string;
  frameOfReferenceUid?: string;
  instanceNumber: number;
  modality?: string;
  imageType?: string;
  seriesNumber?: number;
  /** Compressed frames to store instead of native pixels, in this transfer syntax. */
  encapsulated?: { transferSyntaxUid: string; frames: Uint8Array[] };
  /** Extra or replacing elements (e.g. RescaleType, GantryDetectorTilt) and tags to omit. */
  extra?: WriteElement[];
  omit?: number[];
}

/** One CT Image Storage instance (PS3.3 A.3) with signed 16-bit pixels; returns the Part 10 bytes. */
export function writeCtSlice(spec: CtSliceSpec): Uint8Array {
  const sop = newUid();
  const f = (n: number): string => String(Number(n.toFixed(6)));
  const els: WriteElement[] = [
    { tag: 0x00080008, vr: 'CS', value: spec.imageType ?? 'ORIGINAL\\PRIMARY\\AXIAL' },
    { tag: 0x00080016, vr: 'UI', value: CT_IMAGE_STORAGE },
    { tag: 0x00080018, vr: 'UI', value: sop },
    { tag: 0x00080060, vr: 'CS', value: spec.modality ?? 'CT' },
    { tag: 0x00100010, vr: 'PN', value: 'Test^Phantom' },
    { tag: 0x00100020, vr: 'LO', value: 'TEST-1' },
    { tag: 0x00180050, vr: 'DS', value: f(spec.sliceThickness ?? 1) },
    { tag: 0x0020000d, vr: 'UI', value: spec.studyUid },
    { tag: 0x0020000e, vr: 'UI', value: spec.seriesUid },
    { tag: 0x00200011, vr: 'IS', value: String(spec.seriesNumber ?? 1) },
    { tag: 0x00200013, vr: 'IS', value: String(spec.instanceNumber) },
    { tag: 0x00200032, vr: 'DS', value: spec.position.map(f).join('\\') },
    { tag: 0x00200037, vr: 'DS', value: (spec.orientation ?? [1, 0, 0, 0, 1, 0]).map(f).join('\\') },
    { tag: 0x00200052, vr: 'UI', value: spec.frameOfReferenceUid ?? spec.studyUid + '.1' },
    { tag: 0x00280002, vr: 'US', value: [1] },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: [spec.rows] },
    { tag: 0x00280011, vr: 'US', value: [spec.columns] },
    { tag: 0x00280030, vr: 'DS', value: (spec.pixelSpacing ?? [0.7, 0.7]).map(f).join('\\') },
    { tag: 0x00280100, vr: 'US', value: [16] },
    { tag: 0x00280101, vr: 'US', value: [16] },
    { tag: 0x00280102, vr: 'US', value: [15] },
    { tag: 0x00280103, vr: 'US', value: [1] },
    { tag: 0x00281052, vr: 'DS', value: f(spec.rescaleIntercept ?? 0) },
    { tag: 0x00281053, vr: 'DS', value: f(spec.rescaleSlope ?? 1) },
    {
      tag: 0x7fe00010,
      vr: 'OW',
      value: new Uint8Array(spec.pixels.buffer, spec.pixels.byteOffset, spec.pixels.byteLength),
    },
  ];
  const replaced = new Set((spec.extra ?? []).map((e) => e.tag));
  const omit = new Set(spec.omit ?? []);
  const all = [...els.filter((e) => !replaced.has(e.tag)), ...(spec.extra ?? [])].filter((e) => !omit.has(e.tag));
  if (!spec.encapsulated) return writePart10(all, sop);
  const { transferSyntaxUid, frames } = spec.encapsulated;
  const header = all.filter((e) => e.tag !== 0x7fe00010);
  return writePart10(header, sop, CT_IMAGE_STORAGE, transferSyntaxUid, encapsulate(frames));
}
