// DICOM Part 10 reader (PS3.10 section 7.1, PS3.5 sections 7-10): preamble and DICM prefix, File Meta Information
// (group 0002, always explicit VR little endian), then the dataset in its transfer syntax: implicit or explicit VR,
// little or big endian, deflated; sequences and items of defined or undefined length; encapsulated pixel data.
// Lenient where the meaning stays clear (missing preamble, wrong explicit VR, odd lengths), strict on truncation.
import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { DicomDataset, type DicomElement } from './dataset.js';
import { DicomParseError } from './errors.js';
import { formatTag, lookupTag, Tags } from './dictionary.js';
import { IMPLICIT_VR_LITTLE_ENDIAN, EXPLICIT_VR_LITTLE_ENDIAN, transferSyntax } from './transfer-syntax.js';

export interface ParseOptions {
  /** Stop before the first top-level element whose tag is >= this one (e.g. Tags.PixelData for headers only). */
  untilTag?: number;
  /**
   * The bytes are the start of a longer file: running out of them before untilTag is truncation (a DicomParseError
   * with `truncated`), not the end of the dataset, even when an element ends exactly at the cut.
   */
  prefix?: boolean;
}

const UNDEFINED = 0xffffffff;
/** Deepest sequence nesting read; deeper input (crafted or corrupt) would otherwise overflow the stack. */
export const MAX_SEQUENCE_DEPTH = 64;
// VRs with a reserved 2 bytes and a 32-bit length in explicit VR encoding (PS3.5 section 7.1.2, Table 7.1-1).
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);
const KNOWN_VRS = new Set([
  ...LONG_VRS,
  ...['AE', 'AS', 'AT', 'CS', 'DA', 'DS', 'DT', 'FD', 'FL', 'IS', 'LO', 'LT', 'PN', 'SH', 'SL', 'SS', 'ST', 'TM', 'UI'],
  ...['UL', 'US'],
]);

interface Cursor {
  bytes: Uint8Array;
  view: DataView;
  pos: number;
  littleEndian: boolean;
  explicit: boolean;
  warnings: string[];
  /** Sequences open around the current position. */
  depth: number;
}

function truncated(what: string, offset: number, need: number, have: number, section: string): DicomParseError {
  return new DicomParseError(
    `truncated DICOM: ${what} at offset ${offset} needs ${need} bytes but only ${Math.max(0, have)} remain (PS3.5 section ${section})`,
    offset,
    true,
  );
}

function readTag(c: Cursor, at: number): number {
  return ((c.view.getUint16(at, c.littleEndian) << 16) | c.view.getUint16(at + 2, c.littleEndian)) >>> 0;
}

function vrAt(c: Cursor, at: number): string {
  return String.fromCharCode(c.bytes[at]!, c.bytes[at + 1]!);
}

function implicitVr(tag: number, ds: DicomDataset): string {
  if ((tag & 0xffff) === 0x0000) return 'UL'; // group length (PS3.5 section 7.2)
  const vr = lookupTag(tag)?.vr ?? 'UN';
  if (vr === 'US or SS') return ds.number(0x00280103) === 1 ? 'SS' : 'US';
  return vr;
}

/** Reads one data element at c.pos into ds; advances c.pos past it. */
function readElement(c: Cursor, end: number, ds: DicomDataset): void {
  const start = c.pos;
  if (start + 8 > end) throw truncated('data element header', start, 8, end - start, '7.1');
  const tag = readTag(c, start);
  let vr: string;
  let length: number;
  let header: number;
  const candidate = c.explicit ? vrAt(c, start + 4) : '';
  if (c.explicit && KNOWN_VRS.has(candidate)) {
    vr = candidate;
    if (LONG_VRS.has(vr)) {
      if (start + 12 > end) throw truncated(`header of ${formatTag(tag)}`, start, 12, end - start, '7.1.2');
      length = c.view.getUint32(start + 8, c.littleEndian);
      header = 12;
    } else {
      length = c.view.getUint16(start + 6, c.littleEndian);
      header = 8;
    }
  } else {
    if (c.explicit) {
      c.warnings.push(`${formatTag(tag)} at offset ${start}: no valid explicit VR, read as implicit VR (PS3.5 7.1.3)`);
    }
    vr = implicitVr(tag, ds);
    length = c.view.getUint32(start + 4, c.littleEndian);
    header = 8;
  }
  c.pos = start + header;
  const element: DicomElement = { tag, vr, offset: start, value: new Uint8Array(0) };

  if (length === UNDEFINED) {
    if (tag === Tags.PixelData) element.fragments = readFragments(c, end);
    else if (vr === 'SQ' || vr === 'UN') element.items = readSequence(c, end, false, vr === 'UN');
    else
      throw new DicomParseError(
        `${formatTag(tag)} at offset ${start} has undefined length but VR ${vr} (PS3.5 section 7.1.1)`,
        start,
      );
  } else if (vr === 'SQ') {
    if (c.pos + length > end) throw truncated(`sequence ${formatTag(tag)}`, start, length, end - c.pos, '7.5');
    element.items = readSequence(c, c.pos + length, true, false);
  } else {
    if (c.pos + length > end) throw truncated(`value of ${formatTag(tag)}`, start, length, end - c.pos, '7.1.1');
    if (length % 2 === 1)
      c.warnings.push(`${formatTag(tag)} at offset ${start}: odd value length ${length} (PS3.5 7.1.1)`);
    element.value = c.bytes.subarray(c.pos, c.pos + length);
    c.pos += length;
  }
  ds.elements.set(tag, element);
}

