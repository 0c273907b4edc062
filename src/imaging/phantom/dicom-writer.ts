// A strict DICOM Part 10 writer (PS3.10 section 7; data elements per PS3.5 section 7.1.2, explicit VR little endian,
// transfer syntax 1.2.840.10008.1.2.1). Tags and VRs come from writer-dictionary.json; every value is checked against
// its VR's rules (PS3.5 table 6.2-1) and a violation is an error naming the element: write strictly, read leniently.
import dictionaryJson from './writer-dictionary.json' with { type: 'json' };

/** Explicit VR Little Endian (PS3.5 A.2). */
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

export type DicomValue =
  string | number | readonly string[] | readonly number[] | Uint8Array | Uint16Array | Int16Array;
/** A dataset to write: keyword -> value (undefined entries are skipped). */
export type WriteDataset = Record<string, DicomValue | undefined>;

interface Entry {
  tag: number;
  vr: string;
  keyword: string;
}

const DICTIONARY = new Map<string, Entry>(
  Object.entries(dictionaryJson.tags as Record<string, { tag: string; vr: string }>).map(([keyword, e]) => [
    keyword,
    { tag: parseInt(e.tag, 16) >>> 0, vr: e.vr, keyword },
  ]),
);

export class DicomWriteError extends Error {
  override name = 'DicomWriteError';
}

/** VRs with a 2-byte reserved field and a 32-bit length in explicit VR (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
/** Maximum length of one value per string VR (PS3.5 table 6.2-1). */
const MAX_CHARS: Record<string, number> = {
  AE: 16,
  AS: 4,
  CS: 16,
  DA: 8,
  DS: 16,
  IS: 12,
  LO: 64,
  PN: 64,
  SH: 16,
  TM: 14,
  UI: 64,
};

function fail(e: Entry, message: string): never {
  throw new DicomWriteError(`${e.keyword} (${e.tag.toString(16).padStart(8, '0').toUpperCase()}) ${e.vr}: ${message}`);
}

/** Formats a number as a DS (decimal string, at most 16 characters, PS3.5 6.2). */
export function formatDS(n: number): string {
  if (!Number.isFinite(n)) throw new DicomWriteError(`DS value must be finite, got ${n}`);
  const plain = String(Object.is(n, -0) ? 0 : n);
  if (plain.length <= 16 && !/e/i.test(plain)) return plain;
  for (let p = 15; p >= 1; p--) {
    const s = Number(n.toPrecision(p)).toString();
    if (s.length <= 16 && !/e/i.test(s)) return s;
    const f = n.toFixed(Math.max(0, p - Math.max(1, Math.floor(Math.log10(Math.abs(n))) + 1)));
    if (f.length <= 16) return f;
  }
  throw new DicomWriteError(`DS value ${n} does not fit in 16 characters`);
}

function checkString(e: Entry, v: string): void {
  const max = MAX_CHARS[e.vr];
  if (max !== undefined && v.length > max) fail(e, `value "${v}" is longer than ${max} characters`);
  if (v.includes('\\') && e.vr !== 'LT' && e.vr !== 'ST' && e.vr !== 'UT')
    fail(e, 'a value may not contain a backslash');
  const ok: Record<string, RegExp> = {
    UI: /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/,
    CS: /^[A-Z0-9_ ]*$/,
    DA: /^\d{8}$/,
    TM: /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/,
    DS: /^ *[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)? *$/,
    IS: /^ *[-+]?\d+ *$/,
    AS: /^\d{3}[DWMY]$/,
  };
  const re = ok[e.vr];
  if (re && !re.test(v)) fail(e, `"${v}" is not a valid ${e.vr}`);
  // Default character repertoire (ISO-IR 6) only: printable ASCII plus PN's '^' and '='.
  if (!/^[\x20-\x7e]*$/.test(v)) fail(e, 'only printable ASCII is written (SpecificCharacterSet ISO_IR 6)');
}

function textBytes(e: Entry, value: DicomValue): Uint8Array {
  const values = (Array.isArray(value) ? value : [value]) as (string | number)[];
  const strings = values.map((v) => {
    if (typeof v === 'number') {
      if (e.vr === 'DS') return formatDS(v);
      if (e.vr === 'IS') {
        if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31 - 1) fail(e, `${v} is not a 32-bit integer`);
        return String(v);
      }
      fail(e, `a number is not valid for VR ${e.vr}`);
    }
    if (typeof v !== 'string') fail(e, 'expected a string');
    return v;
  });
  for (const s of strings) checkString(e, s);
  let text = strings.join('\\');
  if (text.length % 2 === 1) text += e.vr === 'UI' ? '\0' : ' ';
  return Buffer.from(text, 'latin1');
}

