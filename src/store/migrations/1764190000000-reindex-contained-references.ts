// Migration 5: references to contained resources (`#id`) are now indexed (the contained resource's type, the `#id`
// as URL, no id), so `:missing` sees them and `patient` counts a contained Patient; rows written before lack them.
// Candidates are the live resources that contain resources at all (a scan once; most resources contain none). Not
// jsonb's `?` operator: render() numbers every `?` as a parameter.
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { sql } from '../sql.js';
import { dialectOf, reindex } from './reindex.js';

export class ReindexContainedReferences1764190000000 implements MigrationInterface {
  name = 'ReindexContainedReferences1764190000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const candidates =
      dialectOf(queryRunner) === 'postgres'
        ? sql`SELECT resource_type, id AS resource_id FROM resource WHERE deleted = 0 AND content -> 'contained' IS NOT NULL`
        : sql`SELECT resource_type, id AS resource_id FROM resource
              WHERE deleted = 0 AND json_type(content, '$.contained') IS NOT NULL`;
    await reindex(queryRunner, 'reference', candidates);
  }

  async down(): Promise<void> {
    // The rows written by up() are what the current indexer writes; there is nothing to restore.
  }
}