/** Items of a sequence (PS3.5 section 7.5) until `end` or the Sequence Delimitation Item. */
function readSequence(c: Cursor, end: number, definedLength: boolean, implicitLittleEndian: boolean): DicomDataset[] {
  // A UN of undefined length holds implicit VR little endian items whatever the transfer syntax (PS3.5 6.2.2).
  if (c.depth >= MAX_SEQUENCE_DEPTH) {
    throw new DicomParseError(
      `sequences nested more than ${MAX_SEQUENCE_DEPTH} deep at offset ${c.pos} (PS3.5 section 7.5)`,
      c.pos,
    );
  }
  const saved = { explicit: c.explicit, littleEndian: c.littleEndian, depth: c.depth };
  c.depth++;
  if (implicitLittleEndian) Object.assign(c, { explicit: false, littleEndian: true });
  const items: DicomDataset[] = [];
  for (;;) {
    if (definedLength && c.pos >= end) break;
    if (c.pos + 8 > end)
      throw truncated('sequence item (missing Sequence Delimitation Item)', c.pos, 8, end - c.pos, '7.5');
    const tag = readTag(c, c.pos);
    const length = c.view.getUint32(c.pos + 4, c.littleEndian);
    if (tag === Tags.SequenceDelimitation) {
      c.pos += 8;
      break;
    }
    if (tag !== Tags.Item) {
      throw new DicomParseError(
        `expected Item (FFFE,E000) at offset ${c.pos}, found ${formatTag(tag)} (PS3.5 section 7.5)`,
        c.pos,
      );
    }
    c.pos += 8;
    const item = new DicomDataset(c.littleEndian, c.warnings);
    if (length === UNDEFINED) readDataset(c, end, item, undefined, true);
    else {
      if (c.pos + length > end) throw truncated('sequence item', c.pos - 8, length, end - c.pos, '7.5');
      readDataset(c, c.pos + length, item, undefined, false);
    }
    items.push(item);
  }
  Object.assign(c, saved);
  return items;
}

/** Fragments of encapsulated pixel data (PS3.5 section A.4): items of defined length, then a Sequence Delimiter. */
function readFragments(c: Cursor, end: number): Uint8Array[] {
  const fragments: Uint8Array[] = [];
  for (;;) {
    if (c.pos + 8 > end) throw truncated('encapsulated pixel data item', c.pos, 8, end - c.pos, 'A.4');
    const tag = readTag(c, c.pos);
    const length = c.view.getUint32(c.pos + 4, c.littleEndian);
    c.pos += 8;
    if (tag === Tags.SequenceDelimitation) return fragments;
    if (tag !== Tags.Item) {
      throw new DicomParseError(
        `expected a pixel data Item (FFFE,E000) at offset ${c.pos - 8}, found ${formatTag(tag)} (PS3.5 section A.4)`,
        c.pos - 8,
      );
    }
    if (c.pos + length > end) throw truncated('pixel data fragment', c.pos - 8, length, end - c.pos, 'A.4');
    fragments.push(c.bytes.subarray(c.pos, c.pos + length));
    c.pos += length;
  }
}

/** Reads elements into ds until `end`, an Item Delimitation Item (when inItem) or untilTag. */
function readDataset(c: Cursor, end: number, ds: DicomDataset, untilTag: number | undefined, inItem: boolean): void {
  while (c.pos < end) {
    if (c.pos + 4 > end) throw truncated('data element tag', c.pos, 4, end - c.pos, '7.1');
    const tag = readTag(c, c.pos);
    if (tag === Tags.ItemDelimitation) {
      c.pos += 8;
      if (inItem) return;
      c.warnings.push(`stray Item Delimitation Item at offset ${c.pos - 8} ignored (PS3.5 7.5)`);
      continue;
    }
    if (untilTag !== undefined && tag >= untilTag) return;
    readElement(c, end, ds);
  }
  if (inItem) throw truncated('sequence item (missing Item Delimitation Item)', c.pos, 8, 0, '7.5');
}

