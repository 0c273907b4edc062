// The inbound HL7 v2 message table: every message stored raw before processing, with its status and ACK, and a
// unique (sending application, sending facility, control id) key for duplicate detection (HL7 v2.5.1 2.9.2: MSH-10
// is unique per sending system). Contributed to the store as { entities: hl7Entities, migrations: hl7Migrations }.
import { EntitySchema, type MigrationInterface, type QueryRunner } from 'typeorm';

export type Hl7MessageStatus = 'received' | 'processed' | 'error';

/** One row of hl7_message. Times are ms since epoch. */
export interface Hl7MessageRow {
  id: string;
  controlId: string;
  sendingApplication: string;
  sendingFacility: string;
  messageType: string;
  receivedAt: number;
  raw: string;
  status: Hl7MessageStatus;
  reason: string | null;
  ack: string | null;
  processedAt: number | null;
  attempts: number;
}

// PostgreSQL returns BIGINT as a string; the transformer keeps the row type honest on both databases.
const msTransformer = {
  to: (v: number | null) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};

export const Hl7MessageEntity = new EntitySchema<Hl7MessageRow>({
  name: 'Hl7Message',
  tableName: 'hl7_message',
  columns: {
    id: { type: 'varchar', length: 36, primary: true },
    controlId: { name: 'control_id', type: 'varchar', length: 199 },
    sendingApplication: { name: 'sending_application', type: 'varchar', length: 227 },
    sendingFacility: { name: 'sending_facility', type: 'varchar', length: 227 },
    messageType: { name: 'message_type', type: 'varchar', length: 32 },
    receivedAt: { name: 'received_at', type: 'bigint', transformer: msTransformer },
    raw: { type: 'text' },
    status: { type: 'varchar', length: 16 },
    reason: { type: 'text', nullable: true },
    ack: { type: 'text', nullable: true },
    processedAt: { name: 'processed_at', type: 'bigint', nullable: true, transformer: msTransformer },
    attempts: { type: 'integer' },
  },
  uniques: [{ name: 'hl7_message_sender_control', columns: ['sendingApplication', 'sendingFacility', 'controlId'] }],
  indices: [{ name: 'hl7_message_status', columns: ['status', 'receivedAt'] }],
});

/** Migration 1 of the HL7 module: the hl7_message table (SQLite and PostgreSQL). */
export class Hl7Messages1764160000000 implements MigrationInterface {
  name = 'Hl7Messages1764160000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const pg = queryRunner.connection.options.type === 'postgres';
    const ms = pg ? 'BIGINT' : 'INTEGER';
    await queryRunner.query(
      `CREATE TABLE hl7_message (id VARCHAR(36) PRIMARY KEY, control_id VARCHAR(199) NOT NULL, ` +
        `sending_application VARCHAR(227) NOT NULL, sending_facility VARCHAR(227) NOT NULL, ` +
        `message_type VARCHAR(32) NOT NULL, received_at ${ms} NOT NULL, raw TEXT NOT NULL, ` +
        `status VARCHAR(16) NOT NULL, reason TEXT, ack TEXT, processed_at ${ms}, attempts INTEGER NOT NULL DEFAULT 0, ` +
        `CONSTRAINT hl7_message_sender_control UNIQUE (sending_application, sending_facility, control_id))`,
    );
    await queryRunner.query(`CREATE INDEX hl7_message_status ON hl7_message (status, received_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE hl7_message`);
  }
}

/** EntitySchemas of the HL7 module. */
export const hl7Entities = [Hl7MessageEntity];
/** Migrations of the HL7 module, oldest first. */
export const hl7Migrations = [Hl7Messages1764160000000];

/** The HL7 module in the store's StoreModule shape: openDataSource(url, { modules: [hl7StoreModule] }). */
export const hl7StoreModule = { name: 'hl7v2', entities: hl7Entities, migrations: hl7Migrations };
