// The MLLP listener with the real inbound pipeline (parse + mapping, no database), driven by the real
// node-hl7-client where it can send the case and by raw sockets where it cannot.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import tls from 'node:tls';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Batch, Client, Message } from 'node-hl7-client';
import { MllpListener, type ListenerOptions } from '../../../src/hl7v2/listener.js';
import { buildAck } from '../../../src/hl7v2/ack.js';
import { MllpDecoder, frame } from '../../../src/hl7v2/mllp.js';
import { createInboundProcessor } from '../../../src/hl7v2/inbound.js';
import { MllpSender } from '../../../src/hl7v2/sender.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { createLogger } from '../../../src/log.js';
import { fixture } from '../../unit/hl7v2/fixtures.js';
import { RawClient, msa } from './raw-client.js';

const oru = (id: string): string => fixture('oru-r01-v23.hl7').replace('MSG00023', id);
const logLines: string[] = [];

let certCache: { key: Buffer; cert: Buffer } | null | undefined;
/** A self-signed localhost certificate, made once; null without openssl. */
function selfSignedCert(): { key: Buffer; cert: Buffer } | null {
  if (certCache !== undefined) return certCache;
  const dir = mkdtempSync(join(tmpdir(), 'ct-fhir-tls-'));
  const [keyPath, certPath] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  try {
    const subject = ['-subj', '/CN=localhost', '-keyout', keyPath, '-out', certPath];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', ...subject], {
      stdio: 'ignore',
    });
    certCache = { key: readFileSync(keyPath), cert: readFileSync(certPath) };
  } catch {
    certCache = null;
  }
  return certCache;
}
const logger = createLogger('debug', {}, (l) => logLines.push(l));

