// Decoding of rows read back from either driver: jsonb arrives parsed from pg and as text from SQLite; BIGINT
// arrives as a string from pg.
import type { Resource } from 'fhir/r4.js';
import type { EntityManager } from 'typeorm';
import { type Dialect, type Frag, render } from './sql.js';

/** Parses stored content and puts resourceType, id and meta first again (jsonb reorders keys by length). */
export function decodeContent<T extends Resource = Resource>(value: unknown): T {
  const obj = (typeof value === 'string' ? JSON.parse(value) : value) as T;
  const { resourceType, id, meta, ...rest } = obj as Resource & Record<string, unknown>;
  return { resourceType, id, meta, ...rest } as unknown as T;
}

/** A BIGINT / INTEGER column as a number. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** What a read needs: typeorm's EntityManager, or a `readerOf` reader (sqlite-reader.ts, pg-reader.ts). */
export interface Queryable {
  query(text: string, params?: unknown[]): Promise<unknown>;
}

/** Runs a SELECT and returns its rows. */
export async function select<R>(m: Queryable, d: Dialect, frag: Frag): Promise<R[]> {
  return (await m.query(...render(frag, d))) as R[];
}

/** Runs a write statement in a transaction and returns the affected row count. */
export async function execute(m: EntityManager, d: Dialect, frag: Frag): Promise<number> {
  if (!m.queryRunner) throw new Error('writes must run inside a transaction');
  const [text, params] = render(frag, d);
  const result = await m.queryRunner.query(text, params, true);
  return result.affected ?? 0;
}

/** Canonical JSON (sorted keys) for content comparison. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(
        Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    return v;
  });
}
