// No patient data in logs or metrics labels: the debug request log names query parameters without their values, a
// 5xx is logged by error name and code (driver messages quote the failing values; the stack only at debug), a 503 is
// a warning, metrics label only known routes, and the startup log's database URL carries no password.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationDef } from '../../../src/fhir/context.js';
import { OperationOutcomeError, outcome } from '../../../src/fhir/outcomes.js';
import { postgresDatabase, sqliteDatabase } from '../../support/databases.js';
import { startLoggedServer, type LoggedServer } from '../../support/logged-server.js';

const PHI = 'MRN-4711-Smith';

/** $boom fails the way a driver does: a message quoting the value, a code; $outage as the database being away. */
const operations: OperationDef[] = [
  {
    name: 'boom',
    system: true,
    definition: 'http://example.org/OperationDefinition/boom',
    handler: async () => {
      throw Object.assign(new Error(`duplicate key value violates unique constraint: (value)=(${PHI})`), {
        name: 'QueryFailedError',
        code: '23505',
      });
    },
  },
  {
    name: 'outage',
    system: true,
    definition: 'http://example.org/OperationDefinition/outage',
    handler: async () => {
      const cause = Object.assign(new Error(`connect ECONNREFUSED while reading ${PHI}`), { code: 'ECONNREFUSED' });
      throw new OperationOutcomeError(503, outcome('error', 'transient', 'database unavailable'), { cause });
    },
  },
];

describe('logs and metrics carry no patient data', () => {
  let server: LoggedServer;
  before(async () => {
    server = await startLoggedServer(sqliteDatabase(), {}, 'debug', { operations });
  });
  after(async () => server.stop());

  const linesFor = (requestId: string): Record<string, unknown>[] =>
    server.lines.filter((l) => l.requestId === requestId);

  it('logs the request path and parameter names, not the query values', async () => {
    const res = await fetch(`${server.origin}/fhir/Patient?name=Smith&identifier=urn:mrn|${PHI}&name=Jones`);
    await res.text();
    const line = linesFor(res.headers.get('x-request-id')!).find((l) => l.msg === 'request');
    assert.equal(line?.path, '/fhir/Patient');
    assert.deepEqual(line?.params, ['name', 'identifier']);
    assert.ok(!server.logText().includes(PHI) && !server.logText().includes('Smith'), 'no query value in the log');
  });

  it('logs a 500 by error name, code and request id; the message and stack only at debug', async () => {
    const res = await fetch(`${server.origin}/fhir/$boom`, { method: 'POST' });
    assert.equal(res.status, 500);
    assert.ok(!(await res.text()).includes(PHI), 'nor in the answer');
    const requestId = res.headers.get('x-request-id')!;
    const lines = linesFor(requestId);
    const error = lines.find((l) => l.level === 'error');
    assert.deepEqual(
      { msg: error?.msg, status: error?.status, error: error?.error, code: error?.code },
      { msg: 'request failed', status: 500, error: 'QueryFailedError', code: '23505' },
    );
    const aboveDebug = lines.filter((l) => l.level !== 'debug');
    assert.ok(!JSON.stringify(aboveDebug).includes(PHI), JSON.stringify(aboveDebug));
    assert.match(String(lines.find((l) => l.msg === 'request failed: stack')?.stack), /QueryFailedError/);
  });

  it('logs a 503 (database unavailable) as a warning without a stack', async () => {
    const res = await fetch(`${server.origin}/fhir/$outage`, { method: 'POST' });
    assert.equal(res.status, 503);
    const lines = linesFor(res.headers.get('x-request-id')!).filter((l) => l.msg !== 'request');
    assert.deepEqual(
      lines.map((l) => [l.level, l.code]),
      [['warn', 'ECONNREFUSED']],
    );
    assert.ok(!JSON.stringify(lines).includes(PHI));
  });

  it('labels metrics with known routes only; any other path is "unmatched"', async () => {
    for (const path of ['/healthz', `/${PHI}/records`, '/admin/jobs/42', '/admin/nothing', '/readyz/x', '/fhirish'])
      await (await fetch(`${server.origin}${path}`)).text();
    const text = await (await fetch(`${server.origin}/metrics`)).text();
    const routes = new Set([...text.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    assert.deepEqual([...routes].sort(), ['/admin/jobs', '/healthz', 'fhir', 'unmatched']);
    assert.ok(!text.includes(PHI));
  });
});

describe('the startup log names the database without its password', () => {
  it('drops user info and ?password= from a PostgreSQL URL', async () => {
    const db = await postgresDatabase();
    const url = new URL(db.url);
    url.password = 'S3cretInUserInfo';
    url.searchParams.set('password', 'S3cretInQuery');
    url.searchParams.set('application_name', 'ct-fhir-test');
    const server = await startLoggedServer({ ...db, url: url.toString() }, {}, 'info');
    try {
      const listening = server.lines.find((l) => l.msg === 'listening');
      assert.ok(!server.logText().includes('S3cret'), server.logText());
      assert.equal(listening?.database, `postgres://***@${url.host}${url.pathname}?application_name=ct-fhir-test`);
    } finally {
      await server.stop();
    }
  });
});
