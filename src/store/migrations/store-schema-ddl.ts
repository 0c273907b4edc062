// DDL of the store's tables for both dialects: the current resource, its history, and one index table per
// search value kind (FHIR R4 search.html "Search Parameter Types"). Index text values that are range-scanned use
// the C collation on PostgreSQL so that prefix ranges (value >= p AND value < p') match byte order, as in SQLite.
import type { Dialect } from '../sql.js';

interface Types {
  json: string;
  text: string;
  ctext: string;
  ms: string;
  real: string;
}

const TYPES: Record<Dialect, Types> = {
  sqlite: { json: 'TEXT', text: 'TEXT', ctext: 'TEXT', ms: 'INTEGER', real: 'REAL' },
  postgres: { json: 'JSONB', text: 'TEXT', ctext: 'TEXT COLLATE "C"', ms: 'BIGINT', real: 'DOUBLE PRECISION' },
};

/** The index tables by value kind, with their value columns and the index each search needs. */
export const INDEX_TABLES = {
  string: 'search_string',
  token: 'search_token',
  reference: 'search_reference',
  date: 'search_date',
  number: 'search_number',
  quantity: 'search_quantity',
  uri: 'search_uri',
  composite: 'search_composite',
} as const;

export type IndexKind = keyof typeof INDEX_TABLES;

function indexTable(name: string, columns: string, searchIndex: string[], t: Types): string[] {
  return [
    `CREATE TABLE ${name} (resource_type VARCHAR(64) NOT NULL, resource_id VARCHAR(64) NOT NULL, ` +
      `code VARCHAR(100) NOT NULL, ${columns})`.replace(/\{(\w+)\}/g, (_, k: keyof Types) => t[k]),
    // Replacing rows on write, sorting and _include all look rows up by resource.
    `CREATE INDEX ${name}_resource ON ${name} (resource_type, resource_id, code)`,
    ...searchIndex.map((cols, i) => `CREATE INDEX ${name}_search${i} ON ${name} (${cols})`),
  ];
}

/** CREATE statements of the store schema, version 1. */
export function storeSchemaV1(dialect: Dialect): string[] {
  const t = TYPES[dialect];
  const part = (n: number): string =>
    `p${n}_system {ctext}, p${n}_value {ctext}, p${n}_number {real}, p${n}_start {ms}, p${n}_end {ms}`;
  return [
    `CREATE TABLE resource (resource_type VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL, ` +
      `version_id INTEGER NOT NULL, last_updated ${t.ms} NOT NULL, deleted SMALLINT NOT NULL DEFAULT 0, ` +
      `content ${t.json} NOT NULL, PRIMARY KEY (resource_type, id))`,
    `CREATE INDEX resource_type_updated ON resource (resource_type, last_updated)`,
    `CREATE TABLE resource_history (resource_type VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL, ` +
      `version_id INTEGER NOT NULL, last_updated ${t.ms} NOT NULL, method VARCHAR(8) NOT NULL, ` +
      `deleted SMALLINT NOT NULL DEFAULT 0, content ${t.json} NOT NULL, PRIMARY KEY (resource_type, id, version_id))`,
    `CREATE INDEX resource_history_updated ON resource_history (last_updated)`,
    `CREATE INDEX resource_history_type_updated ON resource_history (resource_type, last_updated)`,
    ...indexTable(
      'search_string',
      'value {ctext} NOT NULL, exact {text} NOT NULL',
      ['resource_type, code, value, resource_id'],
      t,
    ),
    ...indexTable(
      'search_token',
      'system {ctext}, value {ctext}, text {ctext}',
      ['resource_type, code, value, system, resource_id', 'resource_type, code, system, resource_id'],
      t,
    ),
    ...indexTable(
      'search_reference',
      'target_type VARCHAR(64), target_id VARCHAR(64), url {ctext}',
      [
        'resource_type, code, target_type, target_id, resource_id',
        'target_type, target_id',
        'resource_type, code, url',
      ],
      t,
    ),
    ...indexTable(
      'search_date',
      'start_ms {ms} NOT NULL, end_ms {ms} NOT NULL',
      ['resource_type, code, start_ms, end_ms'],
      t,
    ),
    ...indexTable('search_number', 'value {real} NOT NULL', ['resource_type, code, value'], t),
    ...indexTable(
      'search_quantity',
      'value {real} NOT NULL, system {ctext}, unit {ctext}',
      ['resource_type, code, value'],
      t,
    ),
    ...indexTable('search_uri', 'value {ctext} NOT NULL', ['resource_type, code, value, resource_id'], t),
    ...indexTable('search_composite', `${part(1)}, ${part(2)}`, ['resource_type, code, p1_value, p1_system'], t),
  ];
}

/** DROP statements undoing version 1. */
export function dropStoreSchemaV1(): string[] {
  return [...Object.values(INDEX_TABLES), 'resource_history', 'resource'].map((name) => `DROP TABLE ${name}`);
}
