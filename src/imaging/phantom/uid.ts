// DICOM UIDs of the phantom in the UUID-derived form "2.25.<UUID as a decimal integer>" (PS3.5 B.2, ISO/IEC 9834-8).
// Phantom UIDs are name-based (UUID version 5 over SHA-1): the same seed, options and role give the same UID, so a
// phantom is reproducible byte for byte, and different phantoms (or a different --uid-salt) never collide.
import { createHash } from 'node:crypto';

/** Root of every UID ct-fhir generates: UUID-derived UIDs (PS3.5 B.2). */
export const UID_ROOT = '2.25';

/** ct-fhir's namespace UUID for name-based UIDs (a fixed random UUID). */
const NAMESPACE = Buffer.from('3f1c6d2a9b7e4c58a1d0e6f2b4c8a971', 'hex');

/** A name-based (v5) UUID turned into a 2.25 UID; `name` identifies the object (e.g. "phantom/7/series/1"). */
export function uidFromName(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const bytes = Buffer.from(hash.subarray(0, 16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  return `${UID_ROOT}.${BigInt('0x' + bytes.toString('hex')).toString(10)}`;
}

/** ct-fhir's ImplementationClassUID (PS3.7 D.3.3.2), stable across releases of the writer. */
export const IMPLEMENTATION_CLASS_UID = uidFromName('ct-fhir/implementation');
/** ImplementationVersionName written into the file meta group (SH, at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = 'CTFHIR_PH_1';
