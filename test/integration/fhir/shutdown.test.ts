// Graceful shutdown: a request already running when the server is told to stop still commits and gets its answer;
// one that does not finish within SHUTDOWN_TIMEOUT_MS is cut off and shutdown completes anyway.
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { SqlRepository } from '../../../src/store/sql-repository.js';
import { sqliteDatabase } from '../../support/databases.js';
import { startTestServer } from '../../support/server.js';

/** Starts a POST whose body arrives in two halves; returns a function that sends the rest and the response. */
function postInTwoHalves(baseUrl: string, path: string, body: string) {
  const url = new URL(`${baseUrl}/${path}`);
  const req = request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', 'content-length': Buffer.byteLength(body) },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res: IncomingMessage) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return {
    headersSent: new Promise((r) => setTimeout(r, 100)),
    finish: () => {
      req.end(body.slice(half));
      return response;
    },
    response,
  };
}

it('a request in flight at shutdown is completed and committed before the database closes', async () => {
  const db = sqliteDatabase();
  const server = await startTestServer(db);
  const patient: Patient = { resourceType: 'Patient', name: [{ family: 'Inflight' }] };
  const post = postInTwoHalves(server.baseUrl, 'Patient', JSON.stringify(patient));
  await post.headersSent;
  const closing = server.close();
  await new Promise((r) => setTimeout(r, 100));
  const res = await post.finish();
  await closing;
  assert.equal(res.status, 201, res.body);
  const id = (JSON.parse(res.body) as Patient).id!;
  const ds = await openDataSource(db.url);
  try {
    const stored = await new SqlRepository(ds, { indexResource }).read<Patient>('Patient', id);
    assert.equal(stored.name?.[0]?.family, 'Inflight');
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

it('a request that does not finish within SHUTDOWN_TIMEOUT_MS is cut off and shutdown completes', async () => {
  const server = await startTestServer(sqliteDatabase(), { SHUTDOWN_TIMEOUT_MS: '200' });
  const post = postInTwoHalves(server.baseUrl, 'Patient', JSON.stringify({ resourceType: 'Patient' }));
  post.response.catch(() => undefined);
  await post.headersSent;
  const started = Date.now();
  await server.stop();
  assert.ok(Date.now() - started < 5000, 'shutdown finished');
  await assert.rejects(post.response, /socket hang up|ECONNRESET/);
});

it('a request whose client hung up still holds shutdown until its handler has finished', async () => {
  const { createServer } = await import('node:http');
  const { connect } = await import('node:net');
  const { graceful } = await import('../../../src/http/shutdown.js');
  let handlerDone = false;
  const http = createServer((_req, res) => {
    // Stands for a write queued behind a group commit: it outlives the client's connection.
    setTimeout(() => {
      handlerDone = true;
      res.end('late');
    }, 300);
  });
  const g = graceful(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as { port: number };
  const socket = connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((r) => setTimeout(r, 50));
  socket.destroy();
  await new Promise((r) => setTimeout(r, 50));
  try {
    assert.equal(g.inFlight(), 1, 'the hung-up request no longer counts');
    const drained = await g.close(5000);
    assert.equal(handlerDone, true, 'shutdown completed before the handler finished');
    assert.equal(drained, true);
    assert.equal(g.inFlight(), 0);
  } finally {
    http.closeAllConnections();
    http.close();
  }
});
