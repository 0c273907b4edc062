// A raw MLLP test client over node:net, for what node-hl7-client cannot send (split chunks, garbage, stalls).
import net from 'node:net';
import { MllpDecoder, frame } from '../../../src/hl7v2/mllp.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';

export class RawClient {
  private readonly decoder = new MllpDecoder();
  private readonly frames: string[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      for (const f of this.decoder.push(c)) this.frames.push(f.data.toString('utf8'));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number): Promise<RawClient> {
    const s = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    s.setNoDelay(true);
    return new RawClient(s);
  }

  write(data: Buffer | string): void {
    this.socket.write(data);
  }

  send(message: string): void {
    this.socket.write(frame(message));
  }

  /** The next n frames received (rejects on timeout or close). */
  async next(n = 1, timeoutMs = 5000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length < n) {
      if (this.closed) throw new Error(`connection closed after ${this.frames.length} frames`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${n} frames, got ${this.frames.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.frames.splice(0, n);
  }

  /** Resolves when the server closes the connection. */
  async waitClosed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** MSA-1 and MSA-2 of an ACK. */
export function msa(ack: string): [string, string] {
  const m = Hl7Message.parse(ack);
  return [m.get('MSA-1'), m.get('MSA-2')];
}
