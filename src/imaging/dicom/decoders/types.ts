// The one signature every pixel decoder has (one module per transfer syntax, as in cornerstone3D's
// dicomImageLoader/src/shared/decoders): encoded frame bytes + image pixel description -> typed pixel array.
import { PixelDataError } from '../errors.js';

/** Decoded samples: the typed array follows Bits Allocated and Pixel Representation (PS3.3 C.7.6.3.1). */
export type PixelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array;

/** The Image Pixel module attributes a decoder needs (PS3.3 section C.7.6.3). */
export interface FrameInfo {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  /** 0 unsigned, 1 two's complement. */
  pixelRepresentation: number;
  planarConfiguration: number;
  /** Byte order of native pixel data (false only for Explicit VR Big Endian). */
  littleEndian: boolean;
  transferSyntaxUid: string;
}

export type FrameDecoder = (frame: Uint8Array, info: FrameInfo) => PixelArray | Promise<PixelArray>;

/** Number of samples in one frame. */
export function sampleCount(info: FrameInfo): number {
  return info.rows * info.columns * info.samplesPerPixel;
}

/** Bytes in one native (uncompressed) frame (PS3.5 section 8.1.1). */
export function nativeFrameBytes(info: FrameInfo): number {
  return Math.ceil((sampleCount(info) * info.bitsAllocated) / 8);
}

/** A typed array of the right kind for the frame, over the given buffer or newly allocated. */
export function pixelArray(info: FrameInfo, buffer?: ArrayBufferLike, byteOffset = 0): PixelArray {
  const n = sampleCount(info);
  const signed = info.pixelRepresentation === 1;
  const buf = buffer ?? new ArrayBuffer(n * (info.bitsAllocated / 8));
  switch (info.bitsAllocated) {
    case 8:
      return signed ? new Int8Array(buf, byteOffset, n) : new Uint8Array(buf, byteOffset, n);
    case 16:
      return signed ? new Int16Array(buf, byteOffset, n) : new Uint16Array(buf, byteOffset, n);
    case 32:
      return signed ? new Int32Array(buf, byteOffset, n) : new Uint32Array(buf, byteOffset, n);
    default:
      throw new PixelDataError(
        `Bits Allocated ${info.bitsAllocated} is not supported (8, 16 or 32; PS3.3 C.7.6.3.1.1)`,
      );
  }
}

/**
 * Keeps only the Bits Stored low bits and sign-extends them for signed data (PS3.5 section 8.1.1: bits above the
 * High Bit carry no pixel value). Codecs return the stored bits as unsigned numbers; this gives the sample values.
 */
export function normaliseBitsStored(pixels: PixelArray, info: FrameInfo): PixelArray {
  const stored = info.bitsStored;
  if (stored >= info.bitsAllocated || stored <= 0) return pixels;
  const mask = 2 ** stored - 1;
  const signBit = 2 ** (stored - 1);
  const range = 2 ** stored;
  const signed = info.pixelRepresentation === 1;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]! & mask;
    pixels[i] = signed && v >= signBit ? v - range : v;
  }
  return pixels;
}
