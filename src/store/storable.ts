// Values the databases cannot hold, rejected the same way on SQLite and PostgreSQL (400 naming the element) before
// anything is written: PostgreSQL text and jsonb refuse U+0000, and a B-tree index row holds at most 2704 bytes.
import type { Resource } from 'fhir/r4.js';
import { badRequest } from '../fhir/outcomes.js';
import { getSearchParam } from '../fhir/search/registry.js';
import type { IndexPart, IndexRows } from '../fhir/search/types.js';

/**
 * Most UTF-8 bytes of text one index row carries in its index keys (token system + value, a string's normalised
 * value, a URI, a reference URL, a quantity's system + unit, a composite's first part). With the row's type, code
 * and id (at most 228 bytes) the key stays under PostgreSQL's 2704-byte B-tree limit even when it does not compress.
 */
export const MAX_INDEXED_BYTES = 2048;

type Text = string | null | undefined;

function partText(p: IndexPart | undefined): Text[] {
  if (p?.type === 'token') return [p.system, p.value];
  if (p?.type === 'quantity') return [p.system, p.unit];
  if (p?.type === 'string') return [p.value];
  return [];
}

/** The indexed text columns of each kind of index row (index-writer.ts; the DDL in migrations/). */
const INDEXED: { [K in keyof IndexRows]: (row: IndexRows[K][number]) => Text[] } = {
  string: () => [],
  token: (r) => [r.system, r.value],
  reference: (r) => [r.url],
  date: () => [],
  number: () => [],
  quantity: (r) => [r.system, r.unit],
  uri: (r) => [r.value],
  // Only the first part is in an index (store-schema-ddl.ts: search_composite_search0).
  composite: (r) => partText(r.parts[0]),
};

const bytes = (texts: Text[]): number => texts.reduce((n, t) => n + (t ? Buffer.byteLength(t) : 0), 0);

/**
 * A string search value as it is indexed and searched: its first MAX_INDEXED_BYTES (UTF-8, on a character boundary).
 * Free text that long (Observation.valueString) is stored and found by any shorter prefix; `:exact` also compares
 * the full-text column, and only `:contains` misses what lies beyond the cut.
 */
export function indexedPrefix(text: string): string {
  if (Buffer.byteLength(text) <= MAX_INDEXED_BYTES) return text;
  const cut = Buffer.from(text).subarray(0, MAX_INDEXED_BYTES).toString('utf8');
  return cut.endsWith('\uFFFD') ? cut.slice(0, -1) : cut;
}

/**
 * Throws 400 naming the parameter's element when an index row's text is over MAX_INDEXED_BYTES: identifiers, codes,
 * URIs and references that long are not real ones. String values are cut instead (indexedPrefix).
 */
export function assertIndexable(resourceType: string, rows: IndexRows): void {
  for (const kind of Object.keys(INDEXED) as (keyof IndexRows)[]) {
    const texts = INDEXED[kind] as (row: IndexRows[typeof kind][number]) => Text[];
    for (const row of rows[kind]) {
      const size = bytes(texts(row));
      if (size <= MAX_INDEXED_BYTES) continue;
      const element = getSearchParam(resourceType, row.code)?.expression ?? `${resourceType} (${row.code})`;
      throw badRequest(
        `${element}: a value of ${size} bytes is too long to index for search '${row.code}' (at most ${MAX_INDEXED_BYTES} bytes)`,
        element,
      );
    }
  }
}

/** The path of the first string holding U+0000 (e.g. `Patient.name[0].family`), or undefined. */
function nulPath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = nulPath(v, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const found = nulPath(v, `${path}.${k}`) ?? (k.includes('\u0000') ? `${path}.${k}` : undefined);
    if (found) return found;
  }
  return undefined;
}

/**
 * Throws 400 when the resource holds a NUL character (FHIR strings may not: datatypes.html#string). `json` is the
 * serialised resource: JSON escapes NUL as \u0000, so a resource without that text needs no walk.
 */
export function assertNoNul(resource: Resource, json: string): void {
  if (!json.includes('\\u0000')) return;
  const path = nulPath(resource, resource.resourceType);
  if (path) throw badRequest(`${path} contains a NUL character (U+0000), which FHIR strings may not hold`, path);
}
