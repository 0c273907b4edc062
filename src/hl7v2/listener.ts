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
  /** Close a connection whose started frame does not finish within this time (default 30 s). */
  frameTimeoutMs?: number;
  /** Stop reading from a connection while this many messages wait for their handler (default 32). */
  maxPendingPerConnection?: number;
  maxConnections?: number;
  logger?: Logger;
}

/** A running MLLP server. */
export class MllpListener {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private nextId = 1;
  private readonly log: Logger;

  constructor(private readonly options: ListenerOptions) {
    this.log = options.logger ?? silentLogger;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  async start(): Promise<AddressInfo> {
    const onSocket = (s: net.Socket): void => this.accept(s);
    const server = this.options.tls ? tls.createServer(this.options.tls, onSocket) : net.createServer(onSocket);
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
    return this.sockets.size;
  }

  /** Stops accepting, closes every connection, waits for the server to close. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  private accept(socket: net.Socket): void {
    const conn: ConnectionInfo = { connectionId: this.nextId++, remoteAddress: socket.remoteAddress ?? '' };
    const log = this.log.child({ connectionId: conn.connectionId });
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const idleMs = this.options.idleTimeoutMs ?? 600_000;
    const frameMs = this.options.frameTimeoutMs ?? 30_000;
    const maxPending = this.options.maxPendingPerConnection ?? 32;
    const decoder = new MllpDecoder({
      maxFrameBytes: this.options.maxFrameBytes,
      onIssue: (issue) => log.warn('mllp framing issue', { ...issue }),
    });
    let pending = 0;
    let chain: Promise<void> = Promise.resolve();
    let frameTimer: NodeJS.Timeout | undefined;
    if (idleMs > 0) socket.setTimeout(idleMs);

    // The stall timer runs from the start of the frame now open; a completed frame restarts it.
    const armFrameTimer = (completed: boolean): void => {
      if (completed && frameTimer) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      }
      if (decoder.inProgress && !frameTimer && frameMs > 0) {
        frameTimer = setTimeout(() => {
          log.warn('mllp frame stalled; closing connection', { bufferedBytes: decoder.buffered });
          socket.destroy();
        }, frameMs);
      } else if (!decoder.inProgress && frameTimer) {
        clearTimeout(frameTimer);
        frameTimer = undefined;
      }
    };

    const handleFrame = async (f: Frame): Promise<void> => {
      let replies: string | string[] | undefined;
      try {
        if (f.oversize !== undefined) {
          const src = salvageAckSource(f.data.toString('latin1'));
          replies = buildAck(src, 'AR', {
            errors: [
              { code: ErrorCode.applicationInternalError, text: `message of ${f.oversize} bytes exceeds the limit` },
            ],
          });
        } else {
          replies = await this.options.handle(payloadText(f.data), conn);
        }
      } catch (err) {
        // e.g. the database is unreachable: AR tells the sender to resend later, so nothing is lost.
        log.error('mllp handler failed', errorFields(err));
        const src = salvageAckSource(f.data.subarray(0, 2048).toString('latin1'));
        replies = buildAck(src, 'AR', {
          errors: [{ code: ErrorCode.applicationInternalError, text: 'temporary processing failure' }],
        });
      }
      if (socket.destroyed) return;
      for (const r of typeof replies === 'string' ? [replies] : (replies ?? [])) socket.write(frame(r));
    };

    socket.on('data', (chunk: Buffer) => {
      const frames = decoder.push(chunk);
      armFrameTimer(frames.length > 0);
      for (const f of frames) {
        pending++;
        if (pending >= maxPending) socket.pause();
        chain = chain
          .then(() => handleFrame(f))
          .finally(() => {
            pending--;
            if (pending < maxPending && socket.isPaused() && !socket.destroyed) socket.resume();
          });
      }
    });
    socket.on('timeout', () => {
      log.info('mllp connection idle; closing');
      socket.destroy();
    });
    socket.on('error', (err) => log.warn('mllp connection error', { error: err.message }));
    socket.on('close', () => {
      decoder.end();
      if (frameTimer) clearTimeout(frameTimer);
      this.sockets.delete(socket);
    });
  }
}
