// Reading the DICOM JSON model (PS3.18 F.2) of QIDO-RS answers: attribute objects keyed by tag ("0020000E"),
// each with a vr and a Value array. Malformed answers are protocol errors.
import { DicomwebError } from './errors.js';

export type DicomJsonObject = Record<string, { vr?: string; Value?: unknown[] } | undefined>;

/** Checks that a QIDO answer is an array of DICOM JSON objects ([] for none). */
export function asDicomJsonArray(value: unknown, what: string): DicomJsonObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'object' || v === null || Array.isArray(v))) {
    throw new DicomwebError('protocol', `${what}: expected a DICOM JSON array (PS3.18 F.2)`);
  }
  return value as DicomJsonObject[];
}

/** First string value of an attribute (PN values give their Alphabetic component). */
export function jsonString(obj: DicomJsonObject, tag: string): string | undefined {
  const v = obj[tag]?.Value?.[0];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  if (v && typeof v === 'object' && 'Alphabetic' in v) return String((v as { Alphabetic: unknown }).Alphabetic);
  return undefined;
}

/** All string values of a multi-valued attribute. */
export function jsonStrings(obj: DicomJsonObject, tag: string): string[] | undefined {
  const values = obj[tag]?.Value;
  if (!values) return undefined;
  return values.map((v) => (typeof v === 'string' || typeof v === 'number' ? String(v) : ''));
}

/** Numeric values of an attribute (IS and DS arrive as numbers or strings). */
export function jsonNumbers(obj: DicomJsonObject, tag: string): number[] | undefined {
  const values = obj[tag]?.Value;
  if (!values) return undefined;
  const nums = values.map((v) => (typeof v === 'number' ? v : Number(v)));
  return nums.every((n) => Number.isFinite(n)) ? nums : undefined;
}

/** First numeric value of an attribute. */
export function jsonNumber(obj: DicomJsonObject, tag: string): number | undefined {
  return jsonNumbers(obj, tag)?.[0];
}
