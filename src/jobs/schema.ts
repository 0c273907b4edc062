// The `job` table: typeorm EntitySchema (for the store's DataSource) and explicit DDL per dialect (no synchronize).
// Instants are BIGINT epoch milliseconds on both dialects so the claim SQL is the same text apart from NOW().
import { EntitySchema } from 'typeorm';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { StoreModule } from '../store/datasource.js';

/** The row as stored (snake_case columns). */
export interface JobRow {
  id: number | string;
  type: string;
  payload: string;
  status: string;
  priority: number;
  dedupe_key: string | null;
  run_at: number | string;
  attempts: number;
  max_attempts: number;
  rerun: number;
  locked_by: string | null;
  locked_until: number | string | null;
  last_error: string | null;
  result: string | null;
  created_at: number | string;
  updated_at: number | string;
  started_at: number | string | null;
  finished_at: number | string | null;
  /** The updated_at of the transition whose Task was last written (migration 2); NULL: none yet. */
  task_synced_at?: number | string | null;
}

export const JobEntity = new EntitySchema<JobRow>({
  name: 'job',
  tableName: 'job',
  columns: {
    id: { type: 'bigint', primary: true, generated: 'increment' },
    type: { type: 'varchar', length: 100 },
    payload: { type: 'text' },
    status: { type: 'varchar', length: 16 },
    priority: { type: 'integer', default: 0 },
    dedupe_key: { type: 'varchar', length: 200, nullable: true },
    run_at: { type: 'bigint' },
    attempts: { type: 'integer', default: 0 },
    max_attempts: { type: 'integer' },
    rerun: { type: 'integer', default: 0 },
    locked_by: { type: 'varchar', length: 200, nullable: true },
    locked_until: { type: 'bigint', nullable: true },
    last_error: { type: 'text', nullable: true },
    result: { type: 'text', nullable: true },
    created_at: { type: 'bigint' },
    updated_at: { type: 'bigint' },
    started_at: { type: 'bigint', nullable: true },
    finished_at: { type: 'bigint', nullable: true },
    task_synced_at: { type: 'bigint', nullable: true },
  },
});

/** DDL for one dialect; exported for the schema test. */
export function jobSchemaV1(dialect: 'sqlite' | 'postgres'): string[] {
  const id =
    dialect === 'postgres'
      ? 'id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY'
      : // AUTOINCREMENT: ids are never reused, so a Task identifier never points at two jobs.
        'id INTEGER PRIMARY KEY AUTOINCREMENT';
  return [
    `CREATE TABLE job (
      ${id},
      type VARCHAR(100) NOT NULL,
      payload TEXT NOT NULL,
      status VARCHAR(16) NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'dead')),
      priority INTEGER NOT NULL DEFAULT 0,
      dedupe_key VARCHAR(200),
      run_at BIGINT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
      rerun INTEGER NOT NULL DEFAULT 0,
      locked_by VARCHAR(200),
      locked_until BIGINT,
      last_error TEXT,
      result TEXT,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      started_at BIGINT,
      finished_at BIGINT
    )`,
    // The claim scans this partial index in priority order.
    `CREATE INDEX job_claim_idx ON job (priority DESC, run_at, id) WHERE status = 'queued'`,
    // Lease reaping and per-type running counts (cluster concurrency limits).
    `CREATE INDEX job_running_idx ON job (type, locked_until) WHERE status = 'running'`,
    // Dedupe: one unfinished job per key.
    `CREATE UNIQUE INDEX job_dedupe_idx ON job (dedupe_key) WHERE status IN ('queued', 'running')`,
    // Dead-letter listing and requeue by type.
    `CREATE INDEX job_failed_idx ON job (type, finished_at) WHERE status IN ('failed', 'dead')`,
  ];
}

export class JobSchema1764160000000 implements MigrationInterface {
  name = 'JobSchema1764160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const dialect = queryRunner.connection.options.type === 'postgres' ? 'postgres' : 'sqlite';
    for (const statement of jobSchemaV1(dialect)) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE job');
  }
}

/**
 * Migration 2: `task_synced_at`, the updated_at of the transition the Task mirror last wrote. A transition whose Task
 * was never written (the process died between the job's commit and the mirror's, or the mirror's write failed) is
 * found by the sweep (pipeline/task-mirror.ts) through the partial index, which holds only such jobs. Jobs of an
 * existing database count as mirrored: the sweep is for what happens from now on, not a rewrite of every old Task.
 */
export function jobTaskSyncV2(): string[] {
  return [
    'ALTER TABLE job ADD COLUMN task_synced_at BIGINT',
    'UPDATE job SET task_synced_at = updated_at',
    `CREATE INDEX job_task_stale_idx ON job (updated_at) WHERE ${TASK_STALE}`,
  ];
}

/** A job whose latest transition has no Task written yet; the sweep's condition, implied by the partial index. */
export const TASK_STALE = '(task_synced_at IS NULL OR task_synced_at <> updated_at)';

export class JobTaskSync1764200000000 implements MigrationInterface {
  name = 'JobTaskSync1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of jobTaskSyncV2()) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX job_task_stale_idx');
    await queryRunner.query('ALTER TABLE job DROP COLUMN task_synced_at');
  }
}

/** EntitySchemas of the jobs module, for the store's DataSource. */
export const jobEntities = [JobEntity];
/** Migrations of the jobs module, oldest first. */
export const jobMigrations = [JobSchema1764160000000, JobTaskSync1764200000000];
/** The jobs module for `openDataSource(url, { modules: [jobsModule] })`. */
export const jobsModule: StoreModule = { name: 'jobs', entities: jobEntities, migrations: jobMigrations };
