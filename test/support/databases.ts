// Test databases: a fresh SQLite file and a fresh PostgreSQL database per call, dropped afterwards, so test files
// can run in parallel. PostgreSQL: PGHOST/PGPORT/PGUSER from the environment (default 127.0.0.1:5432, postgres).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  kind: 'sqlite' | 'postgres';
  url: string;
  drop(): Promise<void>;
}

const pgAdmin = (): pg.ClientConfig => ({
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  database: 'postgres',
});

/** A new empty SQLite database file in a temporary folder. */
export function sqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'ct-fhir-test-'));
  return {
    kind: 'sqlite',
    url: `sqlite:${join(dir, 'test.sqlite')}`,
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new empty PostgreSQL database on the local server. */
export async function postgresDatabase(): Promise<TestDatabase> {
  const name = `ctfhir_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client(pgAdmin());
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const { host, port, user } = pgAdmin();
  return {
    kind: 'postgres',
    url: `postgres://${user}@${host}:${port}/${name}`,
    drop: async () => {
      const c = new pg.Client(pgAdmin());
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Both kinds, for `for (const make of databaseKinds) describe(...)` loops. */
export const databaseKinds: { kind: TestDatabase['kind']; make: () => Promise<TestDatabase> }[] = [
  { kind: 'sqlite', make: async () => sqliteDatabase() },
  { kind: 'postgres', make: postgresDatabase },
];
