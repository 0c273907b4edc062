// Outbound MLLP sender: one connection, several messages in flight, each ACK matched to its message by MSA-2
// (HL7 v2.5.1 2.14.1). node-hl7-client resolves when the bytes are written, not when the ACK arrives, so
// correlation is done here. Outcomes are data for the job layer: AA done; AE/AR/timeout/error retried or dead-lettered.
// A send given an AbortSignal (the job's: lease lost, worker stopping) stops connecting or waiting for its ACK at once.
import net from 'node:net';
import tls from 'node:tls';
import { MllpDecoder, frame, payloadText } from './mllp.js';
import { Hl7Message } from './message.js';
import { silentLogger, type Logger } from '../log.js';

export type SendOutcome = 'AA' | 'AE' | 'AR' | 'timeout' | 'error' | 'aborted';

export interface SendResult {
  outcome: SendOutcome;
  /** MSH-10 of the message sent. */
  controlId: string;
  /** The ACK as received, when one came. */
  ack?: string;
  /** MSA-3 / ERR-8 text, the connection error, or the abort reason. */
  text?: string;
  /** An AE/AR's structured reason: ERR-3 (HL7 table 0357 code) and ERR-2 (location), which carry no patient data. */
  error?: { code?: string; location?: string };
}

export interface SenderOptions {
  host: string;
  port: number;
  tls?: tls.ConnectionOptions;
  /** How long to wait for the ACK of one message (default 30 s). */
  ackTimeoutMs?: number;
  connectTimeoutMs?: number;
  maxFrameBytes?: number;
  logger?: Logger;
}

export interface SendOptions {
  /** When it aborts, the send stops connecting or waiting for the ACK and resolves 'aborted'. */
  signal?: AbortSignal;
}

/** A message waiting for its ACK; settling clears its timer and abort listener and removes it from `pending`. */
interface Pending {
  settle: (r: SendResult) => void;
}

const aborted = (controlId: string, signal: AbortSignal): SendResult => ({
  outcome: 'aborted',
  controlId,
  text: `aborted: ${signal.reason instanceof Error ? signal.reason.message : String(signal.reason)}`,
});

/** `p`, or a rejection as soon as `signal` aborts (p's own outcome is then ignored, never unhandled). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Sends messages over MLLP and resolves each with the ACK whose MSA-2 equals its MSH-10. */
export class MllpSender {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  /** The socket `connecting` waits for, so an abort can stop the attempt. */
  private connectingSocket: net.Socket | undefined;
  private readonly pending = new Map<string, Pending>();
  /** Sends between their start and their result (connecting or waiting for the ACK). */
  private active = 0;
  private readonly log: Logger;

  constructor(private readonly options: SenderOptions) {
    this.log = options.logger ?? silentLogger;
  }

  /**
   * Sends one message (its MSH-10 must be unique among those in flight); never throws. Aborting `signal` resolves it
   * 'aborted' at once and, when no other send uses the connection, closes it (a late ACK has no one to go to).
   */
  async send(message: string, options: SendOptions = {}): Promise<SendResult> {
    const { signal } = options;
    let controlId: string;
    try {
      controlId = Hl7Message.parse(message).controlId;
    } catch (err) {
      return { outcome: 'error', controlId: '', text: `not a valid HL7 message: ${(err as Error).message}` };
    }
    if (!controlId) return { outcome: 'error', controlId, text: 'message has no MSH-10' };
    if (this.pending.has(controlId)) return { outcome: 'error', controlId, text: 'MSH-10 already in flight' };
    if (signal?.aborted) return aborted(controlId, signal);
    this.active++;
    try {
      return await this.deliver(message, controlId, signal);
    } finally {
      if (--this.active === 0 && signal?.aborted) this.drop();
    }
  }

