// Raw inbound message store: store before processing, mark processed/error with the ACK sent, find the original
// ACK of a duplicate, list and reset for reprocessing. Functions over a typeorm EntityManager so that marking a
// message processed can join the transaction that writes its resources. On SQLite every statement runs under the
// store's `exclusive` lock: the driver shares one connection, so a bare INSERT issued while another caller's
// transaction is open would land inside that transaction and vanish with its rollback.
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { dialectOf, exclusive } from '../../store/datasource.js';
import { join, list, raw, render, sql, type Frag } from '../../store/sql.js';
import { Hl7MessageEntity, type Hl7MessageRow, type Hl7MessageStatus } from './schema.js';

/** Header values identifying an inbound message. */
export interface InboundKey {
  controlId: string;
  sendingApplication: string;
  sendingFacility: string;
  messageType: string;
}

export type ReceiveResult =
  | { kind: 'new'; id: string }
  /** The same (application, facility, MSH-10) was stored before: its row as it stands. */
  | { kind: 'duplicate'; row: Hl7MessageRow };

export interface ListQuery {
  status?: Hl7MessageStatus;
  limit?: number;
  offset?: number;
}

/** The hl7_message table, over one DataSource. */
export class Hl7MessageStore {
  constructor(private readonly ds: DataSource) {}

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    return exclusive(this.ds, fn);
  }

  private repo(manager?: EntityManager) {
    return (manager ?? this.ds.manager).getRepository(Hl7MessageEntity);
  }

  /** Stores the raw message as 'received' unless its key exists; then reports the duplicate (one round trip more). */
  async receive(key: InboundKey, raw: string, now = Date.now()): Promise<ReceiveResult> {
    const row = newRow(key, raw, now);
    const id = row.id;
    // The common case is a new message: one INSERT. A unique violation means a duplicate (or a concurrent copy).
    try {
      await this.locked(() => this.insertRow(row));
      return { kind: 'new', id };
    } catch (err) {
      const stored = await this.findByKey(key);
      if (!stored) throw err;
      return { kind: 'duplicate', row: stored };
    }
  }

  /**
   * Stores many new messages with one multi-row INSERT (group commit). Keys must differ within the call. If any key
   * exists already, falls back to one `receive` per message, which reports each duplicate.
   */
  async receiveMany(items: { key: InboundKey; raw: string }[], now = Date.now()): Promise<ReceiveResult[]> {
    if (items.length === 0) return [];
    const rows = items.map(({ key, raw }) => newRow(key, raw, now));
    try {
      await this.locked(() => this.insertRow(rows));
      return rows.map((r) => ({ kind: 'new', id: r.id }));
    } catch {
      const out: ReceiveResult[] = [];
      for (const { key, raw } of items) out.push(await this.receive(key, raw, now));
      return out;
    }
  }

  /**
   * One INSERT statement, committed on its own. On PostgreSQL the 'received' row commits without waiting for its WAL
   * flush: `set_config(..., true)` in the statement sets synchronous_commit off for the statement's own implicit
   * transaction only, which is read at its commit, in one round trip (an explicit transaction with SET LOCAL took
   * four). Nothing acknowledged can be lost: the ACK is sent only after the message's transaction commits
   * synchronously, which flushes the WAL up to and including this row. Saves one fsync per message.
   */
  private async insertRow(row: Hl7MessageRow | Hl7MessageRow[]): Promise<void> {
    const rows = Array.isArray(row) ? row : [row];
    const dialect = dialectOf(this.ds);
    // In a VALUES list under SELECT, PostgreSQL types untyped parameters as text: the numbers are cast.
    const [bigint, integer] = dialect === 'postgres' ? [raw('::bigint'), raw('::integer')] : [raw(''), raw('')];
    const values = join(
      rows.map(
        (r) => sql`(${r.id}, ${r.controlId}, ${r.sendingApplication}, ${r.sendingFacility}, ${r.messageType},
          ${r.receivedAt}${bigint}, ${r.raw}, ${r.status}, ${r.reason}, ${r.ack}, ${r.processedAt}${bigint},
          ${r.attempts}${integer})`,
      ),
      ', ',
    );
    const columns = raw(`id, control_id, sending_application, sending_facility, message_type, received_at, raw,
      status, reason, ack, processed_at, attempts`);
    const insert =
      dialect === 'postgres'
        ? sql`WITH async_commit AS (SELECT set_config('synchronous_commit', 'off', true))
            INSERT INTO hl7_message (${columns}) SELECT v.* FROM (VALUES ${values}) AS v, async_commit`
        : sql`INSERT INTO hl7_message (${columns}) VALUES ${values}`;
    await this.ds.query(...render(insert, dialect));
  }

  /** The row for a sender's control id, if any. */
  async findByKey(key: Omit<InboundKey, 'messageType'>): Promise<Hl7MessageRow | null> {
    return this.locked(() =>
      this.repo().findOneBy({
        sendingApplication: key.sendingApplication,
        sendingFacility: key.sendingFacility,
        controlId: key.controlId,
      }),
    );
  }

  async get(id: string): Promise<Hl7MessageRow | null> {
    return this.locked(() => this.repo().findOneBy({ id }));
  }

  /** Marks a message processed with the ACK sent for it; pass the manager of the resource transaction to join it. */
  async markProcessed(id: string, ack: string, manager?: EntityManager, now = Date.now()): Promise<void> {
    await this.finish(id, 'processed', null, ack, now, manager);
  }

  /** Marks a message failed with a reason (no patient data) and the ACK sent (AE/AR). */
  async markError(id: string, reason: string, ack: string | null, manager?: EntityManager, now = Date.now()) {
    await this.finish(id, 'error', reason.slice(0, 2000), ack, now, manager);
  }

  /**
   * Marks messages processed with their ACKs in one UPDATE (one message, or a group commit); pass the manager of
   * the resource transaction to join it.
   */
  async markProcessedMany(items: { id: string; ack: string }[], manager?: EntityManager, now = Date.now()) {
    if (items.length === 0) return;
    if (items.length === 1) return this.markProcessed(items[0]!.id, items[0]!.ack, manager, now);
    const cases = join(
      items.map((i) => sql`WHEN ${i.id} THEN ${i.ack}`),
      ' ',
    );
    const update = sql`UPDATE hl7_message SET status = 'processed', reason = NULL, processed_at = ${now},
      attempts = attempts + 1, ack = CASE id ${cases} END WHERE id IN (${list(items.map((i) => i.id))})`;
    await this.execute(update, manager);
  }

  /**
   * One UPDATE: the outcome plus attempts + 1. Written here rather than with typeorm's query builder, which inlines
   * processed_at as a literal: a new statement text per message, so SQLite prepared every one afresh.
   */
  private async finish(
    id: string,
    status: Hl7MessageStatus,
    reason: string | null,
    ack: string | null,
    now: number,
    manager?: EntityManager,
  ): Promise<void> {
    const update = sql`UPDATE hl7_message SET status = ${status}, reason = ${reason}, ack = ${ack},
      processed_at = ${now}, attempts = attempts + 1 WHERE id = ${id}`;
    await this.execute(update, manager);
  }

  /** Runs a statement in the caller's transaction (whose lock is already held) or on its own under the lock. */
  private async execute(statement: Frag, manager?: EntityManager): Promise<void> {
    const run = () => (manager ?? this.ds.manager).query(...render(statement, dialectOf(this.ds)));
    await (manager ? run() : this.locked(run));
  }

  /** Messages newest first, optionally by status. */
  async list(query: ListQuery = {}): Promise<Hl7MessageRow[]> {
    return this.locked(() =>
      this.repo().find({
        where: query.status ? { status: query.status } : {},
        order: { receivedAt: 'DESC', id: 'ASC' },
        take: Math.min(query.limit ?? 100, 1000),
        skip: query.offset ?? 0,
      }),
    );
  }

  /** Messages still 'received' (crashed before processing finished) older than `olderThanMs`, oldest first. */
  async stale(olderThanMs: number, now = Date.now(), limit = 100): Promise<Hl7MessageRow[]> {
    return this.locked(() =>
      this.repo()
        .createQueryBuilder('m')
        .where('m.status = :s AND m.received_at < :t', { s: 'received', t: now - olderThanMs })
        .orderBy('m.received_at', 'ASC')
        .limit(limit)
        .getMany(),
    );
  }

  /** Resets a message to 'received' so it can be processed again; false when the id is unknown. */
  async resetForReprocess(id: string): Promise<boolean> {
    const r = await this.locked(() => this.repo().update({ id }, { status: 'received', reason: null }));
    return (r.affected ?? 0) > 0;
  }
}

function newRow(key: InboundKey, raw: string, now: number): Hl7MessageRow {
  return {
    id: randomUUID(),
    controlId: key.controlId,
    sendingApplication: key.sendingApplication,
    sendingFacility: key.sendingFacility,
    messageType: key.messageType.slice(0, 32),
    receivedAt: now,
    raw,
    status: 'received',
    reason: null,
    ack: null,
    processedAt: null,
    attempts: 0,
  };
}
