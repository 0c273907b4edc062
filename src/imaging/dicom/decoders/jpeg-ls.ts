// JPEG-LS lossless and near-lossless (PS3.5 section 8.2.3, ISO/IEC 14495-1) through CharLS compiled to WASM
// (@cornerstonejs/codec-charls), loaded once on first use.
import type factory from '@cornerstonejs/codec-charls/decodewasmjs';
import { decodeWithWasm } from './wasm-frame.js';
import type { FrameDecoder, PixelArray } from './types.js';

type Codec = Awaited<ReturnType<typeof factory>>;
let codec: Promise<Codec> | undefined;

function load(): Promise<Codec> {
  codec ??= import('@cornerstonejs/codec-charls/decodewasmjs').then((m) => m.default());
  return codec;
}

/** Decodes one JPEG-LS frame (PS3.5 section 8.2.3). */
export const decode: FrameDecoder = async (frame, info): Promise<PixelArray> => {
  const charls = await load();
  return decodeWithWasm(new charls.JpegLSDecoder(), frame, info, 'JPEG-LS', 'PS3.5 section 8.2.3');
};
