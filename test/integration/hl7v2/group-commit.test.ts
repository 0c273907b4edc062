// Group commit in the inbound pipeline (SQLite and PostgreSQL, raw store + a recording batch executor): messages
// arriving together share one executor call and one processed UPDATE, each still ACKed only after that commit; a
// failing message in a group gets its own AE while the others get AA; a key twice in one group runs once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { Hl7MessageStore } from '../../../src/hl7v2/store/message-store.js';
import { createInboundProcessor, type BatchExecutor } from '../../../src/hl7v2/inbound.js';
import { fixture } from '../../unit/hl7v2/fixtures.js';
import { hl7DataSource } from './datasource.js';
import { msa } from './raw-client.js';

/** The v2.3 ORU^R01 fixture (patient MRN123) under another control id: same patient, so the same lane. */
const oru = (controlId: string): string => fixture('oru-r01-v23.hl7').replace('MSG00023', controlId);

for (const { kind, make } of databaseKinds) {
  describe(`HL7 inbound group commit (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let store: Hl7MessageStore;
    /** Message ids per executor call. */
    const calls: string[][] = [];
    /** Control ids whose execution throws (as the repository would for a rejected entry). */
    const rejected = new Set<string>();
    const executeBatch: BatchExecutor = async (items) => {
      calls.push(items.map((i) => i.messageId));
      for (const { result } of items) {
        const text = (result.bundle.entry ?? []).map((e) => JSON.stringify(e.resource)).join();
        for (const bad of rejected) {
          if (text.includes(bad)) throw Object.assign(new Error('Bundle entry 0: rejected'), { status: 422 });
        }
      }
    };
    before(async () => {
      db = await make();
      ds = await hl7DataSource(db);
      store = new Hl7MessageStore(ds);
    });
    after(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('commits messages arriving together in one executor call and ACKs each after it', async () => {
      const p = createInboundProcessor({ store, executeBatch });
      calls.length = 0;
      const ids = ['GC1', 'GC2', 'GC3', 'GC4'];
      const outs = await Promise.all(ids.map((id) => p.processMessage(oru(id))));
      assert.deepEqual(
        outs.map((o) => [o.code, msa(o.acks[0]!)[1]]),
        ids.map((id) => ['AA', id]),
      );
      assert.equal(calls.length, 1, 'one shared transaction');
      assert.deepEqual(
        calls[0],
        outs.map((o) => o.messageId),
      );
      for (const o of outs) {
        const row = await store.get(o.messageId!);
        assert.equal(row?.status, 'processed');
        assert.equal(row?.ack, o.acks.join('\n'));
        assert.equal(row?.attempts, 1);
      }
    });

    it('gives a message the shared transaction cannot apply its own AE, and the others AA', async () => {
      const p = createInboundProcessor({ store, executeBatch });
      calls.length = 0;
      // The accession of GC12 (ACC5012) is rejected by the executor.
      const texts = ['GC11', 'GC12', 'GC13'].map((id) => oru(id).replace(/ACC5001/g, `ACC50${id.slice(2)}`));
      rejected.add('ACC5012');
      try {
        const outs = await Promise.all(texts.map((t) => p.processMessage(t)));
        assert.deepEqual(
          outs.map((o) => o.code),
          ['AA', 'AE', 'AA'],
        );
        assert.equal(calls[0]?.length, 3, 'tried together first');
        assert.equal(calls.length, 4, 'then each on its own');
        assert.equal((await store.get(outs[1]!.messageId!))?.status, 'error');
        assert.equal((await store.get(outs[0]!.messageId!))?.status, 'processed');
        assert.equal((await store.get(outs[2]!.messageId!))?.status, 'processed');
      } finally {
        rejected.clear();
      }
    });

    it('runs a message sent twice in one group once and answers the copy with the original ACK', async () => {
      const p = createInboundProcessor({ store, executeBatch });
      calls.length = 0;
      const outs = await Promise.all([p.processMessage(oru('GC21')), p.processMessage(oru('GC21'))]);
      assert.equal(outs[0]!.code, 'AA');
      assert.equal(outs[1]!.duplicate, true);
      assert.deepEqual(outs[1]!.acks, outs[0]!.acks);
      assert.equal(calls.flat().length, 1);
    });

    it('answers a resent message in a group with its stored ACK and commits the new ones', async () => {
      const p = createInboundProcessor({ store, executeBatch });
      const first = await p.processMessage(oru('GC31'));
      calls.length = 0;
      const outs = await Promise.all(['GC31', 'GC32', 'GC33'].map((id) => p.processMessage(oru(id))));
      assert.equal(outs[0]!.duplicate, true);
      assert.deepEqual(outs[0]!.acks, first.acks);
      assert.deepEqual(
        outs.slice(1).map((o) => [o.code, o.duplicate]),
        [
          ['AA', false],
          ['AA', false],
        ],
      );
      assert.ok(!calls.flat().includes(first.messageId!), 'the duplicate is not executed again');
    });

    it('answers AR to every message of a group when the raw store fails, and stores nothing half', async () => {
      const p = createInboundProcessor({ store, executeBatch });
      const broken = new Hl7MessageStore(ds);
      broken.receiveMany = async () => {
        throw new Error('database down');
      };
      const q = createInboundProcessor({ store: broken, executeBatch });
      const outs = await Promise.allSettled(['GC41', 'GC42'].map((id) => q.processMessage(oru(id))));
      assert.deepEqual(
        outs.map((o) => o.status),
        ['rejected', 'rejected'],
        'the listener turns a thrown handler into AR (listener.test.ts)',
      );
      const resent = await p.processMessage(oru('GC41'));
      assert.equal(resent.code, 'AA', 'nothing was stored, so the resend is new');
    });
  });
}
