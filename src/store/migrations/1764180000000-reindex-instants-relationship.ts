// Migration 4: recomputes index rows that the indexer now writes differently, for rows written before.
// - Instants are points ([t, t + 1 ms)), not the second they are written to (search.html#date): date rows one second
//   wide may be such instants (recomputing a dateTime of second precision gives the same row back).
// - DocumentReference `relationship` composites now pair relatesTo.target with relatesTo.code (R4 swapped them), so
//   DocumentReferences had no such rows.
// The implicit code systems of token search (Patient?gender=system|code) are resolved at query time: no rows change.
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { sql } from '../sql.js';
import { reindex } from './reindex.js';

export class ReindexInstantsRelationship1764180000000 implements MigrationInterface {
  name = 'ReindexInstantsRelationship1764180000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await reindex(
      queryRunner,
      'date',
      sql`SELECT DISTINCT resource_type, resource_id FROM search_date WHERE end_ms - start_ms = 1000`,
    );
    await reindex(
      queryRunner,
      'composite',
      sql`SELECT resource_type, id AS resource_id FROM resource WHERE resource_type = 'DocumentReference' AND deleted = 0`,
    );
  }

  async down(): Promise<void> {
    // The rows written by up() are what the current indexer writes; there is nothing to restore.
  }
}
