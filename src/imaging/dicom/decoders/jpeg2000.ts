// JPEG 2000 (PS3.5 section 8.2.4, ISO/IEC 15444-1) through OpenJPEG compiled to WASM (@cornerstonejs/codec-openjpeg),
// loaded once on first use.
import type factory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import { decodeWithWasm } from './wasm-frame.js';
import type { FrameDecoder, PixelArray } from './types.js';

type Codec = Awaited<ReturnType<typeof factory>>;
let codec: Promise<Codec> | undefined;

const quiet = (): void => undefined;

function load(): Promise<Codec> {
  // OpenJPEG prints [INFO] lines per frame on stdout (which carries `inspect --json`) and its errors on stderr (which
  // carries JSON logs); both are dropped: a failed decode reaches us as an exception and becomes a PixelDataError.
  codec ??= import('@cornerstonejs/codec-openjpeg/decodewasmjs').then((m) =>
    m.default({ print: quiet, printErr: quiet }),
  );
  return codec;
}

/** Decodes one JPEG 2000 frame (PS3.5 section 8.2.4). */
export const decode: FrameDecoder = async (frame, info): Promise<PixelArray> => {
  const openjpeg = await load();
  return decodeWithWasm(new openjpeg.J2KDecoder(), frame, info, 'JPEG 2000', 'PS3.5 section 8.2.4');
};
