// /admin/* (job retry and requeue, HL7 messages with their raw text) is not open to the network: with ADMIN_TOKEN set
// it needs `Authorization: Bearer <token>` (401 OperationOutcome otherwise); without it only loopback clients are
// answered (403 for others).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import type { OperationOutcome } from 'fhir/r4.js';
import type { Request, Response } from 'express';
import { adminAuth, isLoopback } from '../../../src/http/admin-auth.js';
import { silentLogger } from '../../../src/log.js';
import { sqliteDatabase } from '../../support/databases.js';
import { freePort } from '../../support/ports.js';
import { startTestServer, type TestServer } from '../../support/server.js';

const TOKEN = 'test-admin-token-0123456789';

/** This machine's first non-loopback IPv4 address, if it has one. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

async function outcomeOf(res: globalThis.Response): Promise<OperationOutcome> {
  const body = (await res.json()) as OperationOutcome;
  assert.equal(body.resourceType, 'OperationOutcome');
  return body;
}

describe('admin API with ADMIN_TOKEN', () => {
  let server: TestServer;
  let origin: string;
  before(async () => {
    server = await startTestServer(sqliteDatabase(), { ADMIN_TOKEN: TOKEN, MLLP_PORT: String(await freePort()) });
    origin = `http://127.0.0.1:${server.port}`;
  });
  after(async () => server.stop());

  it('refuses requests without the token, even from loopback, with 401 and an OperationOutcome', async () => {
    for (const [method, path] of [
      ['GET', '/admin/jobs/dead-letter'],
      ['GET', '/admin/hl7/messages'],
      ['POST', '/admin/jobs/requeue?type=x'],
      ['POST', '/admin/hl7/messages/1/reprocess'],
      ['GET', '/admin/unknown'],
    ] as const) {
      const res = await fetch(`${origin}${path}`, { method });
      assert.equal(res.status, 401, `${method} ${path}`);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
      assert.equal((await outcomeOf(res)).issue[0]?.code, 'login');
    }
  });

  it('refuses a wrong token and a token sent another way', async () => {
    for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      const res = await fetch(`${origin}/admin/jobs/dead-letter`, { headers: { authorization } });
      assert.equal(res.status, 401, authorization);
    }
  });

  it('answers with the right bearer token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const jobs = await fetch(`${origin}/admin/jobs/dead-letter`, { headers: auth });
    assert.equal(jobs.status, 200);
    assert.deepEqual(await jobs.json(), { jobs: [] });
    const messages = await fetch(`${origin}/admin/hl7/messages`, { headers: auth });
    assert.equal(messages.status, 200);
  });

  it('leaves health, readiness, metrics and FHIR as they were', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/fhir/metadata'])
      assert.equal((await fetch(`${origin}${path}`)).status, 200, path);
  });
});

describe('admin API without ADMIN_TOKEN', () => {
  let server: TestServer;
  before(async () => {
    // Listening on every interface, as in Docker, so the test can also come in from outside loopback.
    server = await startTestServer(sqliteDatabase(), { HOST: '0.0.0.0' });
  });
  after(async () => server.stop());

  it('answers loopback clients', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/admin/jobs/dead-letter`);
    assert.equal(res.status, 200);
  });

  it('refuses clients from another address with 403', { skip: !external && 'no non-loopback interface' }, async () => {
    const res = await fetch(`http://${external}:${server.port}/admin/jobs/dead-letter`);
    assert.equal(res.status, 403);
    assert.equal((await outcomeOf(res)).issue[0]?.code, 'forbidden');
    assert.equal((await fetch(`http://${external}:${server.port}/healthz`)).status, 200, 'only /admin is refused');
  });

  it('tells loopback addresses from others (IPv4, IPv6, IPv4-mapped IPv6)', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopback(a), true, a);
    for (const a of ['10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::2', '::', undefined])
      assert.equal(isLoopback(a), false, String(a));
  });

  it('the guard refuses a non-loopback socket and passes a loopback one', () => {
    const guard = adminAuth(undefined, silentLogger);
    const call = (remoteAddress: string): { next: boolean; status?: number } => {
      const out: { next: boolean; status?: number } = { next: false };
      const res = {
        statusCode: 200,
        status(code: number) {
          out.status = this.statusCode = code;
          return this;
        },
        type() {
          return this;
        },
        send() {
          return this;
        },
        getHeader: () => undefined,
        setHeader: () => undefined,
      };
      guard({ socket: { remoteAddress }, headers: {} } as unknown as Request, res as unknown as Response, () => {
        out.next = true;
      });
      return out;
    };
    assert.deepEqual(call('::1'), { next: true });
    assert.deepEqual(call('172.17.0.1'), { next: false, status: 403 });
  });
});
