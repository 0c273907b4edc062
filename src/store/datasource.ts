// Opens the typeorm DataSource for DATABASE_URL (`sqlite:<path>` or `postgres://...`) and runs migrations.
//
// Store modules: other modules (jobs, hl7 raw message store) contribute their tables as a StoreModule
// `{ name, entities, migrations }` passed in `openDataSource(url, { modules: [...] })`. The store's own module is
// always first. Entities are typeorm EntitySchemas (no decorators); migrations are classes whose name ends in a
// 13-digit timestamp (typeorm orders them by it) and that branch on `dialectOf(queryRunner.connection)` for
// dialect-specific DDL. Migrations run on open (`migrationsRun`) under a database-wide lock (runMigrationsExclusively);
// `synchronize` is never used.
//
// SQLite: typeorm's better-sqlite3 driver shares ONE connection and ONE query runner among all callers, so two
// interleaved async transactions would nest into each other. Every transaction on the DataSource must therefore go
// through `withTransaction(dataSource, fn)` (it serialises on SQLite, and is a plain transaction on PostgreSQL).
// Reads outside transactions use a second, read-only connection instead (`readerOf`, sqlite-reader.ts); on
// PostgreSQL they go to the pool as named prepared statements (pg-reader.ts).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type {
  DataSourceOptions as TypeormOptions,
  EntityManager,
  EntitySchema,
  MigrationInterface,
  QueryRunner,
} from 'typeorm';
import { DataSource, MigrationExecutor } from 'typeorm';
import { ConfigError } from '../config.js';
import { isUnavailableError } from './db-errors.js';
import type { Dialect } from './sql.js';
import { GroupCommit } from './group-commit.js';
import { storeMigrations } from './migrations/index.js';
import { type Checkpointer, startCheckpointer } from './sqlite-checkpointer.js';
import { SqliteReader } from './sqlite-reader.js';
import { PgReader } from './pg-reader.js';
import type { Queryable } from './rows.js';
import type { Pool } from 'pg';
import type { Logger } from '../log.js';

/** Tables contributed by a module: EntitySchemas and migration classes. */
export interface StoreModule {
  name: string;
  entities?: EntitySchema[];
  /** Migration classes; each class name ends in a 13-digit timestamp. */
  migrations?: (new () => MigrationInterface)[];
}

export interface DataSourceOptions {
  /** Extra modules whose entities and migrations join the store's. */
  modules?: StoreModule[];
  /** PostgreSQL connection pool size (default 10). */
  poolSize?: number;
  /** SQLite busy timeout in ms (default 5000). */
  busyTimeoutMs?: number;
  /** PostgreSQL: how long to wait for a connection before failing (default 5000 ms). */
  connectTimeoutMs?: number;
  /** PostgreSQL: a query with no answer for this long fails as unavailable (default 30000 ms; network partitions). */
  queryTimeoutMs?: number;
  /** Run migrations on open (default true). */
  migrationsRun?: boolean;
  /** SQLite file: background WAL checkpoint interval in ms (default 250; 0 = only SQLite's autocheckpoint). */
  checkpointIntervalMs?: number;
  /** Where the background checkpointer reports failures. */
  logger?: Logger;
}

/** The store's own tables: resources, history and search indexes. */
export const storeModule: StoreModule = { name: 'store', migrations: storeMigrations };

/** Parses a DATABASE_URL into its dialect and location (a file path or the PostgreSQL URL). */
export function parseDatabaseUrl(databaseUrl: string): { dialect: Dialect; location: string } {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!path) throw new ConfigError('DATABASE_URL sqlite: needs a file path, e.g. sqlite:data/ct-fhir.sqlite');
    return { dialect: 'sqlite', location: path };
  }
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) return { dialect: 'postgres', location: databaseUrl };
  throw new ConfigError(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
}

const checkpointers = new WeakMap<DataSource, Checkpointer>();
const readers = new WeakMap<DataSource, Queryable>();

/** Where reads outside transactions go: SQLite's read-only connection (file databases), PostgreSQL's named reads. */
export function readerOf(ds: DataSource): Queryable | undefined {
  return readers.get(ds);
}

/** The background checkpointer of a SQLite DataSource, if it has one. */
export function checkpointerOf(ds: DataSource): Checkpointer | undefined {
  return checkpointers.get(ds);
}

