// JPEG 2000 (PS3.5 section 8.2.4, ISO/IEC 15444-1) through OpenJPEG compiled to WASM (@cornerstonejs/codec-openjpeg),
// loaded once on first use.
import type factory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import { decodeWithWasm } from './wasm-frame.js';
import type { FrameDecoder, PixelArray } from './types.js';

type Codec = Awaited<ReturnType<typeof factory>>;
let codec: Promise<Codec> | undefined;

function load(): Promise<Codec> {
  codec ??= import('@cornerstonejs/codec-openjpeg/decodewasmjs').then((m) => m.default());
  return codec;
}

/** Decodes one JPEG 2000 frame (PS3.5 section 8.2.4). */
export const decode: FrameDecoder = async (frame, info): Promise<PixelArray> => {
  const openjpeg = await load();
  return decodeWithWasm(new openjpeg.J2KDecoder(), frame, info, 'JPEG 2000', 'PS3.5 section 8.2.4');
};
