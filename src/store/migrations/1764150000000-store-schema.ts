// Migration 1: resource, resource_history and the search index tables (DDL in store-schema-ddl.ts).
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { dropStoreSchemaV1, storeSchemaV1 } from './store-schema-ddl.js';

export class StoreSchema1764150000000 implements MigrationInterface {
  name = 'StoreSchema1764150000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    for (const statement of storeSchemaV1(dialect)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const statement of dropStoreSchemaV1()) await queryRunner.query(statement);
  }
}
