// A parsed DICOM dataset (PS3.5 section 7): elements keyed by tag, values kept as views into the source bytes (no
// copies), typed getters that decode on demand with the dataset's byte order.
import { formatTag, tagOf, type TagRef } from './dictionary.js';

export interface DicomElement {
  tag: number;
  /** Value Representation (PS3.5 section 6.2): read from the stream (explicit) or the dictionary (implicit). */
  vr: string;
  /** Byte offset of the element header in the (inflated) stream. */
  offset: number;
  /** Value bytes (empty for sequences and encapsulated pixel data). */
  value: Uint8Array;
  /** Items of a sequence (VR SQ, or UN of undefined length). */
  items?: DicomDataset[];
  /** Fragments of encapsulated pixel data (PS3.5 A.4), the Basic Offset Table first. */
  fragments?: Uint8Array[];
}

const BINARY_NUMBER_VRS = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'OF', 'OD', 'UV', 'OV']);
const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export class DicomDataset {
  readonly elements = new Map<number, DicomElement>();
  /** Leniencies applied while reading (odd lengths, wrong VRs, missing preamble...), for `inspect`. */
  readonly warnings: string[];

  constructor(
    readonly littleEndian: boolean,
    warnings: string[] = [],
    /** Transfer syntax UID of the stream this dataset came from (from the file meta information). */
    readonly transferSyntaxUid = '',
  ) {
    this.warnings = warnings;
  }

  /** True when the element is present (even with an empty value). */
  has(ref: TagRef): boolean {
    return this.elements.has(tagOf(ref));
  }

  element(ref: TagRef): DicomElement | undefined {
    return this.elements.get(tagOf(ref));
  }

  /** Raw value bytes, or undefined when absent. */
  bytes(ref: TagRef): Uint8Array | undefined {
    return this.elements.get(tagOf(ref))?.value;
  }

  /** A string value with trailing padding removed (PS3.5 6.2: spaces, NUL for UI); undefined when absent/empty. */
  string(ref: TagRef): string | undefined {
    const s = this.rawString(ref);
    return s === undefined || s === '' ? undefined : s;
  }

  /** Multi-valued string split on backslash (PS3.5 6.4), each value trimmed. */
  strings(ref: TagRef): string[] {
    const s = this.rawString(ref);
    return s === undefined || s === '' ? [] : s.split('\\').map((v) => v.trim());
  }

  /** First numeric value (binary US/SS/UL/SL/FL/FD or text IS/DS), undefined when absent or not a number. */
  number(ref: TagRef): number | undefined {
    return this.numbers(ref)[0];
  }

  /** All numeric values; text values that are not numbers are dropped. */
  numbers(ref: TagRef): number[] {
    const el = this.elements.get(tagOf(ref));
    if (!el) return [];
    const v = el.value;
    const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
    const le = this.littleEndian;
    const read = (size: number, get: (o: number) => number): number[] => {
      const out: number[] = [];
      for (let o = 0; o + size <= v.byteLength; o += size) out.push(get(o));
      return out;
    };
    switch (el.vr) {
      case 'US':
        return read(2, (o) => dv.getUint16(o, le));
      case 'SS':
        return read(2, (o) => dv.getInt16(o, le));
      case 'UL':
        return read(4, (o) => dv.getUint32(o, le));
      case 'SL':
        return read(4, (o) => dv.getInt32(o, le));
      case 'FL':
      case 'OF':
        return read(4, (o) => dv.getFloat32(o, le));
      case 'FD':
      case 'OD':
        return read(8, (o) => dv.getFloat64(o, le));
      case 'UV':
      case 'OV':
        return read(8, (o) => Number(dv.getBigUint64(o, le)));
      default:
        return this.strings(ref)
          .filter((s) => s !== '')
          .map(Number)
          .filter((n) => Number.isFinite(n));
    }
  }

  /** Items of a sequence, [] when absent. */
  sequence(ref: TagRef): DicomDataset[] {
    return this.elements.get(tagOf(ref))?.items ?? [];
  }

  /** Describes a tag for messages: "(0028,0010) Rows". */
  describe(ref: TagRef): string {
    return formatTag(tagOf(ref));
  }

  private rawString(ref: TagRef): string | undefined {
    const el = this.elements.get(tagOf(ref));
    if (!el) return undefined;
    // Binary numbers read as text give their values joined, so string() works on any VR.
    if (BINARY_NUMBER_VRS.has(el.vr)) return this.numbers(ref).join('\\');
    const decoder = el.vr !== 'UI' && this.isUtf8() ? utf8 : latin1;
    return decoder
      .decode(el.value)
      .replace(/[\0 ]+$/, '')
      .replace(/^ +/, '');
  }

  private isUtf8(): boolean {
    const cs = this.elements.get(0x00080005);
    return cs !== undefined && latin1.decode(cs.value).includes('ISO_IR 192');
  }
}
