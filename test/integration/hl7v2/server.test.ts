// startHl7Server end to end on SQLite: node-hl7-client sends an ORU^R01, gets AA, the raw message is stored
// processed with that ACK, and the executor received the transaction Bundle.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client, Message } from 'node-hl7-client';
import { startHl7Server, Hl7MessageStore, type MappingResult } from '../../../src/hl7v2/index.js';
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

  it('AE for a rejected Observation names its OBX by occurrence in ERR-2, not by OBX-1 (Set IDs 5 and 7)', async () => {
    const db = sqliteDatabase();
    const ds = await hl7DataSource(db);
    const oru = [
      'MSH|^~\\&|RIS|GENHOSP|CTFHIR|CTF|20240317090000||ORU^R01^ORU_R01|MSG-ERL-1|P|2.5.1',
      'PID|1||MRN789^^^GENHOSP^MR||POE^EDGAR',
      'OBR|1||FI2005|24627-2^CT Chest^LN|||20240317083000|||||||||||||||||CT|F',
      'OBX|5|CWE|59776-5^Procedure findings^LN|1|60046008^Pleural effusion^SCT||||||F',
      'OBX|7|CWE|59776-5^Procedure findings^LN|2|27925004^Nodule^SCT||||||F',
    ].join('\r');
    // The repository rejects the second OBX's Observation (the nodule), as it would an invalid resource.
    const { listener, address } = await startHl7Server({
      port: 0,
      store: new Hl7MessageStore(ds),
      execute: async (r) => {
        const entryIndex = (r.bundle.entry ?? []).findIndex((e) => JSON.stringify(e.resource).includes('27925004'));
        throw Object.assign(new Error('Observation rejected'), { status: 422, entryIndex });
      },
    });
    const client = new Client({ host: '127.0.0.1' });
    try {
      const ack = await new Promise<string>((resolve) => {
        const conn = client.createConnection({ port: address.port, waitAck: false }, (res) =>
          resolve(res.getMessage().toString()),
        );
        void conn.sendMessage(new Message({ text: oru }));
      });
      const parsed = Hl7Message.parse(ack);
      assert.equal(parsed.get('MSA-1'), 'AE');
      assert.equal(parsed.segment('ERR')!.rawField(2), 'OBX^2', 'ERL.2 is the second OBX of the message');
    } finally {
      client.closeAll();
      await listener.close();
      await ds.destroy();
      await db.drop();
    }
  });
});
