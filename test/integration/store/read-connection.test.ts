// Reads outside transactions: on SQLite they run on a separate read-only connection, so they neither wait for a
// write transaction nor see its uncommitted rows; on PostgreSQL they run as named prepared statements. readJson
// returns what read returns, as text, on both databases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
import type { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import type { Pool } from 'pg';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { openDataSource, readerOf } from '../../../src/store/datasource.js';
import { PgReader } from '../../../src/store/pg-reader.js';
import { SqlRepository } from '../../../src/store/sql-repository.js';
import { databaseKinds, postgresDatabase, sqliteDatabase } from '../../support/databases.js';
import { parseSearchRequest } from '../../../src/fhir/search/parse.js';
import type { SearchRequest } from '../../../src/fhir/search/types.js';
import { openStore } from './helpers.js';

const byFamily = (family: string): SearchRequest =>
  parseSearchRequest('Patient', new URLSearchParams({ family }), { strict: true, defaultCount: 20, maxCount: 100 });

const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }], gender: 'female' });

it('SQLite: a read during an open write transaction answers at once, from the last committed state', async () => {
  const store = await openStore(async () => sqliteDatabase());
  try {
    assert.ok(readerOf(store.ds), 'a file database has a read connection');
    const before = await store.repo.create(patient('Before'));
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside!: Patient;
    const writing = store.repo.transaction(async (tx) => {
      inside = await tx.create(patient('Uncommitted'));
      await tx.update({ ...before, gender: 'male' });
      await held; // the transaction stays open, holding the writer connection
    });
    while (!inside) await new Promise((r) => setTimeout(r, 5));
    const during = await Promise.race([
      store.repo.read<Patient>('Patient', before.id!),
      new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 2000)),
    ]);
    assert.notEqual(during, 'blocked', 'the read did not wait for the write transaction');
    assert.equal((during as Patient).gender, 'female', 'the uncommitted update is not visible');
    await assert.rejects(
      store.repo.read('Patient', inside.id!),
      (e: unknown) => (e as OperationOutcomeError).status === 404,
    );
    const found = await store.repo.search(byFamily('Uncommitted'));
    assert.equal(found.resources.length, 0);
    release();
    await writing;
    assert.equal((await store.repo.read<Patient>('Patient', before.id!)).gender, 'male', 'committed: visible at once');
    assert.equal((await store.repo.search(byFamily('Uncommitted'))).resources.length, 1);
  } finally {
    await store.close();
  }
});

for (const { kind, make } of databaseKinds) {
  describe(`readJson (${kind})`, () => {
    it('is the current version as JSON text with its version facts; 404 unknown, 410 deleted', async () => {
      const store = await openStore(make);
      try {
        const created = await store.repo.create(patient('Json'));
        const { resource: updated } = await store.repo.update({ ...created, gender: 'other' });
        const stored = await store.repo.readJson('Patient', created.id!);
        assert.deepEqual(JSON.parse(stored.json), await store.repo.read('Patient', created.id!));
        assert.deepEqual(Object.keys(JSON.parse(stored.json) as object).slice(0, 3), ['resourceType', 'id', 'meta']);
        assert.equal(stored.versionId, '2');
        assert.equal(stored.lastUpdated, updated.meta!.lastUpdated);
        const status = (e: unknown): number => (e as OperationOutcomeError).status;
        await assert.rejects(store.repo.readJson('Patient', 'nope'), (e) => status(e) === 404);
        await store.repo.delete('Patient', created.id!);
        await assert.rejects(store.repo.readJson('Patient', created.id!), (e) => status(e) === 410);
      } finally {
        await store.close();
      }
    });
  });
}

describe('PostgreSQL reads outside transactions', () => {
  it('run as named prepared statements on the pooled connection, and unnamed past the cap', async () => {
    const db = await postgresDatabase();
    // One pooled connection: every query below, pg_prepared_statements included, runs on it.
    const ds = await openDataSource(db.url, { poolSize: 1 });
    try {
      const repo = new SqlRepository(ds, { indexResource });
      const created = await repo.create(patient('Named'));
      await repo.read('Patient', created.id!);
      await repo.search(byFamily('Named'));
      const reader = readerOf(ds)!;
      const prepared = (await reader.query(
        "SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'ctf\\_%'",
      )) as { name: string; statement: string }[];
      assert.ok(
        prepared.some((p) => p.statement.startsWith('SELECT version_id, last_updated, deleted, content FROM resource')),
        JSON.stringify(prepared),
      );
      assert.ok(
        prepared.some((p) => p.statement.includes('search_string')),
        'the search is prepared too',
      );
      const before = prepared.length;
      // A reader whose cap is reached still answers, without preparing more.
      const capped = new PgReader((ds.driver as unknown as { master: Pool }).master, 0);
      assert.deepEqual(await capped.query('SELECT $1::int AS n', [7]), [{ n: 7 }]);
      const after = (await reader.query(
        "SELECT count(*)::int AS n FROM pg_prepared_statements WHERE name LIKE 'ctf\\_%'",
      )) as { n: number }[];
      assert.equal(after[0]!.n, before + 1, 'only the count query itself was named');
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
