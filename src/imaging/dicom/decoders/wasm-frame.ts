// Shared glue for the Emscripten codecs (CharLS, OpenJPEG): copy the frame into WASM memory, decode, check the
// decoded geometry against the DICOM header, copy the samples out into a typed array of the frame's kind.
import { PixelDataError } from '../errors.js';
import { normaliseBitsStored, pixelArray, sampleCount, type FrameInfo, type PixelArray } from './types.js';

export interface WasmDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  delete(): void;
}

/**
 * True when the frame ends with an EOI/EOC marker (FFD9), allowing the one zero byte that pads a fragment to even
 * length (PS3.5 A.4). Checked before the codec runs: CharLS spends tens of seconds rejecting a truncated stream.
 */
export function endsWithEoi(frame: Uint8Array): boolean {
  let end = frame.byteLength;
  if (end > 0 && frame[end - 1] === 0) end--;
  return end >= 2 && frame[end - 2] === 0xff && frame[end - 1] === 0xd9;
}

/** Runs one decode on a fresh decoder instance and returns the frame's pixels. */
export function decodeWithWasm(
  decoder: WasmDecoder,
  frame: Uint8Array,
  info: FrameInfo,
  codec: string,
  section: string,
): PixelArray {
  if (!endsWithEoi(frame)) {
    decoder.delete();
    throw new PixelDataError(
      `${codec} frame of ${frame.byteLength} bytes does not end with the FFD9 end marker: truncated (${section})`,
    );
  }
  try {
    decoder.getEncodedBuffer(frame.byteLength).set(frame);
    try {
      decoder.decode();
    } catch (err) {
      throw new PixelDataError(`${codec} decoder rejected the frame: ${describe(err)} (${section})`);
    }
    const fi = decoder.getFrameInfo();
    if (fi.width !== info.columns || fi.height !== info.rows || fi.componentCount !== info.samplesPerPixel) {
      throw new PixelDataError(
        `${codec} frame is ${fi.width}x${fi.height}x${fi.componentCount} but the header says Columns ${info.columns}, ` +
          `Rows ${info.rows}, Samples per Pixel ${info.samplesPerPixel} (${section})`,
      );
    }
    const decoded = decoder.getDecodedBuffer();
    const pixels = pixelArray(info);
    const bytes = sampleCount(info) * (info.bitsAllocated / 8);
    if (decoded.byteLength < bytes) {
      throw new PixelDataError(`${codec} frame decoded to ${decoded.byteLength} bytes, expected ${bytes} (${section})`);
    }
    new Uint8Array(pixels.buffer, pixels.byteOffset, bytes).set(decoded.subarray(0, bytes));
    return normaliseBitsStored(pixels, info);
  } finally {
    decoder.delete();
  }
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  // Emscripten throws C++ exceptions as numbers (pointers) or strings.
  return typeof err === 'number' ? `codec error ${err}` : String(err);
}
