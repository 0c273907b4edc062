// RLE Lossless (PS3.5 Annex G): a 64-byte header of segment offsets, then one PackBits segment per byte plane,
// most significant byte first (G.2); decoded straight into the output typed array.
import { PixelDataError } from '../errors.js';
import { normaliseBitsStored, pixelArray, type FrameDecoder, type PixelArray } from './types.js';

/** Decodes one RLE Lossless frame (PS3.5 Annex G). */
export const decode: FrameDecoder = (frame, info): PixelArray => {
  if (frame.byteLength < 64) {
    throw new PixelDataError(
      `RLE frame has ${frame.byteLength} bytes, less than its 64-byte header (PS3.5 section G.5)`,
    );
  }
  const header = new DataView(frame.buffer, frame.byteOffset, 64);
  const segments = header.getUint32(0, true);
  const bytesPerSample = info.bitsAllocated / 8;
  const expectedSegments = info.samplesPerPixel * bytesPerSample;
  if (segments !== expectedSegments) {
    throw new PixelDataError(
      `RLE header lists ${segments} segments, expected ${expectedSegments} (Samples per Pixel x bytes per sample; PS3.5 section G.2)`,
    );
  }
  const pixels = pixelArray(info);
  const out = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const perSegment = info.rows * info.columns;
  const stride = info.samplesPerPixel * bytesPerSample; // bytes between consecutive pixels in the output
  for (let s = 0; s < segments; s++) {
    const start = header.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? header.getUint32(8 + 4 * s, true) : frame.byteLength;
    if (start < 64 || end > frame.byteLength || start > end) {
      throw new PixelDataError(
        `RLE segment ${s + 1} offset ${start}..${end} lies outside the ${frame.byteLength}-byte frame (PS3.5 section G.5)`,
      );
    }
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // segment 0 is the most significant byte
    const written = unpackBits(frame, start, end, out, sample * bytesPerSample + byteInSample, stride, perSegment);
    if (written < perSegment) {
      throw new PixelDataError(
        `RLE segment ${s + 1} decodes to ${written} bytes, expected Rows x Columns = ${perSegment} (PS3.5 section G.3.1)`,
      );
    }
  }
  return normaliseBitsStored(pixels, info);
};

/** PackBits (PS3.5 G.3.1): writes up to `count` bytes at out[first + k*stride]; returns the number written. */
function unpackBits(
  src: Uint8Array,
  pos: number,
  end: number,
  out: Uint8Array,
  first: number,
  stride: number,
  count: number,
): number {
  let k = 0;
  let o = first;
  while (pos < end && k < count) {
    const n = src[pos++]!;
    if (n < 128) {
      // literal run of n+1 bytes
      const stop = Math.min(pos + n + 1, end);
      while (pos < stop && k < count) {
        out[o] = src[pos++]!;
        o += stride;
        k++;
      }
    } else if (n > 128) {
      // replicate the next byte 257-n times
      const value = src[pos++]!;
      const stop = Math.min(k + 257 - n, count);
      while (k < stop) {
        out[o] = value;
        o += stride;
        k++;
      }
    }
    // n === 128 is a no-op (G.3.1)
  }
  return k;
}
