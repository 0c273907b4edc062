// The inbound pipeline for one MLLP frame: split batches, parse, store raw, answer duplicates with their original
// ACK, map to a transaction Bundle, hand it to the executor (the repository, wired by the integrator), mark the
// message processed or failed, and build the ACK(s). HL7 v2.5.1 2.9 (processing rules), 2.10.3 (batches).
import {
  buildAck,
  salvageAckSource,
  ackSource,
  responseAcks,
  hl7Timestamp,
  ErrorCode,
  type AckError,
  type ErrorLocation,
} from './ack.js';
import { encodingCharacters } from './encoding.js';
import { Hl7Message, Hl7ParseError, splitBatch } from './message.js';
import { mapMessage, MappingError, type MappingResult } from './mapping/index.js';
import type { MappingConfig } from './mapping/config.js';
import type { Hl7MessageStore, InboundKey } from './store/message-store.js';
import type { Hl7MessageRow } from './store/schema.js';
import { GroupCommitLanes } from '../store/group-commit.js';
import { transactionManager } from '../store/sql-repository.js';
import type { Repository } from '../fhir/repository.js';
import { lostRace } from '../fhir/outcomes.js';
import type { ConnectionInfo } from './listener.js';
import { silentLogger, type Logger } from '../log.js';
import { errorFields } from './log-fields.js';

/**
 * Work an executor runs last inside its transaction (marking the messages processed), so the message's outcome
 * commits with its resources; an executor without a repository transaction leaves it out and the pipeline marks the
 * message after it returns.
 */
export type Finish = (repo: Repository) => Promise<void>;

/** Writes a mapping result (e.g. executes its Bundle as one transaction); throws to fail the message. */
export type Executor = (result: MappingResult, messageId: string, finish?: Finish) => Promise<void>;

/** Writes several messages' results in one transaction, all or nothing (group commit); throws to roll all back. */
export type BatchExecutor = (items: { result: MappingResult; messageId: string }[], finish?: Finish) => Promise<void>;

export interface InboundOptions {
  /** Raw message store; without it nothing is durable (tests, the listener-only benchmark). */
  store?: Hl7MessageStore;
  execute?: Executor;
  /**
   * With a store: messages arriving together from several connections are committed as a group through this
   * executor (see `flush`); a message on its own (reprocess, recovery, fallback) goes through `execute`, or through
   * this executor with one item when `execute` is absent.
   */
  executeBatch?: BatchExecutor;
  /** Most messages in one group commit (default 64). */
  maxBatch?: number;
  /**
   * Lanes running side by side (default 16, above the PostgreSQL pool size), messages spread over them by patient: one patient's messages are
   * processed in arrival order, one transaction (or group commit) at a time.
   */
  groupLanes?: number;
  config?: MappingConfig;
  logger?: Logger;
  /** A duplicate of a message still 'received' after this long is processed again (crash recovery). */
  staleAfterMs?: number;
}

/** One message's outcome. */
export interface ProcessOutcome {
  code: 'AA' | 'AE' | 'AR';
  acks: string[];
  duplicate: boolean;
  messageId?: string;
}

/** An executor error may carry the HL7 location (ExecuteError) or name the failing Bundle entry (entryIndex). */
function executorErrors(err: unknown, result: MappingResult): { code: 'AE' | 'AR'; errors: AckError[] } {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const status = typeof e.status === 'number' ? e.status : 500;
  const index = typeof e.entryIndex === 'number' ? e.entryIndex : -1;
  const location = (e.location as ErrorLocation | undefined) ?? result.entryLocations[index];
  // A write that lost a race with another writer (a REST client updating the same Patient, another process) is not
  // the message's fault: AR, so the sender resends it, rather than AE, which tells it not to.
  if (lostRace(err)) {
    return { code: 'AR', errors: [{ code: ErrorCode.applicationInternalError, text: 'concurrent update; resend' }] };
  }
  if (status >= 400 && status < 500) {
    const notFound = status === 404 || status === 409 || status === 412;
    const text = err instanceof Error ? err.message.slice(0, 200) : 'rejected by the repository';
    return {
      code: 'AE',
      errors: [
        { code: notFound ? ErrorCode.unknownKeyIdentifier : ErrorCode.applicationInternalError, location, text },
      ],
    };
  }
  // Transient or unknown failures: AR asks the sender to resend later (original mode, table 0008).
  return { code: 'AR', errors: [{ code: ErrorCode.applicationInternalError, text: 'temporary processing failure' }] };
}

function inboundKey(msg: Hl7Message): InboundKey {
  return {
    controlId: msg.controlId,
    sendingApplication: msg.sender.application,
    sendingFacility: msg.sender.facility,
    messageType: `${msg.type.code}^${msg.type.event}`,
  };
}