function cursor(bytes: Uint8Array, pos: number, explicit: boolean, littleEndian: boolean, warnings: string[]): Cursor {
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    pos,
    explicit,
    littleEndian,
    warnings,
    depth: 0,
  };
}

function looksExplicit(bytes: Uint8Array, at: number): boolean {
  return at + 6 <= bytes.length && KNOWN_VRS.has(String.fromCharCode(bytes[at + 4]!, bytes[at + 5]!));
}

/** Parses a DICOM Part 10 file (PS3.10 section 7.1) or, leniently, a bare little-endian dataset. */
export function parseDicom(bytes: Uint8Array, options: ParseOptions = {}): DicomDataset {
  const warnings: string[] = [];
  let pos = 0;
  const hasPrefix = (at: number): boolean =>
    bytes.length >= at + 4 &&
    bytes[at] === 0x44 &&
    bytes[at + 1] === 0x49 &&
    bytes[at + 2] === 0x43 &&
    bytes[at + 3] === 0x4d;
  if (hasPrefix(128)) pos = 132;
  else if (hasPrefix(0)) {
    pos = 4;
    warnings.push('no 128-byte preamble before "DICM" (PS3.10 7.1)');
  } else {
    if (bytes.length < 8) throw truncated('DICOM file', 0, 132, bytes.length, 'PS3.10 7.1');
    // A bare dataset starts with group 0002 or 0008 (little endian); anything else is not DICOM at all.
    const group = bytes[0]! | (bytes[1]! << 8);
    if (group !== 0x0002 && group !== 0x0008) {
      throw new DicomParseError(
        'not a DICOM file: no "DICM" prefix at offset 128 and no dataset start (PS3.10 section 7.1)',
        0,
      );
    }
    warnings.push('no preamble and "DICM" prefix: read as a bare dataset (PS3.10 7.1)');
  }

  const meta = new DicomDataset(true, warnings);
  const c = cursor(bytes, pos, looksExplicit(bytes, pos), true, warnings);
  // File Meta Information: group 0002, explicit VR little endian (PS3.10 section 7.1).
  while (c.pos + 4 <= bytes.length && c.view.getUint16(c.pos, true) === 0x0002) {
    c.explicit = looksExplicit(bytes, c.pos);
    readElement(c, bytes.length, meta);
  }
  let tsUid = meta.string(Tags.TransferSyntaxUID);
  if (!tsUid) {
    tsUid = looksExplicit(bytes, c.pos) ? EXPLICIT_VR_LITTLE_ENDIAN : IMPLICIT_VR_LITTLE_ENDIAN;
    warnings.push(`no Transfer Syntax UID (0002,0010): read as ${tsUid} from the first element (PS3.10 7.1)`);
  }
  const ts = transferSyntax(tsUid);
  if (!ts) warnings.push(`unknown transfer syntax ${tsUid}: dataset read as explicit VR little endian (PS3.5 A.4)`);

  let body = bytes;
  let start = c.pos;
  if (ts?.deflated) {
    // Deflated Explicit VR Little Endian: everything after the meta group is a raw deflate stream (PS3.5 A.5).
    try {
      body = inflateRawSync(bytes.subarray(c.pos), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new DicomParseError(
        `corrupt deflated dataset at offset ${c.pos}: ${(err as Error).message} (PS3.5 section A.5)`,
        c.pos,
      );
    }
    start = 0;
  }
  const ds = new DicomDataset(ts?.littleEndian ?? true, warnings, tsUid);
  // Meta elements are explicit little endian; copy them except the binary group length, which a big endian
  // dataset's getters would misread.
  for (const [tag, el] of meta.elements) if (ds.littleEndian || tag !== 0x00020000) ds.elements.set(tag, el);
  const bodyCursor = cursor(body, start, ts?.explicitVR ?? true, ts?.littleEndian ?? true, warnings);
  readTopLevel(bodyCursor, ds, options);
  return ds;
}

/** The top-level dataset; reaching the very end of a prefix before untilTag means what follows was cut off. */
function readTopLevel(c: Cursor, ds: DicomDataset, options: ParseOptions): void {
  readDataset(c, c.bytes.byteLength, ds, options.untilTag, false);
  // readDataset stops before untilTag with bytes left, so no bytes left means untilTag was not reached.
  if (options.prefix && options.untilTag !== undefined && c.pos >= c.bytes.byteLength) {
    throw truncated(`dataset before ${formatTag(options.untilTag)}`, c.pos, 4, 0, '7.1');
  }
}
