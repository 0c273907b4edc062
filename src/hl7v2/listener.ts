// MLLP listener over node:net / node:tls with our own framing (see README "HL7 v2": node-hl7-server 2.5.0 answers
// later messages on a connection with the first message's MSA-2). Each connection decodes frames with its own
// MllpDecoder and handles them strictly in order; ACKs are written framed, in the same order.
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { MllpDecoder, frame, payloadText, type Frame } from './mllp.js';
import { buildAck, salvageAckSource, ErrorCode } from './ack.js';
import { errorFields } from './log-fields.js';
import { silentLogger, type Logger } from '../log.js';

/** What a handler learns about the connection a message came on. */
export interface ConnectionInfo {
  connectionId: number;
  remoteAddress: string;
}

/** Handles one frame's text; returns the ACK(s) to send back (none for enhanced-mode NE). */
export type MessageHandler = (text: string, conn: ConnectionInfo) => Promise<string | string[] | undefined>;

export interface ListenerOptions {
  port: number;
  host?: string;
  /** TLS server options (key, cert, ca, requestCert); plain TCP when absent. */
  tls?: tls.TlsOptions;
  handle: MessageHandler;
  /** Largest accepted message in bytes (default 16 MiB); larger ones are answered AR. */
  maxFrameBytes?: number;
  /** Close a connection with no traffic for this long (default 10 minutes; 0 = never). */
  idleTimeoutMs?: number;
  /** Close a connection whose started frame does not finish within this time of reading (default 30 s). */
  frameTimeoutMs?: number;
  /** Stop reading from a connection while this many messages wait for their handler (default 32). */
  maxPendingPerConnection?: number;
  /** How long `close()` waits for messages in flight to be answered before dropping connections (default 5 s). */
  closeTimeoutMs?: number;
  maxConnections?: number;
  logger?: Logger;
}

/** A running MLLP server. */
export class MllpListener {
  private server: net.Server | undefined;
  private readonly connections = new Set<Connection>();
  private nextId = 1;
  private readonly log: Logger;

  constructor(private readonly options: ListenerOptions) {
    this.log = options.logger ?? silentLogger;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async start(): Promise<AddressInfo> {
    const onSocket = (s: net.Socket): void => this.accept(s);
    // Half-open: a sender may send FIN after its last frame and still wait for the ACKs.
    const server = this.options.tls
      ? tls.createServer({ ...this.options.tls, allowHalfOpen: true }, onSocket)
      : net.createServer({ allowHalfOpen: true }, onSocket);
    if (this.options.maxConnections) server.maxConnections = this.options.maxConnections;
    server.on('error', (err) => this.log.error('mllp server error', { error: err.message }));
    if (this.options.tls) server.on('tlsClientError', (err) => this.log.warn('mllp tls error', { error: err.message }));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const addr = server.address() as AddressInfo;
    this.log.info('mllp listening', { port: addr.port, tls: Boolean(this.options.tls) });
    return addr;
  }

  /** Number of open connections. */
  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stops accepting and reading, answers the messages already read (up to closeTimeoutMs), then closes every
   * connection and waits for the server to close.
   */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.closeTimeoutMs ?? 5000)));
    try {
      await Promise.all([...this.connections].map((c) => c.shutdown(deadline)));
    } finally {
      clearTimeout(timer);
    }
    await closed;
  }

  private accept(socket: net.Socket): void {
    const connection = new Connection(socket, this.nextId++, this.options, this.log);
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
  }
}

/**
 * One client connection. Reading stops while the sender is ahead of us (too many messages waiting for the handler,
 * or ACKs it does not read piling up unsent), and while the listener shuts down.
 */
class Connection {
  private readonly info: ConnectionInfo;
  private readonly log: Logger;
  private readonly decoder: MllpDecoder;
  private readonly frameMs: number;
  private readonly maxPending: number;
  private pending = 0;
  /** Settles once every frame read so far has been answered (it never rejects). */
  private answered: Promise<void> = Promise.resolve();
  private frameTimer: NodeJS.Timeout | undefined;
  private readEnded = false;
  /** open; stopping (close() began: no more reading, answering what was read); ending (discarding until FIN). */
  private phase: 'open' | 'stopping' | 'ending' = 'open';
  private readonly closed: Promise<void>;

