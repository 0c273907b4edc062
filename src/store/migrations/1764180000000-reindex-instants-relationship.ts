// Migration 4: recomputes index rows that the indexer now writes differently, for rows written before.
// - Instants are points ([t, t + 1 ms)), not the second they are written to (search.html#date): date rows one second
//   wide may be such instants (recomputing a dateTime of second precision gives the same row back).
// - DocumentReference `relationship` composites now pair relatesTo.target with relatesTo.code (R4 swapped them), so
//   DocumentReferences had no such rows. An absolute reference on this server's own base is indexed as its URL here
//   (a migration does not know BASE_URL) until the resource is written again.
// The implicit code systems of token search (Patient?gender=system|code) are resolved at query time: no rows change.
import type { Resource } from 'fhir/r4.js';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { indexResource } from '../../fhir/search/indexer.js';
import { indexValues, insertStatements } from '../index-writer.js';
import { decodeContent } from '../rows.js';
import { type Dialect, type Frag, list, raw, render, sql } from '../sql.js';
import { INDEX_TABLES, type IndexKind } from './store-schema-ddl.js';

const CHUNK = 500;
/** Value columns in index-writer.ts's order (indexValues). */
const COLUMNS: Partial<Record<IndexKind, string[]>> = {
  date: ['start_ms', 'end_ms'],
  composite: [1, 2].flatMap((n) => ['system', 'value', 'number', 'start', 'end'].map((c) => `p${n}_${c}`)),
};

export class ReindexInstantsRelationship1764180000000 implements MigrationInterface {
  name = 'ReindexInstantsRelationship1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect: Dialect = queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    const query = async <R>(frag: Frag): Promise<R[]> => (await queryRunner.query(...render(frag, dialect))) as R[];
    const reindex = async (kind: IndexKind, candidates: Frag): Promise<void> => {
      const byType = new Map<string, string[]>();
      for (const r of await query<{ resource_type: string; resource_id: string }>(candidates)) {
        const ids = byType.get(r.resource_type) ?? [];
        if (ids.length === 0) byType.set(r.resource_type, ids);
        ids.push(r.resource_id);
      }
      const table = INDEX_TABLES[kind];
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
          const columns = ['resource_type', 'resource_id', 'code', ...(COLUMNS[kind] ?? [])];
          for (const insert of insertStatements(table, columns, rows)) await query(insert);
        }
      }
    };
    await reindex(
      'date',
      sql`SELECT DISTINCT resource_type, resource_id FROM search_date WHERE end_ms - start_ms = 1000`,
    );
    await reindex(
      'composite',
      sql`SELECT resource_type, id AS resource_id FROM resource WHERE resource_type = 'DocumentReference' AND deleted = 0`,
    );
  }

  async down(): Promise<void> {
    // The rows written by up() are what the current indexer writes; there is nothing to restore.
  }
}
