// Hand-built DICOM byte streams for parser tests: element encoders for explicit/implicit VR and either byte order,
// so each test states exactly the bytes it feeds the parser (PS3.5 section 7.1).
export const LONG = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV']);

export interface Enc {
  explicit: boolean;
  littleEndian: boolean;
}
export const EXPLICIT_LE: Enc = { explicit: true, littleEndian: true };
export const IMPLICIT_LE: Enc = { explicit: false, littleEndian: true };
export const EXPLICIT_BE: Enc = { explicit: true, littleEndian: false };

export function concat(...parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function text(s: string, pad = ' '): Uint8Array {
  return new Uint8Array(Buffer.from(s.length % 2 ? s + pad : s, 'latin1'));
}

export function u16(values: number[], le = true): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const dv = new DataView(out.buffer);
  values.forEach((v, i) => dv.setUint16(i * 2, v, le));
  return out;
}

function tagBytes(tag: number, le: boolean): Uint8Array {
  const out = new Uint8Array(4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, tag >>> 16, le);
  dv.setUint16(2, tag & 0xffff, le);
  return out;
}

/** One element; `length` overrides the value length (0xFFFFFFFF for undefined length). */
export function element(enc: Enc, tag: number, vr: string, value: Uint8Array, length = value.byteLength): Uint8Array {
  const le = enc.littleEndian;
  if (!enc.explicit) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, length, le);
    return concat(tagBytes(tag, le), len, value);
  }
  const long = LONG.has(vr);
  const head = new Uint8Array(long ? 8 : 4);
  const dv = new DataView(head.buffer);
  head[0] = vr.charCodeAt(0);
  head[1] = vr.charCodeAt(1);
  if (long) dv.setUint32(4, length, le);
  else dv.setUint16(2, length, le);
  return concat(tagBytes(tag, le), head, value);
}

/** An item (FFFE,E000) holding `content`; undefined length adds an Item Delimitation Item. */
export function item(content: Uint8Array, le = true, undefinedLength = false): Uint8Array {
  const head = new Uint8Array(8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, 0xfffe, le);
  dv.setUint16(2, 0xe000, le);
  dv.setUint32(4, undefinedLength ? 0xffffffff : content.byteLength, le);
  return undefinedLength ? concat(head, content, delimiter(0xe00d, le)) : concat(head, content);
}

export function delimiter(element: 0xe00d | 0xe0dd, le = true): Uint8Array {
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 0xfffe, le);
  dv.setUint16(2, element, le);
  return out;
}

/** Preamble + DICM + a File Meta Information group naming the transfer syntax (always explicit VR LE). */
export function part10(transferSyntaxUid: string, body: Uint8Array): Uint8Array {
  const meta = concat(
    element(EXPLICIT_LE, 0x00020001, 'OB', new Uint8Array([0, 1])),
    element(EXPLICIT_LE, 0x00020010, 'UI', text(transferSyntaxUid, '\0')),
  );
  const groupLength = element(EXPLICIT_LE, 0x00020000, 'UL', new Uint8Array(new Uint32Array([meta.byteLength]).buffer));
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat(preamble, groupLength, meta, body);
}