/** Opens (initialises) the DataSource and runs pending migrations of the store and the given modules. */
export async function openDataSource(databaseUrl: string, options: DataSourceOptions = {}): Promise<DataSource> {
  const { dialect, location } = parseDatabaseUrl(databaseUrl);
  const modules = [storeModule, ...(options.modules ?? [])];
  const entities = modules.flatMap((m) => m.entities ?? []);
  // typeorm types migration classes as Function; ours are constructors of MigrationInterface.
  const migrations = modules.flatMap((m) => m.migrations ?? []) as unknown as TypeormOptions['migrations'];
  // Migrations run below, under a lock, rather than in typeorm's initialize.
  const common = { entities, migrations, migrationsRun: false, synchronize: false };
  let ds: DataSource;
  // A SQLite file (not :memory:) gets a read connection and a checkpointer besides typeorm's connection.
  const file = dialect === 'sqlite' && location !== ':memory:' ? resolve(location) : undefined;
  if (dialect === 'sqlite') {
    if (file) mkdirSync(dirname(file), { recursive: true });
    ds = new DataSource({
      ...common,
      type: 'better-sqlite3',
      database: file ?? location,
      enableWAL: true,
      timeout: options.busyTimeoutMs ?? 5000,
      // WAL + synchronous=NORMAL: no corruption on power loss, only the last commits may be lost; fsync per commit
      // would cap creates far below the target rate.
      prepareDatabase: (db: { pragma(source: string): unknown }) => {
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        // Checkpoints normally run in a background thread (sqlite-checkpointer.ts); this autocheckpoint is the
        // safety net when that thread falls behind. Every ~40 MiB of WAL rather than ~4 MiB (the default 1000 pages):
        // hot index pages are copied back once per many commits. A 64 MiB page cache keeps the search indexes of a
        // departmental store in memory.
        db.pragma('wal_autocheckpoint = 10000');
        db.pragma('cache_size = -65536');
      },
    });
  } else {
    ds = new DataSource({
      ...common,
      type: 'postgres',
      url: location,
      poolSize: options.poolSize ?? 10,
      connectTimeoutMS: options.connectTimeoutMs ?? 5000,
      extra: { idleTimeoutMillis: 30_000, query_timeout: options.queryTimeoutMs ?? 30_000, keepAlive: true },
    });
  }
  await ds.initialize();
  if (options.migrationsRun ?? true) {
    try {
      await runMigrationsExclusively(ds);
    } catch (err) {
      await ds.destroy();
      throw err;
    }
  }
  if (dialect === 'postgres') {
    // typeorm's postgres driver keeps its pg Pool as `master`.
    readers.set(ds, new PgReader((ds.driver as unknown as { master: Pool }).master));
    if (options.logger) await warnWithoutAutovacuum(ds, options.logger);
  }
  if (file) {
    // Opened after the migrations, so the tables it prepares statements for exist.
    const reader = new SqliteReader(file, options.busyTimeoutMs ?? 5000);
    readers.set(ds, reader);
    const interval = options.checkpointIntervalMs ?? 250;
    const checkpointer = interval > 0 ? startCheckpointer(file, interval, options.logger) : undefined;
    if (checkpointer) checkpointers.set(ds, checkpointer);
    // Every other connection closes before the DataSource's, whoever destroys it: the last one removes the WAL.
    const destroy = ds.destroy.bind(ds);
    ds.destroy = async () => {
      await checkpointer?.stop();
      reader.close();
      readers.delete(ds);
      await destroy();
    };
  }
  return ds;
}

/** PostgreSQL advisory lock (int, int) held while migrating; the first key is ct-fhir's namespace for it. */
const MIGRATION_LOCK = [7_340_014, 1] as const;
/** How long a process waits for another one's migrations before giving up. */
const MIGRATION_WAIT_MS = 10 * 60_000;

/** Takes the database-wide migration lock: PostgreSQL's advisory lock, or SQLite's write lock (BEGIN IMMEDIATE). */
async function tryMigrationLock(qr: QueryRunner, dialect: Dialect): Promise<boolean> {
  if (dialect === 'postgres') {
    const [row] = (await qr.query('SELECT pg_try_advisory_lock($1, $2) AS ok', [...MIGRATION_LOCK])) as {
      ok: boolean;
    }[];
    return row?.ok === true;
  }
  try {
    await qr.query('BEGIN IMMEDIATE');
    return true;
  } catch (err) {
    // Busy for the whole busy timeout: another process holds the write lock (perhaps migrating); try again.
    if (isUnavailableError(err)) return false;
    throw err;
  }
}

/**
 * Runs pending migrations while holding a database-wide lock, so processes opening a fresh database at once (several
 * `ct-fhir migrate` or servers) do not all create the migrations table and the schema: the first migrates, the
 * others wait, then find nothing pending. The lock is on the connection the migrations run on. On SQLite it is one
 * IMMEDIATE transaction around all migrations (typeorm would start a deferred one that reads before it locks).
 */
async function runMigrationsExclusively(ds: DataSource): Promise<void> {
  const dialect = dialectOf(ds);
  const qr = ds.createQueryRunner();
  const deadline = Date.now() + MIGRATION_WAIT_MS;
  try {
    while (!(await tryMigrationLock(qr, dialect))) {
      if (Date.now() > deadline) throw new Error('timed out waiting for another process to finish migrating');
      await new Promise((r) => setTimeout(r, 200));
    }
    const executor = new MigrationExecutor(ds, qr);
    executor.transaction = dialect === 'postgres' ? (ds.options.migrationsTransactionMode ?? 'all') : 'none';
    try {
      await executor.executePendingMigrations();
      if (dialect === 'sqlite') await qr.query('COMMIT');
    } catch (err) {
      // The migration's error is the one to report, not a ROLLBACK failing after it.
      if (dialect === 'sqlite') await qr.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      if (dialect === 'postgres') await qr.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK]);
    }
  } finally {
    await qr.release();
  }
}

