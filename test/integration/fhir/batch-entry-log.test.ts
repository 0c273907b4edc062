// A batch entry that fails with a 5xx answers with its OperationOutcome in the response entry and, like a top-level
// 5xx, leaves a log line: the error's name and code and the entry's index, never the driver's message (patient data),
// the stack at debug only. 4xx entries are the client's and are not logged. Through a listening server (the request's logger reaches the batch) and the real store.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle } from 'fhir/r4.js';
import type { OperationDef } from '../../../src/fhir/context.js';
import { sqliteDatabase } from '../../support/databases.js';
import { startLoggedServer, type LoggedServer } from '../../support/logged-server.js';

const PHI = 'MRN-4711-Smith';

/** $boom fails the way a driver does: a message quoting the failing value, and a code. */
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
];

describe('batch entry failures in the log', () => {
  let server: LoggedServer;
  before(async () => {
    server = await startLoggedServer(sqliteDatabase(), {}, 'debug', { operations });
  });
  after(async () => server.stop());

  it('logs a 5xx entry by name, code, index and request id (stack at debug), not its message, and no 4xx entry', async () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: 'Patient/does-not-exist' } },
        { request: { method: 'POST', url: '$boom' } },
      ],
    };
    const res = await fetch(`${server.origin}/fhir`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'x-request-id': 'req-1' },
      body: JSON.stringify(bundle),
    });
    assert.equal(res.status, 200);
    const entries = ((await res.json()) as Bundle).entry!;
    assert.equal(entries[0]?.response?.status, '404');
    assert.equal(entries[1]?.response?.status, '500');
    const errors = server.lines.filter((l) => l.level === 'error');
    assert.deepEqual(
      errors.map((l) => ({
        msg: l.msg,
        requestId: l.requestId,
        entry: l.entry,
        status: l.status,
        error: l.error,
        code: l.code,
      })),
      [
        {
          msg: 'batch entry failed',
          requestId: 'req-1',
          entry: 1,
          status: 500,
          error: 'QueryFailedError',
          code: '23505',
        },
      ],
    );
    const aboveDebug = server.lines.filter((l) => l.level !== 'debug');
    assert.ok(!JSON.stringify(aboveDebug).includes(PHI), JSON.stringify(aboveDebug));
    const stack = server.lines.find((l) => l.msg === 'batch entry failed: stack');
    assert.equal(stack?.requestId, 'req-1');
    assert.match(String(stack?.stack), /QueryFailedError/);
  });
});
