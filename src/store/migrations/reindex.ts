// Recomputes one index table's rows for the resources a query names, with the current indexer: what a migration runs
// when the indexer writes rows differently from before. An absolute reference on this server's own base is indexed as
// its URL here (a migration does not know BASE_URL) until the resource is written again.
import type { Resource } from 'fhir/r4.js';
import type { QueryRunner } from 'typeorm';
import { indexResource } from '../../fhir/search/indexer.js';
import { INDEX_COLUMNS, indexValues, insertStatements } from '../index-writer.js';
import { decodeContent } from '../rows.js';
import { type Dialect, type Frag, list, raw, render, sql } from '../sql.js';
import { INDEX_TABLES, type IndexKind } from './store-schema-ddl.js';

const CHUNK = 500;

/** The dialect of a migration's connection. */
export function dialectOf(queryRunner: QueryRunner): Dialect {
  return queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

/** Replaces the `kind` index rows of the live resources `candidates` selects (columns resource_type, resource_id). */
export async function reindex(queryRunner: QueryRunner, kind: IndexKind, candidates: Frag): Promise<void> {
  const dialect = dialectOf(queryRunner);
  const query = async <R>(frag: Frag): Promise<R[]> => (await queryRunner.query(...render(frag, dialect))) as R[];
  const byType = new Map<string, string[]>();
  for (const r of await query<{ resource_type: string; resource_id: string }>(candidates)) {
    const ids = byType.get(r.resource_type) ?? [];
    if (ids.length === 0) byType.set(r.resource_type, ids);
    ids.push(r.resource_id);
  }
  const table = INDEX_TABLES[kind];
  const columns = ['resource_type', 'resource_id', 'code', ...INDEX_COLUMNS[kind]];
  for (const [type, ids] of byType) {
    for (let i = 0; i < ids.length; i += CHUNK) {
      const part = ids.slice(i, i + CHUNK);
      const found = await query<{ id: string; content: unknown }>(
        sql`SELECT id, content FROM resource WHERE resource_type = ${type} AND deleted = 0 AND id IN (${list(part)})`,
      );
      if (found.length === 0) continue;
      await query(
        sql`DELETE FROM ${raw(table)} WHERE resource_type = ${type} AND resource_id IN (${list(found.map((r) => r.id))})`,
      );
      const rows = found.flatMap((r) =>
        indexValues(indexResource(decodeContent<Resource>(r.content)))[kind].map((v) => [type, r.id, ...v]),
      );
      for (const insert of insertStatements(table, columns, rows)) await query(insert);
    }
  }
}
