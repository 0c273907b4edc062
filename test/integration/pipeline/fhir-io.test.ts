// writeFindings: how a findings transaction the server refuses fails its job. A refusal it would repeat (422, 400)
// fails the job for good; a version conflict (someone changed what the job read) stays retryable.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Task } from 'fhir/r4.js';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { PermanentJobError } from '../../../src/jobs/types.js';
import { writeFindings } from '../../../src/pipeline/fhir-io.js';
import { sqliteDatabase } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

describe('writeFindings failures', () => {
  let server: TestServer;
  let task: Task;
  before(async () => {
    server = await startTestServer(sqliteDatabase());
    const body: Task = { resourceType: 'Task', status: 'requested', intent: 'order' };
    task = (await fhirFetch(server, 'Task', { method: 'POST', body })).body as Task;
  });
  after(async () => server.stop());

  const put = (resource: Task, ifMatch?: string): Bundle => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ resource, request: { method: 'PUT', url: `Task/${resource.id}`, ...(ifMatch ? { ifMatch } : {}) } }],
  });

  it('a version conflict stays retryable', async () => {
    await assert.rejects(writeFindings(server.ctx, put({ ...task, status: 'cancelled' }, 'W/"99"'), 'x'), (err) => {
      assert.ok(err instanceof OperationOutcomeError && !(err instanceof PermanentJobError), String(err));
      assert.equal(err.status, 412);
      return true;
    });
  });

  it('an invalid resource fails the job for good', async () => {
    const invalid = { ...task, status: 'no-such-status' } as unknown as Task;
    await assert.rejects(writeFindings(server.ctx, put(invalid), 'x'), PermanentJobError);
  });
});
