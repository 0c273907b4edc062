// Public API of the DICOM reader: Part 10 parsing (PS3.10), datasets with typed getters, pixel decoding by transfer
// syntax (PS3.5). Other modules import from here only.
export { parseDicom, type ParseOptions } from './parse.js';
export { DicomDataset, type DicomElement } from './dataset.js';
export { DicomParseError, PixelDataError } from './errors.js';
export { tagOf, lookupTag, formatTag, Tags, type TagRef, type DictionaryEntry } from './dictionary.js';
export {
  transferSyntax,
  isDecodable,
  decodableTransferSyntaxes,
  EXPLICIT_VR_LITTLE_ENDIAN,
  type TransferSyntax,
} from './transfer-syntax.js';
export { readPixelData, frameBytes, frameInfo, frameCount, pixelPadding } from './pixel-data.js';
export { decoderFor } from './decoders/registry.js';
export type { PixelArray, FrameInfo, FrameDecoder } from './decoders/types.js';
