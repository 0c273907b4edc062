// Shutdown as an orchestrator sees it: requests answered synchronously (/healthz, 404s) no longer hold it for
// SHUTDOWN_TIMEOUT_MS; /readyz answers 503 as soon as it begins; workers, MLLP and running requests stop in parallel
// within the one SHUTDOWN_TIMEOUT_MS instead of one after another (the workers alone used to get a fixed 10 s).
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { graceful } from '../../../src/http/shutdown.js';
import { databaseKinds, sqliteDatabase } from '../../support/databases.js';
import { freePort } from '../../support/ports.js';
import { rawConnection, sleep } from '../../support/logged-server.js';
import { startTestServer } from '../../support/server.js';

it('graceful(): a response ended by the listener registered before it is still counted and uncounted', async () => {
  // createServer(app) registers the app before graceful() can: the order the server used.
  const http = createServer((_req: IncomingMessage, res: ServerResponse) => res.end('ok'));
  const g = graceful(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  await (await fetch(`http://127.0.0.1:${(http.address() as { port: number }).port}/`)).text();
  assert.equal(g.inFlight(), 0);
  const started = Date.now();
  assert.equal(await g.close(3000), true);
  assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
});

for (const { kind, make } of databaseKinds) {
  it(`${kind}: after /healthz, /metrics and a 404, close() drains at once instead of waiting out the timeout`, async () => {
    const server = await startTestServer(await make(), { SHUTDOWN_TIMEOUT_MS: '10000' });
    const origin = `http://127.0.0.1:${server.port}`;
    for (const path of ['/healthz', '/metrics', '/nowhere', '/fhir/metadata?_format=xml'])
      await (await fetch(`${origin}${path}`)).text();
    const started = Date.now();
    await server.stop();
    assert.ok(Date.now() - started < 3000, `shutdown took ${Date.now() - started} ms`);
  });
}

/** A POST whose body never finishes: it holds the HTTP drain until destroyed or cut off. */
function endlessPost(port: number): ClientRequest {
  const post = request(`http://127.0.0.1:${port}/fhir/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', 'content-length': '100' },
  });
  post.on('error', () => undefined);
  post.write('{');
  return post;
}

it('/readyz answers 503 on a connection still open once shutdown has begun', async () => {
  const server = await startTestServer(sqliteDatabase(), { SHUTDOWN_TIMEOUT_MS: '5000' });
  // A request in flight keeps the drain going, and with it the connections already open.
  const post = endlessPost(server.port);
  const conn = await rawConnection(server.port);
  conn.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\n');
  await sleep(100);
  const closing = server.stop();
  await sleep(100);
  conn.socket.write('\r\n');
  await conn.closed;
  post.destroy();
  await closing;
  assert.match(conn.received(), /^HTTP\/1.1 503 /, conn.received());
  assert.match(conn.received(), /shutting down/);
});

it('workers, MLLP and a running request stop together within SHUTDOWN_TIMEOUT_MS', async () => {
  const server = await startTestServer(sqliteDatabase(), {
    SHUTDOWN_TIMEOUT_MS: '1000',
    WORKERS: '1',
    MLLP_PORT: String(await freePort()),
  });
  const { job } = await server.queue.enqueue({ type: 'diagnostic.sleep', payload: { ms: 60_000 } });
  for (let i = 0; i < 100 && (await server.queue.get(job.id))?.status !== 'running'; i++) await sleep(50);
  assert.equal((await server.queue.get(job.id))?.status, 'running');
  const post = endlessPost(server.port);
  await sleep(100);
  const started = Date.now();
  await server.stop();
  const took = Date.now() - started;
  assert.ok(took < 4000, `shutdown took ${took} ms; the deadline was 1000 ms`);
  post.destroy();
});
