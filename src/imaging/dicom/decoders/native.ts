// Native (uncompressed) pixel data, PS3.5 section 8.1.1: a view over the bytes when aligned and little endian,
// otherwise one copy (misaligned start, or byte-swapped for Explicit VR Big Endian).
import { PixelDataError } from '../errors.js';
import { nativeFrameBytes, normaliseBitsStored, pixelArray, type FrameDecoder, type PixelArray } from './types.js';

/** Decodes one native frame (PS3.5 section 8.1.1). */
export const decode: FrameDecoder = (frame, info): PixelArray => {
  const expected = nativeFrameBytes(info);
  if (frame.byteLength < expected) {
    throw new PixelDataError(
      `native pixel data frame has ${frame.byteLength} bytes, expected ${expected} = Rows ${info.rows} x Columns ` +
        `${info.columns} x Samples ${info.samplesPerPixel} x ${info.bitsAllocated} bits (PS3.5 section 8.1.1)`,
    );
  }
  const width = info.bitsAllocated / 8;
  let bytes = frame.subarray(0, expected);
  if (!info.littleEndian && width > 1) {
    bytes = swapBytes(bytes, width);
  } else if (bytes.byteOffset % width !== 0) {
    bytes = bytes.slice(); // typed-array views need an aligned start
  }
  return normaliseBitsStored(pixelArray(info, bytes.buffer, bytes.byteOffset), info);
};

function swapBytes(src: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(src.byteLength);
  for (let i = 0; i < src.byteLength; i += width) {
    for (let b = 0; b < width; b++) out[i + b] = src[i + width - 1 - b]!;
  }
  return out;
}
