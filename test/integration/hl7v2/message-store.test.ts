// The raw inbound message store and the inbound pipeline on it, on SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DataSource } from 'typeorm';
import { databaseKinds, type TestDatabase } from '../../support/databases.js';
import { Hl7MessageStore } from '../../../src/hl7v2/store/message-store.js';
import { createInboundProcessor } from '../../../src/hl7v2/inbound.js';
import { ExecuteError } from '../../../src/hl7v2/execute.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { fixture } from '../../unit/hl7v2/fixtures.js';
import { hl7DataSource } from './datasource.js';
import { msa } from './raw-client.js';

const key = (controlId: string, app = 'RIS') => ({
  controlId,
  sendingApplication: app,
  sendingFacility: 'GENHOSP',
  messageType: 'ORU^R01',
});

for (const { kind, make } of databaseKinds) {
  describe(`HL7 raw message store (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let store: Hl7MessageStore;
    before(async () => {
      db = await make();
      ds = await hl7DataSource(db);
      store = new Hl7MessageStore(ds);
    });
    after(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    it('stores a new message as received and reports the same key again as a duplicate', async () => {
      const first = await store.receive(key('K1'), 'MSH|raw1', 1000);
      assert.equal(first.kind, 'new');
      const again = await store.receive(key('K1'), 'MSH|raw1-resent', 2000);
      assert.equal(again.kind, 'duplicate');
      assert.equal(again.kind === 'duplicate' && again.row.raw, 'MSH|raw1');
      assert.equal(again.kind === 'duplicate' && again.row.receivedAt, 1000);
      const other = await store.receive(key('K1', 'OTHERAPP'), 'MSH|raw2');
      assert.equal(other.kind, 'new', 'the same MSH-10 from another application is another message');
    });
    it('marks processed and error with the ACK and reason, and lists by status', async () => {
      const a = await store.receive(key('K2'), 'MSH|a');
      const b = await store.receive(key('K3'), 'MSH|b');
      assert.ok(a.kind === 'new' && b.kind === 'new');
      await store.markProcessed(a.id, 'ACK-A');
      await store.markError(b.id, 'PID-3 is required', 'ACK-B');
      const rowA = await store.get(a.id);
      assert.equal(rowA?.status, 'processed');
      assert.equal(rowA?.ack, 'ACK-A');
      assert.equal(rowA?.attempts, 1);
      assert.equal(typeof rowA?.processedAt, 'number');
      const errors = await store.list({ status: 'error' });
      assert.deepEqual(
        errors.map((r) => [r.controlId, r.reason]),
        [['K3', 'PID-3 is required']],
      );
      assert.ok(await store.resetForReprocess(b.id));
      assert.equal((await store.get(b.id))?.status, 'received');
      assert.equal(await store.resetForReprocess('no-such-id'), false);
    });
    it('finds messages left in received (a crash mid-way) by age', async () => {
      const r = await store.receive(key('K4'), 'MSH|c', 5);
      assert.ok(r.kind === 'new');
      const stale = await store.stale(1000, 10_000);
      assert.ok(stale.some((s) => s.id === r.id));
    });
    it('lets two concurrent receives of one key store exactly one row', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => store.receive(key('RACE'), 'MSH|race')));
      assert.equal(results.filter((r) => r.kind === 'new').length, 1);
    });
  });

  describe(`HL7 inbound pipeline with the raw store (${kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    let store: Hl7MessageStore;
    const executed: string[] = [];
    let failNext: unknown;
    before(async () => {
      db = await make();
      ds = await hl7DataSource(db);
      store = new Hl7MessageStore(ds);
    });
    after(async () => {
      await ds?.destroy();
      await db?.drop();
    });
    const proc = () =>
      createInboundProcessor({
        store,
        execute: async (result, id) => {
          if (failNext) {
            const e = failNext;
            failNext = undefined;
            throw e;
          }
          executed.push(`${result.messageType}:${id}`);
        },
      });

    it('stores, executes once, and answers a resent duplicate with the original ACK without executing again', async () => {
      const p = proc();
      const text = fixture('oru-r01-v23.hl7');
      const first = await p.processMessage(text);
      assert.equal(first.code, 'AA');
      const row = await store.get(first.messageId!);
      assert.equal(row?.status, 'processed');
      assert.equal(row?.raw, text);
      const second = await p.processMessage(text);
      assert.equal(second.duplicate, true);
      assert.deepEqual(second.acks, first.acks, 'the very same ACK, MSH-10 included');
      assert.equal(executed.filter((e) => e.endsWith(first.messageId!)).length, 1);
    });
    it('stores an AE with its reason and answers the duplicate with the same AE', async () => {
      const p = proc();
      const text = fixture('oru-r01-no-pid3.hl7');
      const first = await p.processMessage(text);
      assert.equal(first.code, 'AE');
      const row = await store.get(first.messageId!);
      assert.equal(row?.status, 'error');
      assert.match(row!.reason!, /PID-3/);
      const again = await p.processMessage(text);
      assert.equal(again.code, 'AE');
      assert.deepEqual(again.acks, first.acks);
    });
    it("reports an executor error at the HL7 location it names, or at the failing entry's field", async () => {
      const p = proc();
      // The merge step's error names MRG-1 (unknown prior patient).
      failNext = new ExecuteError(404, 'merge: prior patient not found', { segment: 'MRG', sequence: 1, field: 1 });
      const merge = await p.processMessage(fixture('adt-a40.hl7'));
      assert.equal(merge.code, 'AE');
      const err = Hl7Message.parse(merge.acks[0]!).segment('ERR')!;
      assert.equal(err.rawField(2), 'MRG^1^1^1');
      assert.equal(err.get(3), '204');
      // A rejected Bundle entry (the Patient from PID) is reported at that entry's field.
      failNext = Object.assign(new Error('Bundle entry 0: rejected'), { status: 422, entryIndex: 0 });
      const a08 = await p.processMessage(fixture('adt-a08.hl7').replace('MSG00702', 'MSG00790'));
      assert.equal(a08.code, 'AE');
      // v2.3: the location is ERR-1 (ERR-2 from v2.5 on).
      assert.match(Hl7Message.parse(a08.acks[0]!).segment('ERR')!.rawField(1), /^PID\^1\^3\^/);
    });
    it('answers AR for a transient failure and processes the message when reprocessed', async () => {
      const p = proc();
      failNext = Object.assign(new Error('database down'), { status: 503 });
      const text = fixture('adt-a01.hl7');
      const first = await p.processMessage(text);
      assert.equal(first.code, 'AR');
      assert.equal((await store.get(first.messageId!))?.status, 'error');
      const again = await p.reprocess(first.messageId!);
      assert.equal(again?.code, 'AA');
      assert.equal((await store.get(first.messageId!))?.status, 'processed');
      assert.equal(await p.reprocess('unknown-id'), undefined);
    });
    it('processes a resend after AR (which invites it) instead of repeating the AR', async () => {
      const p = proc();
      failNext = Object.assign(new Error('database down'), { status: 503 });
      const text = fixture('adt-a08.hl7');
      const first = await p.processMessage(text);
      assert.equal(first.code, 'AR');
      const resent = await p.processMessage(text);
      assert.equal(resent.code, 'AA');
      assert.equal(resent.messageId, first.messageId);
      assert.equal((await store.get(first.messageId!))?.status, 'processed');
    });
    it('recovers a message a crash left in received, once it is older than the threshold', async () => {
      const text = fixture('adt-a01.hl7').replace('MSG00701', 'MSG00770');
      const m = Hl7Message.parse(text);
      const stuck = await store.receive(
        { controlId: m.controlId, sendingApplication: 'ADT', sendingFacility: 'GENHOSP', messageType: 'ADT^A01' },
        text,
        Date.now() - 120_000,
      );
      assert.ok(stuck.kind === 'new');
      const p = proc();
      assert.ok((await p.recover(60_000)) >= 1);
      assert.equal((await store.get(stuck.id))?.status, 'processed');
      assert.ok(executed.includes(`ADT^A01:${stuck.id}`));
    });
    it('enhanced mode: a temporary failure is accepted and rejected by the application, and a resend processes it', async () => {
      for (const [n, modes, expected] of [
        ['1', 'NE|AL', ['AR']],
        ['2', 'AL|NE', ['CA']],
        ['3', 'NE|NE', []],
      ] as const) {
        const text = fixture('adt-a08.hl7').replace('MSG00702', `MSG0071${n}`).replace('|P|2.3', `|P|2.3|||${modes}`);
        const p = proc();
        failNext = Object.assign(new Error('database down'), { status: 503 });
        const first = await p.processMessage(text);
        assert.deepEqual(
          first.acks.map((a) => msa(a)[0]),
          expected,
          modes,
        );
        assert.equal((await store.get(first.messageId!))?.status, 'error');
        const runs = executed.length;
        const resent = await p.processMessage(text);
        assert.equal(executed.length, runs + 1, `${modes}: the resend runs the message`);
        assert.equal((await store.get(first.messageId!))?.status, 'processed', modes);
        assert.equal(resent.code, 'AA');
      }
    });
    it('answers a duplicate of an enhanced-mode NE/NE message with no ACK, without processing it again', async () => {
      const text = fixture('adt-a08.hl7').replace('MSG00702', 'MSG00703').replace('|P|2.3', '|P|2.3|||NE|NE');
      const p = proc();
      const first = await p.processMessage(text);
      assert.deepEqual([first.code, first.acks], ['AA', []]);
      const runs = executed.length;
      const again = await p.processMessage(text);
      assert.deepEqual([again.duplicate, again.acks], [true, []]);
      assert.equal(executed.length, runs);
    });
    it('does not store bytes that do not parse, and answers AR', async () => {
      const before = (await store.list({ limit: 1000 })).length;
      const out = await proc().processMessage('not hl7 at all');
      assert.equal(out.code, 'AR');
      assert.equal(msa(out.acks[0]!)[0], 'AR');
      assert.equal((await store.list({ limit: 1000 })).length, before);
    });
    it('rejects an unsupported message type with AR and keeps it stored as error', async () => {
      const out = await proc().processMessage(
        fixture('adt-a08.hl7').replace('ADT^A08', 'SIU^S12').replace('MSG00702', 'MSG00799'),
      );
      assert.equal(out.code, 'AR');
      assert.equal((await store.get(out.messageId!))?.status, 'error');
    });
  });
}