describe('MLLP listener', () => {
  let listener: MllpListener;
  let port: number;
  before(async () => {
    const proc = createInboundProcessor({ logger });
    listener = new MllpListener({
      port: 0,
      handle: proc.handle,
      maxFrameBytes: 16 * 1024 * 1024,
      frameTimeoutMs: 400,
      idleTimeoutMs: 1500,
      logger,
    });
    port = (await listener.start()).port;
  });
  after(async () => listener.close());

  it('answers 32 messages sent one after another by node-hl7-client, each ACK with its own MSA-2', async () => {
    const client = new Client({ host: '127.0.0.1' });
    const acks: string[] = [];
    let wake: () => void = () => undefined;
    // waitAck: true makes node-hl7-client 3.2.0 stall after the first message here, so wait for each ACK ourselves.
    const conn = client.createConnection({ port, waitAck: false }, (res) => {
      acks.push(res.getMessage().get('MSA.2').toString());
      wake();
    });
    try {
      for (let i = 0; i < 32; i++) {
        const got = new Promise<void>((r) => (wake = r));
        await conn.sendMessage(new Message({ text: oru(`SEQ${i}`) }));
        await got;
      }
      assert.deepEqual(
        acks,
        Array.from({ length: 32 }, (_, i) => `SEQ${i}`),
      );
    } finally {
      client.closeAll();
    }
  });

  it('gives each of 16 concurrent node-hl7-client senders its own MSA-2s, in order', async () => {
    const clients = Array.from({ length: 16 }, () => new Client({ host: '127.0.0.1' }));
    try {
      const results = await Promise.all(
        clients.map(async (client, c) => {
          const acks: string[] = [];
          let done: () => void = () => undefined;
          const finished = new Promise<void>((r) => (done = r));
          const conn = client.createConnection({ port, waitAck: false }, (res) => {
            acks.push(res.getMessage().get('MSA.2').toString());
            if (acks.length === 10) done();
          });
          for (let i = 0; i < 10; i++) await conn.sendMessage(new Message({ text: oru(`C${c}M${i}`) }));
          await finished;
          return acks;
        }),
      );
      results.forEach((acks, c) =>
        assert.deepEqual(
          acks,
          Array.from({ length: 10 }, (_, i) => `C${c}M${i}`),
        ),
      );
    } finally {
      for (const c of clients) c.closeAll();
    }
  });

  it('decodes a message split into many small chunks sent with pauses', async () => {
    const c = await RawClient.connect(port);
    const bytes = Buffer.concat([Buffer.from([0x0b]), Buffer.from(oru('SPLIT1')), Buffer.from([0x1c, 0x0d])]);
    for (let i = 0; i < bytes.length; i += 37) {
      c.write(bytes.subarray(i, i + 37));
      if (i % 185 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    assert.deepEqual(msa((await c.next())[0]!), ['AA', 'SPLIT1']);
    c.close();
  });

  it('answers several messages pipelined in one chunk, in order', async () => {
    const c = await RawClient.connect(port);
    const ids = ['P1', 'P2', 'P3', 'P4', 'P5'];
    c.write(Buffer.concat(ids.map((id) => Buffer.from(`\x0b${oru(id)}\x1c\r`))));
    assert.deepEqual(
      (await c.next(5)).map((a) => msa(a)[1]),
      ids,
    );
    c.close();
  });

  for (const [name, term] of [
    ['\\n', '\n'],
    ['\\r\\n', '\r\n'],
    ['\\r', '\r'],
  ] as const) {
    it(`accepts ${name} segment terminators on the wire`, async () => {
      const c = await RawClient.connect(port);
      c.send(oru('TERM').split('\r').join(term) + term);
      assert.deepEqual(msa((await c.next())[0]!), ['AA', 'TERM']);
      c.close();
    });
  }

  it('answers an FHS/BHS batch with a batch of ACKs', async () => {
    const c = await RawClient.connect(port);
    c.send(
      `FHS|^~\\&|RIS|GENHOSP|CTFHIR|CTF\rBHS|^~\\&|RIS|GENHOSP|CTFHIR|CTF\r${oru('B1')}\r${oru('B2')}\rBTS|2\rFTS|1`,
    );
    const [reply] = await c.next();
    const lines = reply!.split('\r');
    assert.deepEqual(
      lines.map((l) => l.slice(0, 3)),
      ['FHS', 'BHS', 'MSH', 'MSA', 'MSH', 'MSA', 'BTS', 'FTS'],
    );
    assert.deepEqual(
      lines.filter((l) => l.startsWith('MSA')),
      ['MSA|AA|B1', 'MSA|AA|B2'],
    );
    assert.equal(lines[1]!.split('|')[2], 'CTFHIR', 'batch header swaps sender and receiver');
    c.close();
  });

  it('answers a BHS batch built and sent by node-hl7-client, one ACK per message', async () => {
    const client = new Client({ host: '127.0.0.1' });
    const acks: string[] = [];
    try {
      await new Promise<void>((resolve) => {
        const conn = client.createConnection({ port, waitAck: false }, (res) => {
          acks.push(res.getMessage().get('MSA.2').toString());
          if (acks.length === 2) resolve();
        });
        const batch = new Batch();
        batch.start();
        batch.add(new Message({ text: fixture('adt-a01.hl7').replace('MSG00701', 'NB1') }));
        batch.add(new Message({ text: fixture('adt-a08.hl7').replace('MSG00702', 'NB2') }));
        batch.end();
        void conn.sendMessage(batch);
      });
      assert.deepEqual(acks, ['NB1', 'NB2']);
    } finally {
      client.closeAll();
    }
  });

  it('accepts a 10 MB message', async () => {
    const c = await RawClient.connect(port);
    const big = `${oru('BIG10')}\rOBX|4|TX|18782-3^X^LN||${'z'.repeat(10 * 1024 * 1024)}`;
    c.send(big);
    assert.deepEqual(msa((await c.next(1, 20_000))[0]!), ['AA', 'BIG10']);
    c.close();
  });

  it('drops a truncated frame and answers the good frame after it', async () => {
    const c = await RawClient.connect(port);
    c.write(Buffer.from(`\x0b${oru('TRUNC').slice(0, 100)}`));
    c.send(oru('AFTER'));
    assert.deepEqual(msa((await c.next())[0]!), ['AA', 'AFTER']);
    assert.ok(logLines.some((l) => l.includes('"kind":"truncated"')));
    c.close();
  });

  it('discards bytes that are not HL7 outside frames and rejects them inside a frame (AR)', async () => {
    const c = await RawClient.connect(port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    c.send('\x00\x01 binary junk');
    c.send(oru('OK1'));
    const [ar, aa] = await c.next(2);
    assert.equal(msa(ar!)[0], 'AR');
    assert.deepEqual(msa(aa!), ['AA', 'OK1']);
    assert.ok(logLines.some((l) => l.includes('"kind":"garbage"')));
    c.close();
  });

  it('rejects a frame without MSH (AR) and wrong encoding characters (AR with MSA-2 salvaged)', async () => {
    const c = await RawClient.connect(port);
    c.send('PID|1||MRN1');
    c.send(oru('BADENC').replace('MSH|^~\\&|', 'MSH|^^\\&|'));
    const [a, b] = await c.next(2);
    assert.equal(msa(a!)[0], 'AR');
    assert.deepEqual(msa(b!), ['AR', 'BADENC']);
    assert.match(b!, /ERR\|/);
    c.close();
  });

  it('rejects two messages in one frame without a batch header: AR, ERR code 100, MSA-2 from the first MSH-10', async () => {
    const c = await RawClient.connect(port);
    c.send(`${oru('TWO1')}\r${oru('TWO2').replace(/MRN123/g, 'MRN124')}`);
    const [ack] = await c.next();
    assert.deepEqual(msa(ack!), ['AR', 'TWO1']);
    assert.match(Hl7Message.parse(ack!).segment('ERR')!.rawField(1), /\b100\b/);
    c.close();
  });

  it('answers AE with ERR at PID-3 for a message without a patient identifier', async () => {
    const c = await RawClient.connect(port);
    c.send(fixture('oru-r01-no-pid3.hl7'));
    const [ack] = await c.next();
    assert.deepEqual(msa(ack!), ['AE', 'MSG00404']);
    assert.equal(Hl7Message.parse(ack!).segment('ERR')!.rawField(2), 'PID^1^3^1');
    c.close();
  });

  it('finishes a slow sender within the frame timeout and closes a stalled one; others keep working', async () => {
    const slow = await RawClient.connect(port);
    const bytes = Buffer.from(`\x0b${oru('SLOW')}\x1c\r`);
    const step = Math.ceil(bytes.length / 5);
    for (let i = 0; i < bytes.length; i += step) {
      slow.write(bytes.subarray(i, i + step));
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(msa((await slow.next())[0]!), ['AA', 'SLOW']);
    const stalled = await RawClient.connect(port);
    stalled.write(Buffer.from(`\x0b${oru('STALL').slice(0, 50)}`));
    const other = await RawClient.connect(port);
    other.send(oru('OTHER'));
    assert.deepEqual(msa((await other.next())[0]!), ['AA', 'OTHER']);
    await stalled.waitClosed(3000);
    assert.ok(logLines.some((l) => l.includes('mllp frame stalled')));
    slow.close();
    other.close();
  });

  it('does not close a busy connection whose frames keep completing, though one is always open', async () => {
    const c = await RawClient.connect(port);
    const frames = Array.from({ length: 10 }, (_, i) => Buffer.from(`\x0b${oru(`BUSY${i}`)}\x1c\r`));
    c.write(frames[0]!.subarray(0, 40));
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 100)); // 10 x 100 ms > the 400 ms frame timeout
      c.write(Buffer.concat([frames[i]!.subarray(40), frames[i + 1]?.subarray(0, 40) ?? Buffer.alloc(0)]));
    }
    assert.deepEqual(
      (await c.next(10)).map((a) => msa(a)[1]),
      frames.map((_, i) => `BUSY${i}`),
    );
    c.close();
  });

  it('closes an idle connection after the idle timeout', async () => {
    const c = await RawClient.connect(port);
    await c.waitClosed(4000);
  });

  it('logged JSON lines with connection ids and no patient data through all of the above', () => {
    assert.ok(logLines.length > 5);
    for (const line of logLines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      assert.equal(typeof entry.msg, 'string');
      assert.doesNotMatch(line, /MRN\d|DOE|JANE|PATIENT/);
    }
    assert.ok(logLines.some((l) => /"connectionId":\d+/.test(l)));
  });
});

describe('MLLP listener limits and TLS', () => {
  it('answers AR (resend later) when the handler fails, and keeps serving the connection', async () => {
    let calls = 0;
    const proc = createInboundProcessor();
    const l = new MllpListener({
      port: 0,
      handle: async (text, conn) => {
        if (calls++ === 0) throw new Error('database unreachable');
        return proc.handle(text, conn);
      },
    });
    const { port } = await l.start();
    try {
      const c = await RawClient.connect(port);
      c.send(oru('FAIL1'));
      c.send(oru('OK2'));
      const [ar, aa] = await c.next(2);
      assert.deepEqual(msa(ar!), ['AR', 'FAIL1']);
      assert.deepEqual(msa(aa!), ['AA', 'OK2']);
      c.close();
    } finally {
      await l.close();
    }
  });

  it('answers AR for a frame over the size limit and keeps the connection', async () => {
    const proc = createInboundProcessor();
    const l = new MllpListener({ port: 0, handle: proc.handle, maxFrameBytes: 64 * 1024 });
    const { port } = await l.start();
    try {
      const c = await RawClient.connect(port);
      c.send(`${oru('HUGE')}\rOBX|4|TX|||${'q'.repeat(200_000)}`);
      c.send(oru('SMALL'));
      const [ar, aa] = await c.next(2);
      assert.deepEqual(msa(ar!), ['AR', 'HUGE']);
      assert.match(ar!, /exceeds the limit/);
      assert.deepEqual(msa(aa!), ['AA', 'SMALL']);
      c.close();
    } finally {
      await l.close();
    }
  });

  it('serves MLLP over TLS (MllpSender as the client)', async (t) => {
    const pem = selfSignedCert();
    if (!pem) {
      t.skip('openssl is not available to make a test certificate');
      return;
    }
    const { key, cert } = pem;
    const proc = createInboundProcessor();
    const l = new MllpListener({ port: 0, handle: proc.handle, tls: { key, cert } });
    const { port } = await l.start();
    const sender = new MllpSender({ host: '127.0.0.1', port, tls: { ca: cert, servername: 'localhost' } });
    try {
      const r = await sender.send(oru('TLS1'));
      assert.equal(r.outcome, 'AA');
      assert.equal(r.controlId, 'TLS1');
    } finally {
      await sender.close();
      await l.close();
    }
  });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** AA for a message, padded with a Z segment so a test can fill socket buffers with ACKs. */
const ackFor = (text: string, padBytes = 0): string =>
  buildAck(Hl7Message.parse(text), 'AA') + (padBytes > 0 ? `\rZPD|${'x'.repeat(padBytes)}` : '');

/** A handler that counts the messages it gets and answers none until released. */
function gatedHandler(): { calls: () => number; release: () => void; handle: ListenerOptions['handle'] } {
  let calls = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const handle = async (text: string): Promise<string> => {
    calls++;
    await gate;
    return ackFor(text);
  };
  return { calls: () => calls, release: () => release(), handle };
}

/** Polls until cond holds (throws after timeoutMs). */
async function waitFor(cond: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Polls until read() returns the same value for quietMs or reaches target; returns the last value. */
async function settle(read: () => number, target: number, quietMs = 300): Promise<number> {
  let last = -1;
  let since = Date.now();
  while (read() < target && Date.now() - since < quietMs) {
    await sleep(20);
    if (read() !== last) [last, since] = [read(), Date.now()];
  }
  return read();
}

async function withListener(
  options: Omit<ListenerOptions, 'port'>,
  body: (port: number) => Promise<void>,
): Promise<void> {
  const l = new MllpListener({ port: 0, ...options });
  const { port } = await l.start();
  try {
    await body(port);
  } finally {
    await l.close();
  }
}

const framed = (ids: string[]): Buffer => Buffer.concat(ids.map((id) => frame(oru(id))));
const ids = (acks: string[]): string[] => acks.map((a) => msa(a)[1]);

describe('MLLP listener flow control and shutdown', () => {
  it('stops the frame-stall timer while it holds reading back for the handler, and restarts it on resume', async () => {
    const h = gatedHandler();
    await withListener({ handle: h.handle, maxPendingPerConnection: 2, frameTimeoutMs: 150 }, async (port) => {
      const c = await RawClient.connect(port);
      // Three frames fill the queue (reading pauses) and a fourth has started in the same chunk.
      c.write(Buffer.concat([framed(['Q1', 'Q2', 'Q3']), frame(oru('Q4')).subarray(0, 40)]));
      await waitFor(() => h.calls() === 1);
      await sleep(400); // the handler holds us, not the sender: no stall
      h.release();
      assert.deepEqual(ids(await c.next(3)), ['Q1', 'Q2', 'Q3']);
      await c.waitClosed(2000); // reading again, Q4 never finishes: now it is the sender's stall
    });
  });

  it('stops reading from a client that does not read its ACKs, and resumes when it does', async () => {
    let calls = 0;
    const handle = async (text: string): Promise<string> => {
      calls++;
      return ackFor(text, 256 * 1024);
    };
    await withListener({ handle }, async (port) => {
      const c = await RawClient.connect(port);
      c.socket.pause();
      // 64 KiB messages (about one frame per read) answered with 256 KiB ACKs that nobody reads.
      const sent = Array.from({ length: 150 }, (_, i) => `BP${i}`);
      const big = (id: string): Buffer => frame(`${oru(id)}\rNTE|1||${'n'.repeat(64 * 1024)}`);
      c.write(Buffer.concat(sent.map(big)));
      const handled = await settle(() => calls, sent.length);
      assert.ok(handled < sent.length, `handled ${handled} of ${sent.length} while the client read no ACK`);
      c.socket.resume();
      assert.deepEqual(ids(await c.next(sent.length, 10_000)), sent);
      c.close();
    });
  });

  it('answers a client that half-closes after its last frame, then closes', async () => {
    const handle = async (text: string): Promise<string> => {
      await sleep(50); // the FIN arrives before the ACKs are ready
      return ackFor(text);
    };
    await withListener({ handle }, async (port) => {
      const c = await RawClient.connect(port);
      c.socket.end(framed(['H1', 'H2']));
      assert.deepEqual(ids(await c.next(2)), ['H1', 'H2']);
      await c.waitClosed(2000);
    });
  });

  it('answers a TLS client that half-closes after its last frame, then closes', async (t) => {
    const pem = selfSignedCert();
    if (!pem) {
      t.skip('openssl is not available to make a test certificate');
      return;
    }
    const handle = async (text: string): Promise<string> => {
      await sleep(50);
      return ackFor(text);
    };
    await withListener({ handle, tls: pem }, async (port) => {
      const s = tls.connect({ port, host: '127.0.0.1', ca: pem.cert, servername: 'localhost' });
      await once(s, 'secureConnect');
      const decoder = new MllpDecoder();
      const acks: string[] = [];
      s.on('data', (chunk: Buffer) => acks.push(...decoder.push(chunk).map((f) => f.data.toString('utf8'))));
      s.end(framed(['TH1', 'TH2']));
      await once(s, 'close');
      assert.deepEqual(ids(acks), ['TH1', 'TH2']);
    });
  });

  // The test timeout, far below closeTimeoutMs, checks that close() ends on the answer, not on its deadline.
  it(
    'close() stops reading, answers the messages in flight, then closes the connection',
    { timeout: 10_000 },
    async () => {
      const h = gatedHandler();
      const l = new MllpListener({ port: 0, handle: h.handle, closeTimeoutMs: 60_000 });
      const c = await RawClient.connect((await l.start()).port);
      c.send(oru('INFLIGHT'));
      await waitFor(() => h.calls() === 1);
      const closing = l.close();
      c.send(oru('LATE'));
      await sleep(50);
      h.release();
      assert.deepEqual(ids(await c.next()), ['INFLIGHT']);
      await closing;
      await c.waitClosed(2000);
      assert.equal(h.calls(), 1, 'nothing read after close() began');
    },
  );

  it('close() gives up on a handler that does not answer within closeTimeoutMs', async () => {
    const h = gatedHandler();
    const l = new MllpListener({ port: 0, handle: h.handle, closeTimeoutMs: 150 });
    const c = await RawClient.connect((await l.start()).port);
    c.send(oru('STUCK'));
    await waitFor(() => h.calls() === 1);
    await l.close();
    await c.waitClosed(2000);
    assert.equal(l.connectionCount, 0);
    h.release();
  });
});
