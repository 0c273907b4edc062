// startHl7Server end to end on SQLite: node-hl7-client sends an ORU^R01, gets AA, the raw message is stored
// processed with that ACK, and the executor received the transaction Bundle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Message } from 'node-hl7-client';
import { startHl7Server, Hl7MessageStore, type MappingResult } from '../../../src/hl7v2/index.js';
import type { Executor } from '../../../src/hl7v2/inbound.js';
import { ExecuteError } from '../../../src/hl7v2/execute.js';
import { concurrentWrite, OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { mapDbError } from '../../../src/store/db-errors.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { sqliteDatabase } from '../../support/databases.js';
import { fixture } from '../../unit/hl7v2/fixtures.js';
import { hl7DataSource } from './datasource.js';

describe('HL7 server (listener + pipeline + raw store)', () => {
  it('stores, maps and acknowledges a message sent by node-hl7-client', async () => {
    const db = sqliteDatabase();
    const ds = await hl7DataSource(db);
    const store = new Hl7MessageStore(ds);
    const executed: MappingResult[] = [];
    const { listener, address } = await startHl7Server({
      port: 0,
      store,
      execute: async (r) => {
        executed.push(r);
      },
    });
    const client = new Client({ host: '127.0.0.1' });
    try {
      const ack = await new Promise<string>((resolve) => {
        const conn = client.createConnection({ port: address.port, waitAck: false }, (res) =>
          resolve(res.getMessage().toString()),
        );
        void conn.sendMessage(new Message({ text: fixture('oru-r01-v251.hl7') }));
      });
      assert.match(ack, /MSA\|CA\|MSG00251/, 'enhanced mode: MSH-15 AL asks for an accept ACK, MSH-16 NE for none');
      const [row] = await store.list();
      assert.equal(row?.controlId, 'MSG00251');
      assert.equal(row?.status, 'processed');
      assert.equal(executed.length, 1);
      assert.equal(executed[0]!.bundle.type, 'transaction');
      assert.equal(executed[0]!.triggers.length, 1, 'a corrected report triggers label extraction');
    } finally {
      client.closeAll();
      await listener.close();
      await ds.destroy();
      await db.drop();
    }
  });

  /** The ACK of `text` sent to a real listener whose executor is `execute`. */
  async function ackOf(text: string, execute: Executor): Promise<Hl7Message> {
    const db = sqliteDatabase();
    const ds = await hl7DataSource(db);
    const { listener, address } = await startHl7Server({ port: 0, store: new Hl7MessageStore(ds), execute });
    const client = new Client({ host: '127.0.0.1' });
    try {
      const ack = await new Promise<string>((resolve) => {
        const conn = client.createConnection({ port: address.port, waitAck: false }, (res) =>
          resolve(res.getMessage().toString()),
        );
        void conn.sendMessage(new Message({ text }));
      });
      return Hl7Message.parse(ack);
    } finally {
      client.closeAll();
      await listener.close();
      await ds.destroy();
      await db.drop();
    }
  }

  const oru = (controlId: string): string =>
    [
      `MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240317090000||ORU^R01^ORU_R01|${controlId}|P|2.5.1`,
      'PID|1||MRN789^^^GENHOSP^MR||POE^EDGAR',
      'OBR|1||FI2005|24627-2^CT Chest^LN|||20240317083000|||||||||||||||||CT|F',
      'OBX|5|CWE|59776-5^Procedure findings^LN|1|60046008^Pleural effusion^SCT||||||F',
      'OBX|7|CWE|59776-5^Procedure findings^LN|2|27925004^Nodule^SCT||||||F',
    ].join('\r');

  it('AE for a rejected Observation names its OBX by occurrence in ERR-2, not by OBX-1 (Set IDs 5 and 7)', async () => {
    // The repository rejects the second OBX's Observation (the nodule), as it would an invalid resource.
    const parsed = await ackOf(oru('MSG-ERL-1'), async (r) => {
      const entryIndex = (r.bundle.entry ?? []).findIndex((e) => JSON.stringify(e.resource).includes('27925004'));
      throw Object.assign(new Error('Observation rejected'), { status: 422, entryIndex });
    });
    assert.equal(parsed.get('MSA-1'), 'AE');
    assert.equal(parsed.segment('ERR')!.rawField(2), 'OBX^2', 'ERL.2 is the second OBX of the message');
  });

  it('AR for a write that lost a race with a concurrent writer (resend), AE for a 409 that is the data', async () => {
    // A PostgreSQL deadlock as the store maps it, wrapped by the executor as applyResult does. Before, AE: the RIS was
    // told not to resend a message that would have gone through the second time.
    const deadlock = mapDbError(Object.assign(new Error('deadlock detected'), { code: '40P01' }));
    const raced = await ackOf(oru('MSG-RACE-1'), async () => {
      throw new ExecuteError(409, 'deadlock detected', undefined, { cause: deadlock });
    });
    assert.equal(raced.get('MSA-1'), 'AR');
    assert.match(raced.segment('ERR')!.rawField(8), /concurrent update; resend/);
    // A version guard that found a newer version (write-plan), surfacing through the transaction Bundle.
    const stale = await ackOf(oru('MSG-RACE-2'), async () => {
      throw new OperationOutcomeError(409, concurrentWrite('Patient/1 was changed by a concurrent write').outcome, {
        cause: concurrentWrite('Patient/1 was changed by a concurrent write'),
      });
    });
    assert.equal(stale.get('MSA-1'), 'AR');
    // Identifiers that find two unrelated patients stay AE: resending cannot help.
    const data = await ackOf(oru('MSG-RACE-3'), async () => {
      throw new ExecuteError(409, 'PID-3: the identifiers match 2 patients that are not merged', {
        segment: 'PID',
        field: 3,
      });
    });
    assert.equal(data.get('MSA-1'), 'AE');
  });
});