/**
 * Warns when PostgreSQL's autovacuum is off. The store's search plans need column statistics: without them the
 * planner guesses, and a guess can read a whole index table per lookup (migration 3 removed one such trap, not the
 * cause). Nothing here runs ANALYZE or VACUUM on the DBA's behalf; the warning says what to do.
 */
async function warnWithoutAutovacuum(ds: DataSource, logger: Logger): Promise<void> {
  const [row] = (await ds.query(
    "SELECT current_setting('autovacuum') AS autovacuum, current_setting('track_counts') AS track_counts",
  )) as { autovacuum: string; track_counts: string }[];
  if (row?.autovacuum === 'on' && row.track_counts === 'on') return;
  logger.warn(
    'PostgreSQL autovacuum is off: search plans get no statistics and tables are not vacuumed; turn autovacuum ' +
      '(and track_counts) on, or run VACUUM ANALYZE regularly',
    { autovacuum: row?.autovacuum, trackCounts: row?.track_counts },
  );
}

/** The SQL dialect of an open DataSource. */
export function dialectOf(ds: DataSource): Dialect {
  return ds.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

/** A FIFO async mutex: one holder at a time. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

type Unit = (manager: EntityManager) => Promise<unknown>;
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * SQLite group commit: transactions that queue up while another holds the connection run together in ONE database
 * transaction, each inside its own SAVEPOINT, so a unit that fails rolls back to its savepoint and only its caller
 * sees the error. Callers are answered after the COMMIT, so "resolved" still means "durable". A commit writes each
 * dirty page to the WAL once however many units touched it; the index pages are shared by nearly all writes, so a
 * group of 16 writes costs a fraction of 16 commits. Alone, a unit runs as a plain transaction.
 */
function sqliteTransactionGroup(ds: DataSource, lock: Mutex): GroupCommit<Unit, Outcome> {
  return new GroupCommit<Unit, Outcome>((units) =>
    lock.run(async () => {
      const outcomes: Outcome[] = [];
      try {
        await ds.transaction(async (m) => {
          if (units.length === 1) {
            outcomes.push({ ok: true, value: await units[0]!(m) });
            return;
          }
          for (const unit of units) {
            // A nested typeorm transaction is a SAVEPOINT that, unlike a raw one, fires the commit/rollback events:
            // jobs/commit-hooks.ts drops what a rolled-back unit enqueued on them.
            try {
              outcomes.push({ ok: true, value: await m.transaction(unit) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        });
      } catch (error) {
        // The single unit's own failure, or a failed COMMIT: then every unit of the group failed with it.
        return units.map((_, i): Outcome => {
          const own = outcomes[i];
          return own && !own.ok ? own : { ok: false, error };
        });
      }
      return outcomes;
    }),
  );
}

const sqliteLocks = new WeakMap<DataSource, { lock: Mutex; group: GroupCommit<Unit, Outcome> }>();

function sqliteSerialiser(ds: DataSource): { lock: Mutex; group: GroupCommit<Unit, Outcome> } {
  let s = sqliteLocks.get(ds);
  if (!s) {
    const lock = new Mutex();
    s = { lock, group: sqliteTransactionGroup(ds, lock) };
    sqliteLocks.set(ds, s);
  }
  return s;
}

/** Runs fn exclusively on SQLite (the single shared connection); directly on PostgreSQL (a pool). */
export function exclusive<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  if (dialectOf(ds) === 'postgres') return fn();
  return sqliteSerialiser(ds).lock.run(fn);
}

/**
 * Runs fn in one database transaction; the only safe way to open a transaction on this DataSource (see header). On
 * SQLite, transactions waiting at the same time share one COMMIT (GroupCommit); fn must not rely on being the only
 * work in its database transaction, only on its own atomicity.
 */
export async function withTransaction<T>(ds: DataSource, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (dialectOf(ds) === 'postgres') return ds.transaction((manager) => fn(manager));
  const outcome = await sqliteSerialiser(ds).group.submit(fn);
  if (!outcome.ok) throw outcome.error;
  return outcome.value as T;
}

/**
 * Refreshes planner statistics after a bulk load (without them PostgreSQL picks poor index plans); on PostgreSQL
 * also VACUUMs so that index-only scans need no heap visits. Autovacuum does the same later by itself.
 */
export async function analyzeDatabase(ds: DataSource): Promise<void> {
  await exclusive(ds, () => ds.query(dialectOf(ds) === 'postgres' ? 'VACUUM ANALYZE' : 'ANALYZE'));
}
