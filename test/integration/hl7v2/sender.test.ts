// The outbound MLLP sender against a real listener: ACKs matched by MSA-2 (also when they come back out of order),
// AE/AR passed through, timeouts and dropped connections reported as outcomes for the job layer.
import { describe, it } from 'node:test';
import net from 'node:net';
import { once } from 'node:events';
import assert from 'node:assert/strict';
import { MllpListener, type MessageHandler } from '../../../src/hl7v2/listener.js';
import { createInboundProcessor } from '../../../src/hl7v2/inbound.js';
import { MllpSender } from '../../../src/hl7v2/sender.js';
import { buildAck } from '../../../src/hl7v2/ack.js';
import { MllpDecoder, frame } from '../../../src/hl7v2/mllp.js';
import { Hl7Message } from '../../../src/hl7v2/message.js';
import { buildOruR01 } from '../../../src/hl7v2/oru-out.js';
import { fixture } from '../../unit/hl7v2/fixtures.js';

async function withListener(handle: MessageHandler, fn: (port: number) => Promise<void>): Promise<void> {
  const l = new MllpListener({ port: 0, handle });
  const { port } = await l.start();
  try {
    await fn(port);
  } finally {
    await l.close();
  }
}

const findings = (id: string): string =>
  buildOruR01({
    controlId: id,
    patient: { id: 'MRN123', assigningAuthority: 'GENHOSP' },
    accession: 'ACC1',
    studyInstanceUid: '1.2.3.4',
    findings: [{ code: { code: 'nodule', display: 'Nodule' }, present: true, probability: 0.9, status: 'P' }],
  });

describe('MLLP sender', () => {
  it('sends ORU^R01 findings to a real listener and gets AA matched by MSA-2', async () => {
    await withListener(createInboundProcessor().handle, async (port) => {
      const sender = new MllpSender({ host: '127.0.0.1', port });
      try {
        const results = await Promise.all(['F1', 'F2', 'F3', 'F4'].map((id) => sender.send(findings(id))));
        assert.deepEqual(
          results.map((r) => [r.outcome, r.controlId]),
          [
            ['AA', 'F1'],
            ['AA', 'F2'],
            ['AA', 'F3'],
            ['AA', 'F4'],
          ],
        );
      } finally {
        await sender.close();
      }
    });
  });

  it('passes AE through with the ERR text', async () => {
    await withListener(createInboundProcessor().handle, async (port) => {
      const sender = new MllpSender({ host: '127.0.0.1', port });
      try {
        const r = await sender.send(fixture('oru-r01-no-pid3.hl7'));
        assert.equal(r.outcome, 'AE');
        assert.match(r.text ?? '', /PID-3/);
      } finally {
        await sender.close();
      }
    });
  });

  it('matches ACKs that come back out of order to the right messages', async () => {
    // A downstream system that answers two messages in reverse order on one connection.
    const server = net.createServer((socket) => {
      const decoder = new MllpDecoder();
      const got: Hl7Message[] = [];
      socket.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) got.push(Hl7Message.parse(f.data.toString()));
        if (got.length === 2) {
          socket.write(frame(buildAck(got[1]!, 'AA')));
          socket.write(frame(buildAck(got[0]!, 'AE', { errors: [{ code: '207', text: 'first failed' }] })));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sender = new MllpSender({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
    try {
      const [first, second] = await Promise.all([sender.send(findings('FIRST')), sender.send(findings('SECOND'))]);
      assert.deepEqual([first.outcome, first.controlId, first.text], ['AE', 'FIRST', 'first failed']);
      assert.deepEqual([second.outcome, second.controlId], ['AA', 'SECOND']);
    } finally {
      await sender.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('reports a timeout when no ACK comes, and an error when the connection drops', async () => {
    await withListener(
      async () => new Promise<undefined>(() => undefined),
      async (port) => {
        const sender = new MllpSender({ host: '127.0.0.1', port, ackTimeoutMs: 200 });
        try {
          const r = await sender.send(findings('T1'));
          assert.deepEqual([r.outcome, r.controlId], ['timeout', 'T1']);
        } finally {
          await sender.close();
        }
      },
    );
    // closeTimeoutMs 0: the listener drops the connection at once instead of waiting for the hung handler.
    const dropper = new MllpListener({
      port: 0,
      handle: async () => new Promise<undefined>(() => undefined),
      closeTimeoutMs: 0,
    });
    const { port } = await dropper.start();
    const sender = new MllpSender({ host: '127.0.0.1', port, ackTimeoutMs: 5000 });
    const pending = sender.send(findings('D1'));
    await new Promise((r) => setTimeout(r, 100));
    await dropper.close();
    const r = await pending;
    assert.deepEqual([r.outcome, r.controlId], ['error', 'D1']);
    await sender.close();
  });

  it('an abort settles a send waiting for its ACK, or for its connection, at once and closes the socket', async () => {
    // A downstream that reads frames and never answers; to a TLS client, a handshake that never completes.
    const frames: string[] = [];
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      const decoder = new MllpDecoder();
      socket.on('data', (chunk: Buffer) => {
        for (const f of decoder.push(chunk)) frames.push(f.data.toString());
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const closed = (s: net.Socket): Promise<void> =>
      s.destroyed ? Promise.resolve() : once(s, 'close').then(() => {});
    const within = async <T>(p: Promise<T>, ms: number): Promise<T> =>
      Promise.race([
        p,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms)),
      ]);
    const until = async (ok: () => boolean): Promise<void> => {
      while (!ok()) await new Promise((r) => setTimeout(r, 10));
    };
    const sender = new MllpSender({ host: '127.0.0.1', port, ackTimeoutMs: 30_000 });
    const tlsSender = new MllpSender({ host: '127.0.0.1', port, tls: {}, connectTimeoutMs: 30_000 });
    try {
      const waiting = new AbortController();
      const pending = sender.send(findings('AB1'), { signal: waiting.signal });
      await until(() => frames.length === 1);
      waiting.abort(new Error('lease lost'));
      const r = await within(pending, 500);
      assert.deepEqual([r.outcome, r.controlId, r.text], ['aborted', 'AB1', 'aborted: lease lost']);
      await within(closed(sockets[0]!), 500);
      // An already aborted signal sends nothing.
      assert.equal((await sender.send(findings('AB2'), { signal: waiting.signal })).outcome, 'aborted');
      assert.equal(frames.length, 1);

      const connecting = new AbortController();
      const stuck = tlsSender.send(findings('AB3'), { signal: connecting.signal });
      await until(() => sockets.length === 2);
      connecting.abort(new Error('worker stopping'));
      assert.equal((await within(stuck, 500)).outcome, 'aborted');
      await within(closed(sockets[1]!), 500);
    } finally {
      await sender.close();
      await tlsSender.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('reports a refused connection and an unparseable message as error without throwing', async () => {
    const l = new MllpListener({ port: 0, handle: createInboundProcessor().handle });
    const { port } = await l.start();
    await l.close();
    const sender = new MllpSender({ host: '127.0.0.1', port, connectTimeoutMs: 500 });
    assert.equal((await sender.send(findings('R1'))).outcome, 'error');
    assert.equal((await sender.send('not hl7')).outcome, 'error');
    await sender.close();
  });
});
