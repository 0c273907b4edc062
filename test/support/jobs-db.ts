// Test databases for the job queue: a DataSource with the jobs module migrated, plus the tables the fault-test
// handlers write (an idempotent effect row per job, a run log, a stand-in resource table for outbox tests).
import { DataSource } from 'typeorm';
import type { DataSourceOptions } from 'typeorm';
import { jobEntities, jobMigrations } from '../../src/jobs/schema.js';

const TEST_TABLES: Record<'sqlite' | 'postgres', string[]> = {
  sqlite: [
    'CREATE TABLE IF NOT EXISTS job_effect (job_id VARCHAR(40) PRIMARY KEY, runs INTEGER NOT NULL, worker TEXT)',
    `CREATE TABLE IF NOT EXISTS job_run_log (id INTEGER PRIMARY KEY AUTOINCREMENT, job_id VARCHAR(40) NOT NULL,
      worker TEXT NOT NULL, started_ms BIGINT NOT NULL, ended_ms BIGINT)`,
    'CREATE TABLE IF NOT EXISTS outbox_resource (id VARCHAR(40) PRIMARY KEY)',
  ],
  postgres: [
    'CREATE TABLE IF NOT EXISTS job_effect (job_id VARCHAR(40) PRIMARY KEY, runs INTEGER NOT NULL, worker TEXT)',
    `CREATE TABLE IF NOT EXISTS job_run_log (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      job_id VARCHAR(40) NOT NULL, worker TEXT NOT NULL, started_ms BIGINT NOT NULL, ended_ms BIGINT)`,
    'CREATE TABLE IF NOT EXISTS outbox_resource (id VARCHAR(40) PRIMARY KEY)',
  ],
};

/** Opens a DataSource on a test database URL (sqlite:<path> or postgres://...) and migrates the job table. */
export async function openJobsDb(url: string): Promise<DataSource> {
  const common = { entities: jobEntities, migrations: jobMigrations, migrationsRun: true, synchronize: false };
  const options: DataSourceOptions = url.startsWith('sqlite:')
    ? { ...common, type: 'better-sqlite3', database: url.slice('sqlite:'.length), enableWAL: true, timeout: 5000 }
    : { ...common, type: 'postgres', url, poolSize: 5 };
  // typeorm types migrations as Function[]; ours are MigrationInterface constructors.
  const ds = new DataSource(options as DataSourceOptions);
  await ds.initialize();
  const dialect = ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
  for (const statement of TEST_TABLES[dialect]) await ds.query(statement);
  return ds;
}