  constructor(
    private readonly socket: net.Socket,
    connectionId: number,
    private readonly options: ListenerOptions,
    listenerLog: Logger,
  ) {
    this.info = { connectionId, remoteAddress: socket.remoteAddress ?? '' };
    this.log = listenerLog.child({ connectionId });
    this.frameMs = options.frameTimeoutMs ?? 30_000;
    this.maxPending = options.maxPendingPerConnection ?? 32;
    this.decoder = new MllpDecoder({
      maxFrameBytes: options.maxFrameBytes,
      onIssue: (issue) => this.log.warn('mllp framing issue', { ...issue }),
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.setNoDelay(true);
    const idleMs = options.idleTimeoutMs ?? 600_000;
    if (idleMs > 0) socket.setTimeout(idleMs);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.flow());
    socket.on('end', () => this.onEnd());
    socket.on('timeout', () => {
      this.log.info('mllp connection idle; closing');
      socket.destroy();
    });
    socket.on('error', (err) => this.log.warn('mllp connection error', { error: err.message }));
    socket.on('close', () => {
      this.decoder.end();
      this.stopFrameTimer();
    });
  }

  /** Stops reading, waits (until deadline) for the frames already read to be answered, then closes. */
  async shutdown(deadline: Promise<void>): Promise<void> {
    this.phase = 'stopping';
    this.flow();
    await Promise.race([this.answered, this.closed, deadline]);
    // End after the ACKs written, and read on until the peer's FIN: closing with unread input would reset the
    // connection and could discard those ACKs.
    this.phase = 'ending';
    this.socket.end();
    this.flow();
    await Promise.race([this.closed, deadline]);
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'ending') return; // sent after close() began: unanswered, so the sender resends
    const frames = this.decoder.push(chunk);
    // The stall timer runs from the start of the frame now open; a completed frame restarts it.
    if (frames.length > 0) this.stopFrameTimer();
    for (const f of frames) {
      this.pending++;
      this.answered = this.answered.then(() => this.answer(f)).catch((err) => this.drop(err));
    }
    this.flow();
  }

  /** The sender finished sending (FIN): answer what it sent, then end our side too. */
  private onEnd(): void {
    this.readEnded = true;
    this.decoder.end();
    this.stopFrameTimer();
    void this.answered.then(() => this.socket.end());
  }

  /** Pauses or resumes reading from the handler queue and the write backlog; the stall timer runs only while reading. */
  private flow(): void {
    if (this.socket.destroyed) return;
    const hold =
      this.phase === 'open'
        ? this.pending >= this.maxPending || this.socket.writableNeedDrain
        : this.phase === 'stopping';
    if (hold) this.socket.pause();
    else this.socket.resume();
    const readingFrame = !hold && this.phase === 'open' && !this.readEnded && this.decoder.inProgress;
    if (readingFrame) this.startFrameTimer();
    else this.stopFrameTimer();
  }

  private startFrameTimer(): void {
    if (this.frameTimer || this.frameMs <= 0) return;
    this.frameTimer = setTimeout(() => {
      this.log.warn('mllp frame stalled; closing connection', { bufferedBytes: this.decoder.buffered });
      this.socket.destroy();
    }, this.frameMs);
  }

  private stopFrameTimer(): void {
    clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  private async answer(f: Frame): Promise<void> {
    try {
      const replies = await this.replies(f);
      if (this.socket.destroyed) return;
      for (const r of typeof replies === 'string' ? [replies] : (replies ?? [])) this.socket.write(frame(r));
    } finally {
      this.pending--;
      this.flow();
    }
  }

  /** A reply that cannot be written would leave the sender's ACKs out of step: close, it resends. */
  private drop(err: unknown): void {
    this.log.error('mllp reply failed; closing connection', errorFields(err));
    this.socket.destroy();
  }

  private async replies(f: Frame): Promise<string | string[] | undefined> {
    try {
      if (f.oversize !== undefined) {
        return buildAck(salvageAckSource(f.data.toString('latin1')), 'AR', {
          errors: [
            { code: ErrorCode.applicationInternalError, text: `message of ${f.oversize} bytes exceeds the limit` },
          ],
        });
      }
      return await this.options.handle(payloadText(f.data), this.info);
    } catch (err) {
      // e.g. the database is unreachable: AR tells the sender to resend later, so nothing is lost.
      this.log.error('mllp handler failed', errorFields(err));
      return buildAck(salvageAckSource(f.data.subarray(0, 2048).toString('latin1')), 'AR', {
        errors: [{ code: ErrorCode.applicationInternalError, text: 'temporary processing failure' }],
      });
    }
  }
}
