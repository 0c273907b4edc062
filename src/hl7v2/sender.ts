// Outbound MLLP sender: one connection, several messages in flight, each ACK matched to its message by MSA-2
// (HL7 v2.5.1 2.14.1). node-hl7-client resolves when the bytes are written, not when the ACK arrives, so
// correlation is done here. Outcomes are data for the job layer: AA done; AE/AR/timeout/error retried or dead-lettered.
import net from 'node:net';
import tls from 'node:tls';
import { MllpDecoder, frame, payloadText } from './mllp.js';
import { Hl7Message } from './message.js';
import { silentLogger, type Logger } from '../log.js';

export type SendOutcome = 'AA' | 'AE' | 'AR' | 'timeout' | 'error';

export interface SendResult {
  outcome: SendOutcome;
  /** MSH-10 of the message sent. */
  controlId: string;
  /** The ACK as received, when one came. */
  ack?: string;
  /** MSA-3 / ERR-8 text, or the connection error. */
  text?: string;
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

interface Pending {
  resolve: (r: SendResult) => void;
  timer: NodeJS.Timeout;
}

/** Sends messages over MLLP and resolves each with the ACK whose MSA-2 equals its MSH-10. */
export class MllpSender {
  private socket: net.Socket | undefined;
  private connecting: Promise<net.Socket> | undefined;
  private readonly pending = new Map<string, Pending>();
  private readonly log: Logger;

  constructor(private readonly options: SenderOptions) {
    this.log = options.logger ?? silentLogger;
  }

  /** Sends one message (its MSH-10 must be unique among those in flight); never throws. */
  async send(message: string): Promise<SendResult> {
    let controlId: string;
    try {
      controlId = Hl7Message.parse(message).controlId;
    } catch (err) {
      return { outcome: 'error', controlId: '', text: `not a valid HL7 message: ${(err as Error).message}` };
    }
    if (!controlId) return { outcome: 'error', controlId, text: 'message has no MSH-10' };
    if (this.pending.has(controlId)) return { outcome: 'error', controlId, text: 'MSH-10 already in flight' };
    let socket: net.Socket;
    try {
      socket = await this.connect();
    } catch (err) {
      return { outcome: 'error', controlId, text: `connect failed: ${(err as Error).message}` };
    }
    return new Promise<SendResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(controlId);
        resolve({ outcome: 'timeout', controlId, text: `no ACK within ${this.options.ackTimeoutMs ?? 30_000} ms` });
      }, this.options.ackTimeoutMs ?? 30_000);
      this.pending.set(controlId, { resolve, timer });
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

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const { host, port } = this.options;
      const s = this.options.tls ? tls.connect({ host, port, ...this.options.tls }) : net.connect({ host, port });
      const timer = setTimeout(() => s.destroy(new Error('connect timeout')), this.options.connectTimeoutMs ?? 10_000);
      const ready = this.options.tls ? 'secureConnect' : 'connect';
      s.once(ready, () => {
        clearTimeout(timer);
        s.setNoDelay(true);
        this.socket = s;
        this.connecting = undefined;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        this.connecting = undefined;
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
    this.pending.delete(id);
    clearTimeout(p.timer);
    const errText = ack.segment('ERR')?.get(8) || ack.get('MSA-3') || undefined;
    p.resolve({ outcome, controlId: id, ack: text, text: errText });
  }

  private failAll(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.resolve({ outcome: 'error', controlId: id, text: reason });
    }
    this.pending.clear();
  }
}

/** What the job layer does with a send result: AA done; AE dead-letter (the receiver will refuse it again);
 *  AR, timeout and connection errors retry with backoff (HL7 v2.5.1 table 0008: AR invites a resend). */
export function outboundDisposition(result: SendResult): 'done' | 'retry' | 'dead-letter' {
  if (result.outcome === 'AA') return 'done';
  if (result.outcome === 'AE') return 'dead-letter';
  return 'retry';
}
