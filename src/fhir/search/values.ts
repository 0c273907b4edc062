// Value normalisation shared by the indexer and the query parser, so that both sides compare the same text.
// FHIR R4 search on strings: http://hl7.org/fhir/R4/search.html#string ; references: #reference
import { isKnownResourceType } from './registry.js';

/** Printable ASCII words separated by single spaces: only lower-casing is needed. */
const SIMPLE = /^[!-~]+(?: [!-~]+)*$/;
const cache = new Map<string, string>();

/**
 * Lower case, accents (combining marks) folded, whitespace collapsed and trimmed: "Zoë" and " ZOE" both become
 * "zoe" (search.html#string). Must stay identical to the store's query-side normalisation (src/store/normalize.ts).
 */
export function normalizeString(text: string): string {
  if (SIMPLE.test(text)) return text.toLowerCase();
  let out = cache.get(text);
  if (out === undefined) {
    out = text
      .normalize('NFD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .trim();
    // Displays and names repeat across resources; a bounded cache keeps the Unicode work rare.
    if (cache.size >= 10_000) cache.clear();
    cache.set(text, out);
  }
  return out;
}

export interface ParsedReference {
  resourceType?: string;
  id?: string;
  /** Set for absolute URLs (http:, https:, urn:), which are kept as written. */
  url?: string;
}

const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const TAIL_RE = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The prefix this server's own absolute references start with (`<base URL>/`); undefined without a base. */
export function basePrefix(baseUrl: string | undefined): string | undefined {
  return baseUrl === undefined ? undefined : `${baseUrl.replace(/\/+$/, '')}/`;
}

/** A reference on this server's base (`prefix` from basePrefix) as the relative `Type/id` it names; others as they are. */
export function onBase(reference: string, prefix: string | undefined): string {
  return prefix !== undefined && reference.startsWith(prefix) ? reference.slice(prefix.length) : reference;
}

/**
 * Parses a reference string (http://hl7.org/fhir/R4/references.html#literal): `Type/id[/_history/v]` gives type and
 * id; an absolute URL is kept as `url` with the type taken from its `.../Type/id` tail when it has one; contained
 * references (`#x`) and anything else unparseable give undefined.
 */
export function parseReferenceString(reference: string): ParsedReference | undefined {
  const ref = reference.trim();
  if (ref === '' || ref.startsWith('#')) return undefined;
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
    const tail = TAIL_RE.exec(ref);
    const type = tail?.[1];
    return type !== undefined && isKnownResourceType(type) ? { url: ref, resourceType: type } : { url: ref };
  }
  const tail = TAIL_RE.exec(ref);
  if (!tail || tail.index !== 0 || !tail[1] || !tail[2] || !isKnownResourceType(tail[1])) return undefined;
  return { resourceType: tail[1], id: tail[2] };
}

/** True for a syntactically valid resource id (http://hl7.org/fhir/R4/datatypes.html#id). */
export function isValidId(id: string): boolean {
  return ID_RE.test(id);
}
