// The data dictionary (PS3.6 section 6) as data: dictionary.json holds the tags ct-fhir reads. Implicit VR datasets
// take their VRs from it; getters accept a keyword from it instead of a numeric tag.
import dictionaryJson from './dictionary.json' with { type: 'json' };

export interface DictionaryEntry {
  tag: number;
  vr: string;
  keyword: string;
}

const byTag = new Map<number, DictionaryEntry>();
const byKeyword = new Map<string, DictionaryEntry>();
for (const [hex, e] of Object.entries(dictionaryJson.tags as Record<string, { vr: string; keyword: string }>)) {
  const entry: DictionaryEntry = { tag: parseInt(hex, 16) >>> 0, vr: e.vr, keyword: e.keyword };
  byTag.set(entry.tag, entry);
  byKeyword.set(entry.keyword, entry);
}

/** A tag as a number (0x00280010) or a dictionary keyword ('Rows'). */
export type TagRef = number | string;

/** Resolves a keyword or numeric tag to the 32-bit tag number; unknown keywords throw. */
export function tagOf(ref: TagRef): number {
  if (typeof ref === 'number') return ref >>> 0;
  const entry = byKeyword.get(ref);
  if (!entry) throw new Error(`unknown DICOM keyword "${ref}" (not in src/imaging/dicom/dictionary.json)`);
  return entry.tag;
}

/** Dictionary entry of a tag, or undefined for tags ct-fhir does not know (read as UN). */
export function lookupTag(tag: number): DictionaryEntry | undefined {
  return byTag.get(tag >>> 0);
}

/** Formats a tag as (gggg,eeee) with its keyword when known, for messages. */
export function formatTag(tag: number): string {
  const hex = (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const kw = byTag.get(tag >>> 0)?.keyword;
  return `(${hex.slice(0, 4)},${hex.slice(4)})${kw ? ' ' + kw : ''}`;
}

/** Well-known tags used in code paths (numbers, so hot loops skip the keyword lookup). */
export const Tags = {
  TransferSyntaxUID: 0x00020010,
  SpecificCharacterSet: 0x00080005,
  PixelData: 0x7fe00010,
  ExtendedOffsetTable: 0x7fe00001,
  ExtendedOffsetTableLengths: 0x7fe00002,
  Item: 0xfffee000,
  ItemDelimitation: 0xfffee00d,
  SequenceDelimitation: 0xfffee0dd,
} as const;
