// Transfer syntaxes (PS3.5 section 10; UIDs in PS3.6 Annex A) from transfer-syntaxes.json: how a dataset is encoded
// and which pixel decoder reads it.
import syntaxesJson from './transfer-syntaxes.json' with { type: 'json' };

export type DecoderName = 'native' | 'rle' | 'jpeg-lossless' | 'jpeg-ls' | 'jpeg2000';

export interface TransferSyntax {
  uid: string;
  name: string;
  explicitVR: boolean;
  littleEndian: boolean;
  deflated: boolean;
  encapsulated: boolean;
  /** Decoder module, or null when ct-fhir knows the syntax but cannot decode its pixels. */
  decoder: DecoderName | null;
}

const table = new Map<string, TransferSyntax>(
  (syntaxesJson.syntaxes as TransferSyntax[]).map((s) => [s.uid, s] as const),
);

export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

/** The transfer syntax of a UID, or undefined when the UID is not in transfer-syntaxes.json. */
export function transferSyntax(uid: string): TransferSyntax | undefined {
  return table.get(uid);
}

/** True when ct-fhir decodes the pixel data of this transfer syntax (a known UID with a decoder). */
export function isDecodable(uid: string): boolean {
  return (table.get(uid)?.decoder ?? null) !== null;
}

/** Every transfer syntax whose pixel data ct-fhir decodes (for capability listings and tests). */
export function decodableTransferSyntaxes(): TransferSyntax[] {
  return [...table.values()].filter((s) => s.decoder !== null);
}
