// The embedded store's durability and performance settings are what the code says on every connection it opens,
// and its WAL is checkpointed by a background thread.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { existsSync } from 'node:fs';
import { checkpointerOf, openDataSource } from '../../../src/store/datasource.js';
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

it('a background thread checkpoints the WAL while the store writes; closing leaves no WAL and every row', async () => {
  const db = sqliteDatabase();
  const file = db.url.slice('sqlite:'.length);
  const ds = await openDataSource(db.url, { checkpointIntervalMs: 20 });
  try {
    const checkpointer = checkpointerOf(ds);
    assert.ok(checkpointer);
    await ds.query('CREATE TABLE filler (n INTEGER, pad TEXT)');
    for (let i = 0; i < 200; i++) await ds.query('INSERT INTO filler VALUES (?, ?)', [i, 'x'.repeat(4000)]);
    const deadline = Date.now() + 5000;
    while (checkpointer.stats.frames < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.ok(checkpointer.stats.frames >= 200, `checkpointed ${checkpointer.stats.frames} frames`);
    assert.equal(checkpointer.stats.errors, 0);
  } finally {
    await ds.destroy();
  }
  assert.equal(existsSync(`${file}-wal`), false, 'the WAL is removed by the last connection to close');
  const again = await openDataSource(db.url, { checkpointIntervalMs: 0 });
  try {
    assert.equal(checkpointerOf(again), undefined);
    const [row] = (await again.query('SELECT COUNT(*) AS n FROM filler')) as { n: number }[];
    assert.equal(row!.n, 200);
  } finally {
    await again.destroy();
    await db.drop();
  }
});
