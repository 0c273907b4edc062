// The embedded store's durability and performance settings are what the code says on every connection it opens.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { openDataSource } from '../../../src/store/datasource.js';
import { sqliteDatabase } from '../../support/databases.js';

it('SQLite opens in WAL with synchronous NORMAL, foreign keys, a 10,000-page autocheckpoint and a 64 MiB cache', async () => {
  const db = sqliteDatabase();
  const ds = await openDataSource(db.url);
  try {
    const pragma = async (name: string): Promise<unknown> =>
      Object.values(((await ds.query(`PRAGMA ${name}`)) as Record<string, unknown>[])[0]!)[0];
    assert.equal(await pragma('journal_mode'), 'wal');
    assert.equal(await pragma('synchronous'), 1);
    assert.equal(await pragma('foreign_keys'), 1);
    assert.equal(await pragma('wal_autocheckpoint'), 10000);
    assert.equal(await pragma('cache_size'), -65536);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
