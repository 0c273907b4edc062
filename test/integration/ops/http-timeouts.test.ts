// Slow clients (slowloris) cannot hold connections: a request's headers and body must arrive within
// HTTP_REQUEST_TIMEOUT_MS (headers within 20 s at most), and HTTP_MAX_CONNECTIONS caps open connections. Node's
// defaults let a client dripping a byte every 5 s hold a connection for 90 s (headers) or 330 s (body).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sqliteDatabase } from '../../support/databases.js';
import { rawConnection, sleep } from '../../support/logged-server.js';
import { startTestServer, type TestServer } from '../../support/server.js';

describe('HTTP timeouts and connection cap', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(sqliteDatabase(), { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_MAX_CONNECTIONS: '4' });
  });
  after(async () => server.stop());

  /** Sends `first`, then one byte of `drip` every 300 ms until the server closes; how long that took and the reply. */
  async function drip(first: string, more: string): Promise<{ ms: number; reply: string }> {
    const conn = await rawConnection(server.port);
    const started = Date.now();
    conn.socket.write(first);
    let i = 0;
    const timer = setInterval(() => conn.socket.writable && conn.socket.write(more[i++ % more.length]!), 300);
    await Promise.race([conn.closed, sleep(10_000)]);
    clearInterval(timer);
    conn.socket.destroy();
    return { ms: Date.now() - started, reply: conn.received() };
  }

  it('answers 408 and closes when the headers come too slowly', async () => {
    const { ms, reply } = await drip('GET /fhir/metadata HTTP/1.1\r\nHost: x\r\n', 'X-Padding: aaaa\r\n');
    assert.match(reply, /^HTTP\/1.1 408 /);
    assert.ok(ms < 4000, `closed after ${ms} ms`);
  });

  it('answers 408 and closes when the body comes too slowly', async () => {
    const { ms, reply } = await drip(
      'POST /fhir/Patient HTTP/1.1\r\nHost: x\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n{',
      ' ',
    );
    assert.ok(ms < 4000, `closed after ${ms} ms`);
    assert.match(reply, /^HTTP\/1.1 408 /, reply);
  });

  it('keeps an idle keep-alive connection usable past the request timeout', async () => {
    const conn = await rawConnection(server.port);
    conn.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(2500);
    conn.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await sleep(200);
    conn.socket.destroy();
    assert.equal(conn.received().match(/HTTP\/1.1 200 /g)?.length, 2, conn.received());
  });

  it('closes connections over HTTP_MAX_CONNECTIONS at once', async () => {
    const open = await Promise.all([1, 2, 3, 4].map(() => rawConnection(server.port)));
    await sleep(100);
    const extra = await rawConnection(server.port);
    const closed = await Promise.race([extra.closed.then(() => true), sleep(1000).then(() => false)]);
    assert.equal(closed, true, 'the fifth connection was closed');
    for (const c of open) c.socket.destroy();
  });
});