  private async deliver(message: string, controlId: string, signal: AbortSignal | undefined): Promise<SendResult> {
    let socket: net.Socket;
    try {
      socket = await untilAborted(this.connect(), signal);
    } catch (err) {
      if (signal?.aborted) return aborted(controlId, signal);
      return { outcome: 'error', controlId, text: `connect failed: ${(err as Error).message}` };
    }
    // Aborted while the connection was being handed over: nothing was written.
    if (signal?.aborted) return aborted(controlId, signal);
    return new Promise<SendResult>((resolve) => {
      const ackTimeoutMs = this.options.ackTimeoutMs ?? 30_000;
      const settle = (r: SendResult): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(controlId);
        resolve(r);
      };
      const timer = setTimeout(
        () => settle({ outcome: 'timeout', controlId, text: `no ACK within ${ackTimeoutMs} ms` }),
        ackTimeoutMs,
      );
      const onAbort = (): void => settle(aborted(controlId, signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(controlId, { settle });
      socket.write(frame(message));
    });
  }

  /** Closes the connection; messages still waiting resolve as 'error'. */
  async close(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s && !s.destroyed) await new Promise<void>((resolve) => s.end(resolve));
    this.failAll('sender closed');
  }

  /** Closes the connection, or stops the attempt to open one (its sends have given up). */
  private drop(): void {
    this.socket?.destroy();
    const attempt = this.connectingSocket;
    this.socket = this.connectingSocket = this.connecting = undefined;
    // With an error, so the abandoned attempt's promise rejects rather than stays pending.
    attempt?.destroy(new Error('connect aborted'));
  }

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const { host, port } = this.options;
      const s = this.options.tls ? tls.connect({ host, port, ...this.options.tls }) : net.connect({ host, port });
      this.connectingSocket = s;
      const timer = setTimeout(() => s.destroy(new Error('connect timeout')), this.options.connectTimeoutMs ?? 10_000);
      const ready = this.options.tls ? 'secureConnect' : 'connect';
      s.once(ready, () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        this.socket = s;
        this.connecting = this.connectingSocket = undefined;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        if (this.connectingSocket === s) this.connecting = this.connectingSocket = undefined;
        reject(err);
      });
      const decoder = new MllpDecoder({ maxFrameBytes: this.options.maxFrameBytes });
      s.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) this.onAck(payloadText(f.data));
      });
      s.on('error', (err) => this.log.warn('mllp sender connection error', { error: err.message }));
      s.on('close', () => {
        if (this.socket === s) this.socket = undefined;
        this.failAll('connection closed before the ACK');
      });
    });
    return this.connecting;
  }

  private onAck(text: string): void {
    let ack: Hl7Message;
    try {
      ack = Hl7Message.parse(text);
    } catch {
      this.log.warn('mllp sender received an unreadable ACK');
      return;
    }
    const code = ack.get('MSA-1');
    const id = ack.get('MSA-2');
    const p = this.pending.get(id);
    if (!p) {
      this.log.warn('mllp sender received an ACK for no message in flight', { msa2: id });
      return;
    }
    // Enhanced mode: CA (accept) alone means "stored"; treat as success, CE/CR as AE/AR.
    const outcome: SendOutcome = code === 'AA' || code === 'CA' ? 'AA' : code === 'AE' || code === 'CE' ? 'AE' : 'AR';
    const err = ack.segment('ERR');
    const errText = err?.get(8) || ack.get('MSA-3') || undefined;
    const location = err
      ? [1, 2, 3]
          .map((c) => err.get(2, c))
          .filter(Boolean)
          .join('^')
      : '';
    const error = err ? { code: err.get(3) || undefined, location: location || undefined } : undefined;
    p.settle({ outcome, controlId: id, ack: text, text: errText, ...(error ? { error } : {}) });
  }

  private failAll(reason: string): void {
    for (const [id, p] of [...this.pending]) p.settle({ outcome: 'error', controlId: id, text: reason });
  }
}

/** What the job layer does with a send result: AA done; AE dead-letter (the receiver will refuse it again);
 *  AR, timeout, connection errors and an aborted send retry with backoff (HL7 v2.5.1 table 0008: AR invites a
 *  resend). */
export function outboundDisposition(result: SendResult): 'done' | 'retry' | 'dead-letter' {
  if (result.outcome === 'AA') return 'done';
  if (result.outcome === 'AE') return 'dead-letter';
  return 'retry';
}