function binaryBytes(e: Entry, value: DicomValue): Uint8Array {
  if (e.vr === 'OB' || e.vr === 'OW') {
    if (!(value instanceof Uint8Array || value instanceof Uint16Array || value instanceof Int16Array))
      fail(e, 'expected a typed array');
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    if (e.vr === 'OW' && bytes.length % 2 === 1) fail(e, 'OW needs an even byte length');
    if (bytes.length % 2 === 0) return bytes;
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    return padded;
  }
  const nums = (typeof value === 'number' ? [value] : Array.from(value as ArrayLike<number>)) as number[];
  const size: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 };
  const width = size[e.vr];
  if (width === undefined) fail(e, 'VR not supported by the writer');
  const out = Buffer.alloc(nums.length * width);
  nums.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isFinite(n)) fail(e, `${String(n)} is not a finite number`);
    const ranges: Record<string, [number, number]> = {
      US: [0, 65535],
      SS: [-32768, 32767],
      UL: [0, 4294967295],
      SL: [-2147483648, 2147483647],
    };
    const r = ranges[e.vr];
    if (r && (!Number.isInteger(n) || n < r[0] || n > r[1])) fail(e, `${n} is outside ${r[0]}..${r[1]}`);
    if (e.vr === 'US') out.writeUInt16LE(n, i * 2);
    else if (e.vr === 'SS') out.writeInt16LE(n, i * 2);
    else if (e.vr === 'UL') out.writeUInt32LE(n, i * 4);
    else if (e.vr === 'SL') out.writeInt32LE(n, i * 4);
    else if (e.vr === 'FL') out.writeFloatLE(n, i * 4);
    else out.writeDoubleLE(n, i * 8);
  });
  return out;
}

function encodeElement(e: Entry, value: DicomValue): Uint8Array[] {
  const isText = !['OB', 'OW', 'US', 'SS', 'UL', 'SL', 'FL', 'FD'].includes(e.vr);
  const body = isText ? textBytes(e, value) : binaryBytes(e, value);
  const long = LONG_VRS.has(e.vr);
  if (!long && body.length > 0xffff) fail(e, `value of ${body.length} bytes exceeds the 16-bit length of VR ${e.vr}`);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(e.tag >>> 16, 0);
  head.writeUInt16LE(e.tag & 0xffff, 2);
  head.write(e.vr, 4, 'latin1');
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return [head, body];
}

function encodeGroup(dataset: WriteDataset, meta: boolean): { chunks: Uint8Array[]; length: number } {
  const entries: [Entry, DicomValue][] = [];
  for (const [keyword, value] of Object.entries(dataset)) {
    if (value === undefined) continue;
    const e = DICTIONARY.get(keyword);
    if (!e) throw new DicomWriteError(`unknown keyword "${keyword}" (add it to writer-dictionary.json)`);
    if (meta !== (e.tag >>> 16 === 2))
      throw new DicomWriteError(`${keyword} belongs ${meta ? 'in the dataset' : 'in the file meta group'}`);
    entries.push([e, value]);
  }
  entries.sort((a, b) => a[0].tag - b[0].tag);
  const chunks = entries.flatMap(([e, v]) => encodeElement(e, v));
  return { chunks, length: chunks.reduce((n, c) => n + c.length, 0) };
}

/** Encodes a complete Part 10 file: preamble, "DICM", file meta group (with its group length), dataset. */
export function encodePart10(
  dataset: WriteDataset,
  meta: { implementationClassUid: string; implementationVersionName: string },
): Uint8Array {
  const sopClass = dataset.SOPClassUID;
  const sopInstance = dataset.SOPInstanceUID;
  if (typeof sopClass !== 'string' || typeof sopInstance !== 'string') {
    throw new DicomWriteError('SOPClassUID and SOPInstanceUID are required');
  }
  const group = encodeGroup(
    {
      FileMetaInformationVersion: new Uint8Array([0, 1]),
      MediaStorageSOPClassUID: sopClass,
      MediaStorageSOPInstanceUID: sopInstance,
      TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
      ImplementationClassUID: meta.implementationClassUid,
      ImplementationVersionName: meta.implementationVersionName,
    },
    true,
  );
  const groupLength = encodeGroup({ FileMetaInformationGroupLength: group.length }, true);
  const body = encodeGroup(dataset, false);
  const out = new Uint8Array(132 + groupLength.length + group.length + body.length);
  out.set(Buffer.from('DICM', 'latin1'), 128);
  let off = 132;
  for (const c of [...groupLength.chunks, ...group.chunks, ...body.chunks]) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
