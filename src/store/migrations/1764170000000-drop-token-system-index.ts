// Migration 3: drops search_token_search1 (resource_type, code, system, resource_id). Without column statistics (a
// new database, or autovacuum off) PostgreSQL costed it the same as search_token_search0 (resource_type, code,
// value, system, resource_id) for `identifier=system|value` and picked it as the smaller one: every conditional
// create or update then read every identifier of that system (13 ms after 1,000 HL7 messages, growing with the
// table). Without it, value lookups have one index to use; the rare system-only search (`identifier=system|`) is
// served by search0's (resource_type, code) prefix, which bounds the scan to that parameter's rows as before.
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class DropTokenSystemIndex1764170000000 implements MigrationInterface {
  name = 'DropTokenSystemIndex1764170000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX search_token_search1');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      'CREATE INDEX search_token_search1 ON search_token (resource_type, code, system, resource_id)',
    );
  }
}
