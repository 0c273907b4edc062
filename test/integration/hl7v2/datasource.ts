// A typeorm DataSource with only the HL7 module's tables, for testing the raw message store on its own
// (the store's openDataSource joins these through { entities: hl7Entities, migrations: hl7Migrations }).
import { DataSource } from 'typeorm';
import { hl7Entities, hl7Migrations } from '../../../src/hl7v2/store/schema.js';
import type { TestDatabase } from '../../support/databases.js';

export async function hl7DataSource(db: TestDatabase): Promise<DataSource> {
  const common = { entities: hl7Entities, migrations: hl7Migrations, migrationsRun: true, synchronize: false };
  const ds =
    db.kind === 'sqlite'
      ? new DataSource({ ...common, type: 'better-sqlite3', database: db.url.slice('sqlite:'.length), enableWAL: true })
      : new DataSource({ ...common, type: 'postgres', url: db.url });
  return ds.initialize();
}
