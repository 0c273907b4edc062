// The HTTP layer itself, driven in process with supertest: the FHIR endpoint on node:http (bodies, encodings, limits,
// conditional reads, HEAD, request ids) and the express app beside it (health, metrics, unknown paths).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createServer, request as httpRequest, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { OperationOutcome, Patient } from 'fhir/r4.js';
import { openCore, type Core } from '../../../src/core.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { createApp } from '../../../src/http/app.js';
import { Metrics } from '../../../src/http/metrics.js';
import { sqliteDatabase, type TestDatabase } from '../../support/databases.js';

const FHIR_JSON = 'application/fhir+json';
const patient: Patient = { resourceType: 'Patient', name: [{ family: 'Adapter' }] };

// superagent would JSON-encode a Buffer sent with a JSON Content-Type; compressed bodies go as they are.
const raw = (body: unknown): string => body as string;

function issueText(body: unknown): string {
  const oo = body as OperationOutcome;
  assert.equal(oo.resourceType, 'OperationOutcome', JSON.stringify(body));
  return oo.issue.map((i) => i.diagnostics ?? '').join(' ');
}

describe('HTTP adapter (node:http FHIR endpoint + express ops app)', () => {
  let db: TestDatabase;
  let core: Core;
  let app: RequestListener;
  const metrics = new Metrics();
  let stored: Patient;

  before(async () => {
    db = sqliteDatabase();
    core = await openCore(loadConfig({ DATABASE_URL: db.url, BASE_URL: 'http://test/fhir' }), silentLogger);
    app = createApp({ ctx: core.ctx, logger: silentLogger, maxBodyBytes: 4096, metrics });
    const res = await request(app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(JSON.stringify(patient));
    assert.equal(res.status, 201, res.text);
    stored = JSON.parse(res.text) as Patient;
  });
  after(async () => {
    await core.close();
    await db.drop();
  });

  it('reads with version headers, and answers HEAD with the same headers and no body', async () => {
    const get = await request(app).get(`/fhir/Patient/${stored.id}`);
    assert.equal(get.status, 200);
    assert.match(get.headers['content-type']!, /^application\/fhir\+json; charset=utf-8$/);
    assert.equal(get.headers.etag, 'W/"1"');
    assert.ok(get.headers['last-modified']);
    const head = await request(app).head(`/fhir/Patient/${stored.id}`);
    assert.equal(head.status, 200);
    assert.equal(head.headers.etag, 'W/"1"');
    assert.equal(head.headers['content-length'], get.headers['content-length']);
    assert.equal(head.text, undefined);
  });

  it('sends a read as stored, and pretty-printed with _pretty=true', async () => {
    const compact = await request(app).get(`/fhir/Patient/${stored.id}`);
    assert.deepEqual(JSON.parse(compact.text), stored);
    assert.doesNotMatch(compact.text, /\n/);
    const pretty = await request(app).get(`/fhir/Patient/${stored.id}?_pretty=true`);
    assert.match(pretty.text, /^\{\n {2}"resourceType": "Patient",\n {2}"id": /);
    assert.deepEqual(JSON.parse(pretty.text), stored);
  });

  it('conditional read: 304 for the current ETag or an unchanged If-Modified-Since, 200 otherwise', async () => {
    const path = `/fhir/Patient/${stored.id}`;
    const same = await request(app).get(path).set('If-None-Match', 'W/"1"');
    assert.equal(same.status, 304);
    assert.equal(same.text, '');
    assert.equal(same.headers.etag, 'W/"1"');
    assert.equal((await request(app).get(path).set('If-None-Match', 'W/"7", *')).status, 304);
    assert.equal((await request(app).get(path).set('If-None-Match', 'W/"2"')).status, 200);
    const later = new Date(Date.now() + 60_000).toUTCString();
    assert.equal((await request(app).get(path).set('If-Modified-Since', later)).status, 304);
    const earlier = new Date(Date.parse(stored.meta!.lastUpdated!) - 60_000).toUTCString();
    assert.equal((await request(app).get(path).set('If-Modified-Since', earlier)).status, 200);
    assert.equal((await request(app).get(path).set('If-Modified-Since', 'not a date')).status, 200);
    // If-None-Match wins over If-Modified-Since (RFC 7232 section 6).
    assert.equal(
      (await request(app).get(path).set('If-None-Match', 'W/"2"').set('If-Modified-Since', later)).status,
      200,
    );
    assert.equal((await request(app).get(`${path}/_history/1`).set('If-None-Match', '"1"')).status, 304);
  });

  it('conditional read inside a batch: the entry answers 304 Not Modified', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Patient/${stored.id}`, ifNoneMatch: 'W/"1"' } },
        { request: { method: 'GET', url: `Patient/${stored.id}`, ifNoneMatch: 'W/"9"' } },
      ],
    };
    const res = await request(app).post('/fhir').set('Content-Type', FHIR_JSON).send(JSON.stringify(bundle));
    assert.equal(res.status, 200, res.text);
    const entries = (JSON.parse(res.text) as { entry: { response: { status: string }; resource?: unknown }[] }).entry;
    assert.deepEqual(
      entries.map((e) => [e.response.status, e.resource !== undefined]),
      [
        ['304 Not Modified', false],
        ['200 OK', true],
      ],
    );
  });

  it('Binary read: the bytes under their own type for a non-FHIR Accept, the resource for FHIR, */* or _format', async () => {
    const text = 'FINDINGS: Small right pneumothorax.\nIMPRESSION: Pneumothorax. Ünïcode kept.';
    const binary = { resourceType: 'Binary', contentType: 'text/plain; charset=utf-8', data: '' };
    binary.data = Buffer.from(text).toString('base64');
    const created = await request(app).post('/fhir/Binary').set('Content-Type', FHIR_JSON).send(JSON.stringify(binary));
    assert.equal(created.status, 201, created.text);
    const path = `/fhir/Binary/${(JSON.parse(created.text) as { id: string }).id}`;

    for (const accept of ['text/plain', 'text/*', 'text/html, text/plain;q=0.9', 'image/png, */*']) {
      const res = await request(app).get(path).set('Accept', accept).buffer(true);
      assert.equal(res.status, 200, `${accept}: ${res.text}`);
      assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8', accept);
      assert.equal(res.text, text, accept);
      assert.equal(res.headers.etag, 'W/"1"');
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.equal(res.headers['content-security-policy'], 'sandbox');
    }
    assert.equal((await request(app).get(`${path}/_history/1`).set('Accept', 'text/plain')).text, text);
    const head = await request(app).head(path).set('Accept', 'text/plain');
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(text)));
    assert.equal((await request(app).get(path).set('Accept', 'text/plain').set('If-None-Match', 'W/"1"')).status, 304);

    // FHIR formats, fetch's and curl's */*, no Accept and _format keep the resource.
    for (const [accept, query] of [
      [FHIR_JSON, ''],
      ['application/json', ''],
      ['*/*', ''],
      [undefined, ''],
      ['text/plain', '?_format=json'],
    ] as const) {
      const req = request(app).get(path + query);
      const res = await (accept ? req.set('Accept', accept) : req);
      assert.equal(res.status, 200, res.text);
      assert.equal((JSON.parse(res.text) as { data: string }).data, binary.data, `${accept} ${query}`);
    }

    // A type the Binary is not: 406 naming what it is; a missing one is still 404, both as OperationOutcome.
    const refused = await request(app).get(path).set('Accept', 'application/pdf');
    assert.equal(refused.status, 406);
    assert.match(issueText(JSON.parse(refused.text)), /is text\/plain; charset=utf-8; Accept application\/pdf/);
    const missing = await request(app).get('/fhir/Binary/no-such-binary').set('Accept', 'text/plain');
    assert.equal(missing.status, 404);
    assert.match(issueText(JSON.parse(missing.text)), /not found/);
    // A Patient read is not a Binary read: a non-FHIR Accept stays 406.
    assert.equal((await request(app).get(`/fhir/Patient/${stored.id}`).set('Accept', 'text/plain')).status, 406);
  });

  it('accepts a gzip request body', async () => {
    const gz = await request(app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .set('Content-Encoding', 'gzip')
      .serialize(raw)
      .send(gzipSync(JSON.stringify(patient)));
    assert.equal(gz.status, 201, gz.text);
    assert.equal((JSON.parse(gz.text) as Patient).name?.[0]?.family, 'Adapter');
  });

  it('refuses an unknown Content-Encoding (415) and a corrupt gzip body (400) with an OperationOutcome', async () => {
    const unknown = await request(app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .set('Content-Encoding', 'compress')
      .send(JSON.stringify(patient));
    assert.equal(unknown.status, 415);
    assert.match(issueText(JSON.parse(unknown.text)), /Content-Encoding compress/);
    const corrupt = await request(app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .set('Content-Encoding', 'gzip')
      .serialize(raw)
      .send(Buffer.from('definitely not gzip'));
    assert.equal(corrupt.status, 400);
    assert.match(issueText(JSON.parse(corrupt.text)), /could not be read/);
  });

  it('413 for a declared length over the limit and for a gzip body that inflates past it; the connection closes', async () => {
    const big = JSON.stringify({ ...patient, text: { status: 'generated', div: `<div>${'x'.repeat(8000)}</div>` } });
    const declared = await request(app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send(big);
    assert.equal(declared.status, 413);
    assert.equal(declared.headers.connection, 'close');
    assert.match(issueText(JSON.parse(declared.text)), /exceeds 4096 bytes/);
    const bomb = await request(app)
      .post('/fhir/Patient')
      .set('Content-Type', FHIR_JSON)
      .set('Content-Encoding', 'gzip')
      .serialize(raw)
      .send(gzipSync(big));
    assert.ok(gzipSync(big).length < 4096, 'the compressed body itself is under the limit');
    assert.equal(bomb.status, 413);
    const count = await request(app).get('/fhir/Patient?_summary=count');
    assert.equal((JSON.parse(count.text) as { total: number }).total, 2, 'nothing was stored from refused bodies');
  });

  it('413 for a chunked body (no Content-Length) once it passes the limit', async () => {
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpRequest({
          port,
          method: 'POST',
          path: '/fhir/Patient',
          headers: { 'content-type': FHIR_JSON },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        // 8 chunks of 1 KiB: the endpoint answers once the 5th passes 4096 bytes.
        for (let i = 0; i < 8; i++) req.write(' '.repeat(1024));
        req.end();
      });
      assert.equal(status, 413);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('keeps a plain X-Request-Id from the client and replaces one that is not a token', async () => {
    const kept = await request(app).get('/fhir/metadata').set('X-Request-Id', 'gw-123.abc');
    assert.equal(kept.headers['x-request-id'], 'gw-123.abc');
    const replaced = await request(app).get('/fhir/metadata').set('X-Request-Id', 'x'.repeat(300));
    assert.match(replaced.headers['x-request-id']!, /^[0-9a-f-]{36}$/);
  });

  it('serves health and metrics from the express app and 404s unknown paths there', async () => {
    assert.deepEqual((await request(app).get('/healthz')).body, { status: 'ok' });
    const nowhere = await request(app).get('/nowhere');
    assert.equal(nowhere.status, 404);
    assert.match(issueText(JSON.parse(nowhere.text)), /No route for GET \/nowhere/);
    assert.equal((await request(app).get('/fhirish')).status, 404, 'only /fhir and /fhir/... are FHIR');
    const text = (await request(app).get('/metrics')).text;
    assert.match(text, /http_request_duration_seconds_count\{route="fhir",method="GET"\} \d+/);
    assert.match(text, /route="\/healthz"/);
  });
});
