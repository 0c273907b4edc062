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
import type { Hl7MessageStore } from './store/message-store.js';
import type { ConnectionInfo } from './listener.js';
import { silentLogger, type Logger } from '../log.js';
import { errorFields } from './log-fields.js';

/** Writes a mapping result (e.g. executes its Bundle as one transaction); throws to fail the message. */
export type Executor = (result: MappingResult, messageId: string) => Promise<void>;

export interface InboundOptions {
  /** Raw message store; without it nothing is durable (tests, the listener-only benchmark). */
  store?: Hl7MessageStore;
  execute?: Executor;
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

/** Creates the pipeline; `handle` plugs into MllpListener. */
export function createInboundProcessor(options: InboundOptions = {}) {
  const log = options.logger ?? silentLogger;
  const staleAfter = options.staleAfterMs ?? 60_000;

  async function apply(msg: Hl7Message, messageId: string | undefined): Promise<ProcessOutcome> {
    const src = ackSource(msg);
    const fail = async (code: 'AE' | 'AR', errors: AckError[], reason: string): Promise<ProcessOutcome> => {
      const acks = responseAcks(src, code, { errors });
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
    };
    let result: MappingResult;
    try {
      result = mapMessage(msg, options.config);
    } catch (err) {
      if (err instanceof MappingError) return fail(err.ackCode, err.errors, err.message);
      throw err;
    }
    if (options.execute) {
      try {
        await options.execute(result, messageId ?? msg.controlId);
      } catch (err) {
        const { code, errors } = executorErrors(err, result);
        const status = typeof err === 'object' && err !== null && 'status' in err ? err.status : undefined;
        log.warn('hl7 executor failed', { messageId, status, ...errorFields(err) });
        return fail(code, errors, errors[0]!.text);
      }
    }
    const acks = responseAcks(src, 'AA', { errors: result.warnings });
    if (messageId) await options.store!.markProcessed(messageId, acks.join('\n'));
    return { code: 'AA', acks, duplicate: false, messageId };
  }

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
    const store = options.store;
    if (!store) return apply(msg, undefined);
    const { application, facility } = msg.sender;
    const received = await store.receive(
      {
        controlId: msg.controlId,
        sendingApplication: application,
        sendingFacility: facility,
        messageType: `${msg.type.code}^${msg.type.event}`,
      },
      msg.raw,
    );
    if (received.kind === 'new') return apply(msg, received.id);
    const row = received.row;
    if (row.status !== 'received') {
      // Enhanced mode with NE/NE stores no ACK at all: the duplicate gets none either.
      const acks = row.ack ? row.ack.split('\n') : [];
      const last = acks.at(-1);
      const stored = last ? Hl7Message.parse(last).get('MSA-1').replace(/^C/, 'A') : '';
      const code = (stored || (row.status === 'processed' ? 'AA' : 'AE')) as ProcessOutcome['code'];
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
