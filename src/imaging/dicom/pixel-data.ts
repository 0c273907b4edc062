// Pixel Data (7FE0,0010) to frames and samples: native frames by offset (PS3.5 section 8.1.1), encapsulated frames
// from fragments through the Basic or Extended Offset Table (PS3.5 section A.4), each decoded by the decoder that
// the transfer syntax names.
import type { DicomDataset } from './dataset.js';
import { PixelDataError } from './errors.js';
import { Tags } from './dictionary.js';
import { transferSyntax } from './transfer-syntax.js';
import { decoderFor } from './decoders/registry.js';
import { nativeFrameBytes, type FrameInfo, type PixelArray } from './decoders/types.js';

/** The Image Pixel module of a dataset (PS3.3 section C.7.6.3), with defaults where the standard gives one. */
export function frameInfo(ds: DicomDataset): FrameInfo {
  const rows = ds.number(0x00280010);
  const columns = ds.number(0x00280011);
  if (!rows || !columns)
    throw new PixelDataError('Rows (0028,0010) and Columns (0028,0011) are required for pixel data (PS3.3 C.7.6.3)');
  const bitsAllocated = ds.number(0x00280100) ?? 16;
  if (![8, 16, 32].includes(bitsAllocated))
    throw new PixelDataError(`Bits Allocated ${bitsAllocated} is not supported (8, 16 or 32; PS3.3 C.7.6.3.1.1)`);
  const bitsStored = ds.number(0x00280101) ?? bitsAllocated;
  if (!(bitsStored >= 1 && bitsStored <= bitsAllocated))
    throw new PixelDataError(`Bits Stored ${bitsStored} must be 1 to Bits Allocated ${bitsAllocated} (PS3.3 C.7.6.3)`);
  // Samples not in the low bits would need a shift that every decoder applies alike; CT forbids them anyway.
  const highBit = ds.number(0x00280102) ?? bitsStored - 1;
  if (highBit !== bitsStored - 1) {
    throw new PixelDataError(
      `High Bit ${highBit} with Bits Stored ${bitsStored} is not supported: samples must sit in the low bits, ` +
        `High Bit = Bits Stored - 1 (PS3.3 C.8.2.1.1.4)`,
    );
  }
  return {
    rows,
    columns,
    samplesPerPixel: ds.number(0x00280002) ?? 1,
    bitsAllocated,
    bitsStored,
    pixelRepresentation: ds.number(0x00280103) ?? 0,
    planarConfiguration: ds.number(0x00280006) ?? 0,
    littleEndian: ds.littleEndian,
    transferSyntaxUid: ds.transferSyntaxUid,
  };
}

/** A US or SS value as the sample it pads: 16 or 32 bits, signed when the pixels are (PS3.3 C.7.5.1.1.2). */
function paddingSample(ds: DicomDataset, tag: number, info: FrameInfo): number | undefined {
  const v = ds.bytes(tag);
  if (!v || (v.byteLength !== 2 && v.byteLength !== 4)) return undefined;
  const dv = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const signed = info.pixelRepresentation === 1;
  // The VR may disagree with Pixel Representation (US written for signed pixels): the pixels decide.
  let value =
    v.byteLength === 2
      ? signed
        ? dv.getInt16(0, ds.littleEndian)
        : dv.getUint16(0, ds.littleEndian)
      : signed
        ? dv.getInt32(0, ds.littleEndian)
        : dv.getUint32(0, ds.littleEndian);
  // Samples keep only their Bits Stored (normaliseBitsStored); a padding value written with the high bits set
  // (0xF830 for -2000 in 12 bits) must be read the same way to match them.
  if (info.bitsStored < info.bitsAllocated) {
    const range = 2 ** info.bitsStored;
    value = ((value % range) + range) % range;
    if (signed && value >= range / 2) value -= range;
  }
  return value;
}

/**
 * The stored values that are padding, not tissue (PS3.3 C.7.5.1.1.2): Pixel Padding Value (0028,0120) alone, or the
 * inclusive range up to Pixel Padding Range Limit (0028,0121), either end the higher; undefined when absent.
 */
