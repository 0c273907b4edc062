// One map from transfer syntax to decoder module (transfer-syntaxes.json names the module); each module is imported
// on first use, so a server that only reads native CT never loads a WASM codec.
import { PixelDataError } from '../errors.js';
import { transferSyntax, type DecoderName } from '../transfer-syntax.js';
import type { FrameDecoder } from './types.js';

const loaders: Record<DecoderName, () => Promise<FrameDecoder>> = {
  native: async () => (await import('./native.js')).decode,
  rle: async () => (await import('./rle.js')).decode,
  'jpeg-lossless': async () => (await import('./jpeg-lossless.js')).decode,
  'jpeg-ls': async () => (await import('./jpeg-ls.js')).decode,
  jpeg2000: async () => (await import('./jpeg2000.js')).decode,
};
const loaded = new Map<DecoderName, Promise<FrameDecoder>>();

/** The decoder for a transfer syntax UID; a PixelDataError naming the syntax when ct-fhir cannot decode it. */
export function decoderFor(transferSyntaxUid: string): Promise<FrameDecoder> {
  const ts = transferSyntax(transferSyntaxUid);
  if (!ts) {
    return Promise.reject(
      new PixelDataError(`unsupported transfer syntax ${transferSyntaxUid} (unknown UID; PS3.5 section 10)`),
    );
  }
  if (!ts.decoder) {
    return Promise.reject(
      new PixelDataError(
        `unsupported transfer syntax: ${ts.name} (${ts.uid}); ct-fhir decodes native, RLE, JPEG Lossless, JPEG-LS and JPEG 2000`,
      ),
    );
  }
  let decoder = loaded.get(ts.decoder);
  if (!decoder) {
    decoder = loaders[ts.decoder]();
    loaded.set(ts.decoder, decoder);
  }
  return decoder;
}
