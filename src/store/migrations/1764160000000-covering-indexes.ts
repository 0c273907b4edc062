// Migration 2: the per-resource index of each search table also carries the values, so the checks nested in a
// driving search subquery (EXISTS on resource_id + code + value), `_sort` (MIN/MAX per resource) and `_include`
// read only the index. PostgreSQL uses INCLUDE; SQLite, which has none, appends the columns to the key.
import type { MigrationInterface, QueryRunner } from 'typeorm';

const COVERED: Record<string, string[]> = {
  search_string: ['value'],
  search_token: ['value', 'system'],
  search_reference: ['target_type', 'target_id'],
  search_date: ['start_ms', 'end_ms'],
  search_number: ['value'],
  search_quantity: ['value', 'system', 'unit'],
  search_uri: ['value'],
};

export class StoreCoveringIndexes1764160000000 implements MigrationInterface {
  name = 'StoreCoveringIndexes1764160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.options.type === 'postgres';
    for (const [table, cols] of Object.entries(COVERED)) {
      await queryRunner.query(`DROP INDEX ${table}_resource`);
      await queryRunner.query(
        pg
          ? `CREATE INDEX ${table}_resource ON ${table} (resource_type, resource_id, code) INCLUDE (${cols.join(', ')})`
          : `CREATE INDEX ${table}_resource ON ${table} (resource_type, resource_id, code, ${cols.join(', ')})`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of Object.keys(COVERED)) {
      await queryRunner.query(`DROP INDEX ${table}_resource`);
      await queryRunner.query(`CREATE INDEX ${table}_resource ON ${table} (resource_type, resource_id, code)`);
    }
  }
}
