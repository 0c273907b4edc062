// Regression: on SQLite typeorm shares one connection, so a raw-message INSERT issued while another caller's
// transaction was open ran inside it and disappeared with its rollback. The store now takes the `exclusive` lock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openDataSource, withTransaction } from '../../../src/store/datasource.js';
import { Hl7MessageStore, hl7StoreModule } from '../../../src/hl7v2/index.js';
import { sqliteDatabase } from '../../support/databases.js';

describe('raw message store on a shared SQLite connection', () => {
  it('keeps a message stored while another transaction rolls back', async () => {
    const db = sqliteDatabase();
    const ds = await openDataSource(db.url, { modules: [hl7StoreModule] });
    try {
      const store = new Hl7MessageStore(ds);
      let release!: () => void;
      let opened!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const isOpen = new Promise<void>((r) => (opened = r));
      const failing = withTransaction(ds, async (m) => {
        await m.query('SELECT 1');
        opened();
        await gate;
        throw new Error('rollback');
      }).catch((e: Error) => e.message);
      await isOpen;
      const receiving = store.receive(
        { controlId: 'KEEP1', sendingApplication: 'RIS', sendingFacility: 'H', messageType: 'ORU^R01' },
        'MSH|keep',
      );
      await new Promise((r) => setTimeout(r, 20));
      release();
      assert.equal(await failing, 'rollback');
      const r = await receiving;
      assert.equal(r.kind, 'new');
      assert.equal((await store.get(r.kind === 'new' ? r.id : ''))?.raw, 'MSH|keep');
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