function laneKey(msg: Hl7Message): string {
  return msg.get('PID-3.1') || msg.get('MRG-1.1') || msg.controlId;
}

/** Creates the pipeline; `handle` plugs into MllpListener. */
export function createInboundProcessor(options: InboundOptions = {}) {
  const log = options.logger ?? silentLogger;
  const staleAfter = options.staleAfterMs ?? 60_000;

  /**
   * Marks messages processed with their ACKs: `finish` inside the executor's transaction (one commit with the
   * resources), `unlessDone` afterwards for an executor that did not call it (no repository transaction).
   */
  function processedMarker(items: { id: string; ack: string }[]) {
    let done = false;
    const store = options.store!;
    return {
      finish: async (repo: Repository): Promise<void> => {
        const manager = transactionManager(repo);
        // Outside this store's transaction the UPDATE would wait for the lock the transaction holds (SQLite).
        if (!manager) return;
        await store.markProcessedMany(items, manager);
        done = true;
      },
      unlessDone: async (): Promise<void> => {
        if (!done) await store.markProcessedMany(items);
      },
    };
  }

  const execute: Executor | undefined =
    options.execute ??
    (options.executeBatch
      ? (result, messageId, finish) => options.executeBatch!([{ result, messageId }], finish)
      : undefined);

  /** Marks a message failed (AE/AR with ERR) and builds its ACK(s); `accepted` as for responseAcks. */
  async function fail(
    msg: Hl7Message,
    messageId: string | undefined,
    code: 'AE' | 'AR',
    errors: AckError[],
    reason: string,
    accepted?: boolean,
  ): Promise<ProcessOutcome> {
    const acks = responseAcks(ackSource(msg), code, { errors }, accepted);
    if (messageId) await options.store!.markError(messageId, reason, acks.join('\n'));
    // Logged by code and location only: repository messages can quote identifiers (patient data).
    const e = errors[0];
    log.info('hl7 message failed', {
      messageId,
      controlId: msg.controlId,
      ack: code,
      errorCode: e?.code,
      location: e?.location,
    });
    return { code, acks, duplicate: false, messageId };
  }

  /** Maps a message; a MappingError becomes its AE/AR outcome (marked in the store). */
  async function mapOrFail(msg: Hl7Message, messageId: string | undefined): Promise<MappingResult | ProcessOutcome> {
    try {
      return mapMessage(msg, options.config);
    } catch (err) {
      if (err instanceof MappingError) return fail(msg, messageId, err.ackCode, err.errors, err.message);
      throw err;
    }
  }

  /**
   * Executes one mapped message on its own and marks it processed (AA) in the same transaction, or failed (AE/AR)
   * after the rollback. One commit holds the resources and the 'processed' mark with its ACK: a crash can no longer
   * leave written resources under a message still 'received' (which recovery would have applied a second time).
   */
  async function applyMapped(msg: Hl7Message, messageId: string | undefined, result: MappingResult) {
    const acks = responseAcks(ackSource(msg), 'AA', { errors: result.warnings });
    const marker = messageId ? processedMarker([{ id: messageId, ack: acks.join('\n') }]) : undefined;
    if (execute) {
      try {
        await execute(result, messageId ?? msg.controlId, marker?.finish);
      } catch (err) {
        const { code, errors } = executorErrors(err, result);
        const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
        log.warn('hl7 executor failed', { messageId, status, ...errorFields(err) });
        // Stored raw before it ran: accepted, whatever the application answers.
        return fail(msg, messageId, code, errors, errors[0]!.text, messageId !== undefined);
      }
    }
    await marker?.unlessDone();
    return { code: 'AA', acks, duplicate: false, messageId } satisfies ProcessOutcome;
  }

  async function apply(msg: Hl7Message, messageId: string | undefined): Promise<ProcessOutcome> {
    const mapped = await mapOrFail(msg, messageId);
    return 'bundle' in mapped ? applyMapped(msg, messageId, mapped) : mapped;
  }

  /** Answers a message whose key was stored before: the original ACK, a re-run, or AR while it is in progress. */
  async function answerStored(msg: Hl7Message, row: Hl7MessageRow): Promise<ProcessOutcome> {
    if (row.status !== 'received') {
      // The stored application ACK decides. Enhanced mode may have stored none (NE) or only an accept ACK: then a
      // processed message is answered as before (NE/NE: with nothing), and a failed one runs again like an AR (a
      // temporary failure then succeeds, a permanent one fails the same way and writes nothing).
      const acks = row.ack ? row.ack.split('\n') : [];
      const app = acks.map((a) => Hl7Message.parse(a).get('MSA-1')).findLast((c) => c.startsWith('A'));
      const code = (app || (row.status === 'processed' ? 'AA' : 'AR')) as ProcessOutcome['code'];
      // AR invites a resend (HL7 v2.5.1 table 0008): process it again rather than repeat the rejection.
      if (code === 'AR') return apply(msg, row.id);
      log.info('hl7 duplicate answered with the original ACK', { messageId: row.id, controlId: msg.controlId });
      return { code, acks, duplicate: true, messageId: row.id };
    }
    if (Date.now() - row.receivedAt > staleAfter) return apply(msg, row.id); // crashed mid-way: finish it
    const acks = responseAcks(ackSource(msg), 'AR', {
      errors: [{ code: ErrorCode.applicationRecordLocked, text: 'the same message is being processed; resend later' }],
    });
    return { code: 'AR', acks, duplicate: true, messageId: row.id };
  }

  /** Stores one message raw, then processes it (or answers it as a duplicate). */
  async function receiveAndApply(store: Hl7MessageStore, msg: Hl7Message): Promise<ProcessOutcome> {
    const received = await store.receive(inboundKey(msg), msg.raw);
    return received.kind === 'new' ? apply(msg, received.id) : answerStored(msg, received.row);
  }

  /**
   * Group commit of messages that arrived together (from different connections): one multi-row INSERT of the raw
   * messages, one repository transaction for all their Bundles, one UPDATE marking them processed, then every ACK.
   * Each message is still committed before its ACK. When the shared transaction fails, it rolled back as a whole and
   * each message runs again on its own, so a bad message gets its own AE/AR and the others their AA.
   */
  async function flush(store: Hl7MessageStore, executeBatch: BatchExecutor, msgs: Hl7Message[]) {
    const out: ProcessOutcome[] = new Array<ProcessOutcome>(msgs.length);
    const seen = new Set<string>();
    const first: number[] = [];
    const repeated: number[] = []; // the same key twice in one batch: the copy runs after, as a duplicate
    msgs.forEach((m, i) => {
      const k = JSON.stringify([m.sender.application, m.sender.facility, m.controlId]);
      (seen.has(k) ? repeated : first).push(i);
      seen.add(k);
    });
    const received = await store.receiveMany(first.map((i) => ({ key: inboundKey(msgs[i]!), raw: msgs[i]!.raw })));
    const ready: { i: number; id: string; result: MappingResult }[] = [];
    for (const [j, i] of first.entries()) {
      const r = received[j]!;
      if (r.kind !== 'new') {
        out[i] = await answerStored(msgs[i]!, r.row);
        continue;
      }
      const mapped = await mapOrFail(msgs[i]!, r.id);
      if ('bundle' in mapped) ready.push({ i, id: r.id, result: mapped });
      else out[i] = mapped;
    }
    const done = await executeTogether(store, executeBatch, msgs, ready);
    ready.forEach((r, k) => (out[r.i] = done[k]!));
    for (const i of repeated) out[i] = await receiveAndApply(store, msgs[i]!);
    return out;
  }

  /**
   * Executes mapped, stored messages in one transaction and marks them processed with one UPDATE; if the shared
   * transaction fails, each runs on its own. A group of one takes the single path directly (it must not run twice).
   */
  async function executeTogether(
    store: Hl7MessageStore,
    executeBatch: BatchExecutor,
    msgs: Hl7Message[],
    ready: { i: number; id: string; result: MappingResult }[],
  ): Promise<ProcessOutcome[]> {
    const alone = async (): Promise<ProcessOutcome[]> => {
      const out: ProcessOutcome[] = [];
      for (const r of ready) out.push(await applyMapped(msgs[r.i]!, r.id, r.result));
      return out;
    };
    if (ready.length <= 1) return alone();
    const acks = ready.map((r) => responseAcks(ackSource(msgs[r.i]!), 'AA', { errors: r.result.warnings }));
    const marker = processedMarker(ready.map((r, k) => ({ id: r.id, ack: acks[k]!.join('\n') })));
    try {
      await executeBatch(
        ready.map((r) => ({ result: r.result, messageId: r.id })),
        marker.finish,
      );
    } catch (err) {
      log.info('hl7 group commit rolled back; processing its messages one by one', {
        messages: ready.length,
        ...errorFields(err),
      });
      return alone();
    }
    await marker.unlessDone();
    return ready.map((r, k) => ({ code: 'AA', acks: acks[k]!, duplicate: false, messageId: r.id }));
  }

  const { store, executeBatch } = options;
  const lanes = options.groupLanes ?? 16;
  /** Without a batch executor: the lane's messages one after another, each its own transaction. */
  async function oneByOne(s: Hl7MessageStore, msgs: Hl7Message[]): Promise<ProcessOutcome[]> {
    const out: ProcessOutcome[] = [];
    for (const m of msgs) out.push(await receiveAndApply(s, m));
    return out;
  }

  // Messages with a store always go through per-patient lanes: on PostgreSQL, concurrent transactions for one new
  // patient would each find no match and each create the Patient (seen: 8 concurrent ORUs, 8 Patients).
  const group = store
    ? new GroupCommitLanes(
        (msgs: Hl7Message[]) => (executeBatch ? flush(store, executeBatch, msgs) : oneByOne(store, msgs)),
        lanes,
        options.maxBatch,
      )
    : undefined;

  /** Processes one message's text; never throws for bad input (AR instead). */
  async function processMessage(text: string): Promise<ProcessOutcome> {
    let msg: Hl7Message;
    try {
      msg = Hl7Message.parse(text);
    } catch (err) {
      const reason = err instanceof Hl7ParseError ? err.message : 'unreadable message';
      log.warn('hl7 message rejected', { reason });
      const ack = buildAck(salvageAckSource(text), 'AR', {
        errors: [{ code: ErrorCode.segmentSequence, location: { segment: 'MSH' }, text: reason }],
      });
      return { code: 'AR', acks: [ack], duplicate: false };
    }
    if (!group) return apply(msg, undefined);
    // The lane key is the patient (PID-3, else MRG-1): one patient's messages commit in order, never racing to
    // create the same Patient; messages without one spread by control id.
    return group.submit(laneKey(msg), msg);
  }

  /** Processes a frame: one message, or a batch answered with a batch of ACKs (HL7 v2.5.1 2.10.3). */
  async function processFrame(text: string): Promise<string[]> {
    let batch;
    try {
      batch = splitBatch(text);
    } catch (err) {
      return [buildAckForBadBatch(text, err)];
    }
    if (!batch.isBatch) return (await processMessage(text)).acks;
    const acks: string[] = [];
    for (const m of batch.messages) acks.push(...(await processMessage(m)).acks);
    return [wrapBatch(batch.headers, acks)];
  }

  /** Processes a stored message again (admin reprocess), using its raw text. */
  async function reprocess(id: string): Promise<ProcessOutcome | undefined> {
    const store = options.store;
    if (!store) throw new Error('reprocess needs a message store');
    const row = await store.get(id);
    if (!row) return undefined;
    await store.resetForReprocess(id);
    return apply(Hl7Message.parse(row.raw), id);
  }

  /** Finishes messages left 'received' by a crash (older than `olderThanMs`); returns how many were processed. */
  async function recover(olderThanMs = staleAfter): Promise<number> {
    const store = options.store;
    if (!store) return 0;
    const rows = await store.stale(olderThanMs);
    for (const row of rows) {
      try {
        await apply(Hl7Message.parse(row.raw), row.id);
      } catch (err) {
        log.error('hl7 recovery failed', {
          messageId: row.id,
          ...errorFields(err),
        });
      }
    }
    return rows.length;
  }

  const handle = async (text: string, _conn: ConnectionInfo): Promise<string[]> => processFrame(text);
  return { handle, processMessage, processFrame, reprocess, recover };
}