export function pixelPadding(ds: DicomDataset): [number, number] | undefined {
  const info = frameInfo(ds);
  const value = paddingSample(ds, 0x00280120, info);
  if (value === undefined) return undefined;
  const limit = paddingSample(ds, 0x00280121, info) ?? value;
  return [Math.min(value, limit), Math.max(value, limit)];
}

/** Number of frames (Number of Frames, PS3.3 C.7.6.6; 1 when absent). */
export function frameCount(ds: DicomDataset): number {
  const n = ds.number(0x00280008);
  return n !== undefined && n >= 1 ? Math.floor(n) : 1;
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

function readOffsets(bytes: Uint8Array | undefined, width: 4 | 8): number[] {
  if (!bytes || bytes.byteLength === 0) return [];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = [];
  for (let o = 0; o + width <= bytes.byteLength; o += width) {
    out.push(width === 4 ? dv.getUint32(o, true) : Number(dv.getBigUint64(o, true)));
  }
  return out;
}

/** Fragments of frame `index`, given frame start offsets measured from the first fragment's Item tag. */
function byOffsets(fragments: Uint8Array[], offsets: number[], index: number, table: string): Uint8Array {
  const start = offsets[index]!;
  const end = offsets[index + 1] ?? Infinity;
  const parts: Uint8Array[] = [];
  let position = 0;
  for (const fragment of fragments) {
    if (position >= start && position < end) parts.push(fragment);
    position += 8 + fragment.byteLength; // item tag + length + value (PS3.5 A.4)
  }
  if (parts.length === 0)
    throw new PixelDataError(
      `${table} offset ${start} of frame ${index + 1} does not start a fragment (PS3.5 section A.4)`,
    );
  return concat(parts);
}

/** The encoded bytes of one frame (0-based), native or encapsulated. */
export function frameBytes(ds: DicomDataset, index: number): Uint8Array {
  const el = ds.element(Tags.PixelData);
  if (!el) throw new PixelDataError('no Pixel Data (7FE0,0010) in the instance (PS3.3 C.7.6.3)');
  const frames = frameCount(ds);
  if (index < 0 || index >= frames)
    throw new PixelDataError(`frame ${index + 1} requested but the instance has ${frames} frame(s)`);
  if (!el.fragments) {
    if (transferSyntax(ds.transferSyntaxUid)?.encapsulated) {
      throw new PixelDataError(
        `Pixel Data of ${ds.transferSyntaxUid} must be encapsulated (undefined length; PS3.5 section A.4)`,
      );
    }
    const size = nativeFrameBytes(frameInfo(ds));
    if (el.value.byteLength < size * frames) {
      throw new PixelDataError(
        `native Pixel Data has ${el.value.byteLength} bytes, expected ${size * frames} for ${frames} frame(s) (PS3.5 section 8.1.1)`,
      );
    }
    return el.value.subarray(index * size, (index + 1) * size);
  }
  const [bot, ...data] = el.fragments;
  if (data.length === 0) throw new PixelDataError('encapsulated Pixel Data holds no fragments (PS3.5 section A.4)');
  const basic = readOffsets(bot, 4);
  if (basic.length > 0) {
    if (basic.length !== frames)
      throw new PixelDataError(
        `Basic Offset Table has ${basic.length} entries for ${frames} frames (PS3.5 section A.4)`,
      );
    return byOffsets(data, basic, index, 'Basic Offset Table');
  }
  const extended = readOffsets(ds.bytes(Tags.ExtendedOffsetTable), 8);
  if (extended.length === frames) return byOffsets(data, extended, index, 'Extended Offset Table');
  if (frames === 1) return concat(data);
  if (data.length === frames) return data[index]!;
  throw new PixelDataError(
    `cannot split ${data.length} fragments into ${frames} frames without an offset table (PS3.5 section A.4)`,
  );
}

/** Decodes one frame (0-based) of an instance's Pixel Data with the decoder of its transfer syntax. */
export async function readPixelData(ds: DicomDataset, frame = 0): Promise<PixelArray> {
  const info = frameInfo(ds);
  const bytes = frameBytes(ds, frame);
  const decode = await decoderFor(ds.transferSyntaxUid);
  return decode(bytes, info);
}
