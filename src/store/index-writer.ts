// Statements that replace the search index rows of resources: delete the old rows and insert the new ones, run by
// write-plan.ts in the write's transaction, so the index always matches the current version.
import type { IndexPart, IndexRows } from '../fhir/search/types.js';
import { INDEX_TABLES, type IndexKind } from './migrations/store-schema-ddl.js';
import { normalizeString } from './normalize.js';
import { indexedPrefix } from './storable.js';
import { clampInstant, type Frag, raw, sql } from './sql.js';

type Row = unknown[];

/** Parameters answered from the resource row itself (id, last_updated columns): no index rows needed. */
const ROW_FIELDS = new Set(['_id', '_lastUpdated']);

/** Each index table's value columns, in the order indexValues writes them. */
export const INDEX_COLUMNS: Record<IndexKind, string[]> = {
  string: ['value', 'exact'],
  token: ['system', 'value', 'text'],
  reference: ['target_type', 'target_id', 'url'],
  date: ['start_ms', 'end_ms'],
  number: ['value'],
  quantity: ['value', 'system', 'unit'],
  uri: ['value'],
  composite: [
    'p1_system',
    'p1_value',
    'p1_number',
    'p1_start',
    'p1_end',
    'p2_system',
    'p2_value',
    'p2_number',
    'p2_start',
    'p2_end',
  ],
};

/** One composite part as the five p<n>_ columns (system, value, number, start, end). */
export function partColumns(part: IndexPart | undefined): Row {
  if (!part) return [null, null, null, null, null];
  switch (part.type) {
    case 'token':
      return [part.system, part.value, null, null, null];
    case 'quantity':
      return [part.system, part.unit, part.value, null, null];
    case 'date':
      return [null, null, null, clampInstant(part.start), clampInstant(part.end)];
    case 'string':
      return [null, normalizeString(part.value), null, null, null];
  }
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** Column values per table for a set of index rows (duplicates removed). */
export function indexValues(rows: IndexRows): Record<IndexKind, Row[]> {
  const out: Record<IndexKind, Row[]> = {
    string: rows.string.map((r) => [indexedPrefix(normalizeString(r.value)), r.exact ?? r.value]),
    token: rows.token.map((r) => [r.system, r.value, r.text ? normalizeString(r.text) : null]),
    reference: rows.reference.map((r) => [r.targetType, r.targetId, r.url]),
    date: rows.date.map((r) => [clampInstant(r.start), clampInstant(r.end)]),
    number: rows.number.filter((r) => finite(r.value) !== null).map((r) => [r.value]),
    quantity: rows.quantity.filter((r) => finite(r.value) !== null).map((r) => [r.value, r.system, r.unit]),
    uri: rows.uri.map((r) => [r.value]),
    composite: rows.composite.map((r) => [...partColumns(r.parts[0]), ...partColumns(r.parts[1])]),
  };
  const codes: Record<IndexKind, string[]> = {
    string: rows.string.map((r) => r.code),
    token: rows.token.map((r) => r.code),
    reference: rows.reference.map((r) => r.code),
    date: rows.date.map((r) => r.code),
    number: rows.number.filter((r) => finite(r.value) !== null).map((r) => r.code),
    quantity: rows.quantity.filter((r) => finite(r.value) !== null).map((r) => r.code),
    uri: rows.uri.map((r) => r.code),
    composite: rows.composite.map((r) => r.code),
  };
  for (const kind of Object.keys(out) as IndexKind[]) {
    const seen = new Set<string>();
    const withCode: Row[] = [];
    out[kind].forEach((values, i) => {
      const row = [codes[kind][i], ...values];
      const key = JSON.stringify(row);
      if (!seen.has(key) && !ROW_FIELDS.has(codes[kind][i]!)) {
        seen.add(key);
        withCode.push(row);
      }
    });
    out[kind] = withCode;
  }
  return out;
}

/** Rows per INSERT statement (keeps each statement well under both dialects' parameter limits). */
const CHUNK = 400;

/** One multi-row INSERT per chunk of rows. */
export function insertStatements(table: string, columns: string[], rows: unknown[][]): Frag[] {
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const out: Frag[] = [];
  for (let i = 0; i < rows.length; i += CHUNK) {
    const chunk = rows.slice(i, i + CHUNK);
    out.push({
      sql: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      params: chunk.flat(),
    });
  }
  return out;
}

/** DELETEs of every index row of a resource. */
export function indexDeleteStatements(resourceType: string, id: string): Frag[] {
  return Object.values(INDEX_TABLES).map(
    (table) => sql`DELETE FROM ${raw(table)} WHERE resource_type = ${resourceType} AND resource_id = ${id}`,
  );
}

/** INSERTs of the index rows of several resources, one multi-row statement per table (and chunk). */
export function indexInsertStatements(entries: { resourceType: string; id: string; rows: IndexRows }[]): Frag[] {
  const byKind = new Map<IndexKind, unknown[][]>();
  for (const { resourceType, id, rows } of entries) {
    const values = indexValues(rows);
    for (const kind of Object.keys(values) as IndexKind[]) {
      const list = byKind.get(kind) ?? [];
      for (const row of values[kind]) list.push([resourceType, id, ...row]);
      byKind.set(kind, list);
    }
  }
  return [...byKind].flatMap(([kind, rows]) =>
    insertStatements(INDEX_TABLES[kind], ['resource_type', 'resource_id', 'code', ...INDEX_COLUMNS[kind]], rows),
  );
}
