// Test databases for the job queue: the store's DataSource with the jobs module, plus the tables the fault-test
// handlers write (an idempotent effect row per job, a run log, a stand-in resource table for outbox tests).
import type { DataSource } from 'typeorm';
import { dialectOf, openDataSource } from '../../src/store/datasource.js';
import { jobsModule } from '../../src/jobs/schema.js';

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

/** Opens the store's DataSource with the jobs module on a test database URL and adds the test tables. */
export async function openJobsDb(url: string): Promise<DataSource> {
  const ds = await openDataSource(url, { modules: [jobsModule], poolSize: 5 });
  for (const statement of TEST_TABLES[dialectOf(ds)]) await ds.query(statement);
  return ds;
}
