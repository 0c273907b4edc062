// JPEG Lossless, Non-Hierarchical, Process 14 (any selection value, incl. SV1; PS3.5 section 8.2.1, ISO/IEC 10918-1
// Annex H) through jpeg-lossless-decoder-js, loaded once on first use.
import type * as JpegLossless from 'jpeg-lossless-decoder-js';
import { PixelDataError } from '../errors.js';
import { normaliseBitsStored, sampleCount, type FrameDecoder, type PixelArray } from './types.js';

type Codec = typeof JpegLossless;
let codec: Promise<Codec> | undefined;

/** Decodes one JPEG Lossless frame (PS3.5 section 8.2.1). */
export const decode: FrameDecoder = async (frame, info): Promise<PixelArray> => {
  codec ??= import('jpeg-lossless-decoder-js');
  const { Decoder } = await codec;
  const bytesPerSample = info.bitsAllocated / 8;
  let out: Uint8Array | Uint16Array;
  try {
    out = new Decoder().decode(frame.buffer, frame.byteOffset, frame.byteLength, bytesPerSample);
  } catch (err) {
    throw new PixelDataError(
      `JPEG Lossless decoder rejected the frame: ${(err as Error).message} (PS3.5 section 8.2.1)`,
    );
  }
  const n = sampleCount(info);
  if (out.length < n) {
    throw new PixelDataError(
      `JPEG Lossless frame decoded to ${out.length} samples, expected ${n} (PS3.5 section 8.2.1)`,
    );
  }
  const signed = info.pixelRepresentation === 1;
  let pixels: PixelArray;
  if (bytesPerSample === 1)
    pixels = signed ? new Int8Array(out.buffer, out.byteOffset, n) : new Uint8Array(out.buffer, out.byteOffset, n);
  else if (bytesPerSample === 2)
    pixels = signed ? new Int16Array(out.buffer, out.byteOffset, n) : new Uint16Array(out.buffer, out.byteOffset, n);
  else
    throw new PixelDataError(
      `JPEG Lossless with Bits Allocated ${info.bitsAllocated} is not supported (8 or 16; PS3.5 section 8.2.1)`,
    );
  return normaliseBitsStored(pixels, info);
};