function buildAckForBadBatch(text: string, err: unknown): string {
  return buildAck(salvageAckSource(text), 'AR', {
    errors: [{ code: ErrorCode.segmentSequence, text: err instanceof Error ? err.message : 'bad batch' }],
  });
}

/** Wraps ACKs in BHS/BTS (and FHS/FTS when the request had a file header), headers swapped as in an ACK. */
function wrapBatch(headers: string[], acks: string[]): string {
  const out: string[] = [];
  const hasFile = headers.some((h) => h.startsWith('FHS'));
  const bhs = headers.find((h) => h.startsWith('BHS')) ?? headers[0] ?? 'BHS|^~\\&';
  const f = bhs.charAt(3) || '|';
  const parts = bhs.split(f);
  const enc =
    parts[1] || encodingCharacters({ field: f, component: '^', repetition: '~', escape: '\\', subcomponent: '&' });
  const header = (name: string): string =>
    [name, enc, parts[4] ?? '', parts[5] ?? '', parts[2] ?? '', parts[3] ?? '', hl7Timestamp()].join(f);
  if (hasFile) out.push(header('FHS'));
  out.push(header('BHS'));
  out.push(...acks);
  out.push(`BTS${f}${acks.length}`);
  if (hasFile) out.push(`FTS${f}1`);
  return out.join('\r');
}
