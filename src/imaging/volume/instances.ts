// Adapter from a stream of Part 10 bytes (WADO-RS multipart parts, files) to parsed instances for assembleVolume:
// each instance is parsed when it arrives and its bytes are released after its slice is stored.
import { DicomParseError, parseDicom, type DicomDataset } from '../dicom/index.js';
import { VolumeError } from './types.js';

/** Parses each Part 10 instance as it arrives (PS3.10 7.1); a corrupt one is VolumeError('unreadable') with its index. */
export async function* parseInstances(
  parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): AsyncGenerator<DicomDataset> {
  let index = 0;
  for await (const bytes of parts) {
    index++;
    let ds: DicomDataset;
    try {
      ds = parseDicom(bytes);
    } catch (err) {
      if (err instanceof DicomParseError) throw new VolumeError('unreadable', `instance ${index}: ${err.message}`);
      throw err;
    }
    yield ds;
  }
}
