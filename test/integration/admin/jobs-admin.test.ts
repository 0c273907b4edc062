// The job dead letter over HTTP: a handler that always throws ends dead with its error on the Task and in
// /admin/jobs/dead-letter; retry and requeue put it back; bad ids get OperationOutcomes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcome, Task } from 'fhir/r4.js';
import { sqliteDatabase } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const FAILING = 'test.always-fails';
let runs = 0;

describe('jobs admin API', () => {
  let server: TestServer;
  let admin: string;
  before(async () => {
    server = await startTestServer(
      sqliteDatabase(),
      { WORKERS: '1' },
      {
        handlers: {
          [FAILING]: async () => {
            runs++;
            throw new Error('scanner archive unreachable');
          },
        },
      },
    );
    admin = `${server.baseUrl.replace(/\/fhir$/, '')}/admin/jobs`;
  });
  after(async () => server.stop());

  async function waitForStatus(id: string, status: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 200; i++) {
      const job = (await (await fetch(`${admin}/${id}`)).json()) as Record<string, unknown>;
      if (job.status === status) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`job ${id} never became ${status}`);
  }

  it('dead-letters a job that always throws, with its error on the Task, then retries it', async () => {
    const { job } = await server.queue.enqueue({ type: FAILING, payload: { focus: 'Patient/p1' }, maxAttempts: 1 });
    const dead = await waitForStatus(job.id, 'dead');
    assert.match(String(dead.lastError), /scanner archive unreachable/);
    const task = (await fhirFetch(server, `Task/job-${job.id}`)).body as Task;
    assert.equal(task.status, 'failed');
    assert.match(task.statusReason?.text ?? '', /scanner archive unreachable/);
    const list = (await (await fetch(`${admin}/dead-letter?type=${FAILING}`)).json()) as { jobs: { id: string }[] };
    assert.ok(list.jobs.some((j) => j.id === job.id));
    const before = runs;
    const retried = await fetch(`${admin}/${job.id}/retry`, { method: 'POST' });
    assert.equal(retried.status, 200);
    await waitForStatus(job.id, 'dead');
    assert.equal(runs, before + 1);
    const res = await fetch(`${admin}/requeue?type=${FAILING}`, { method: 'POST' });
    const requeued = (await res.json()) as { jobs: unknown[] };
    assert.equal(res.status, 200, JSON.stringify(requeued));
    assert.equal(requeued.jobs.length, 1);
  });

  it('answers 404 and 409 with OperationOutcomes', async () => {
    const missing = await fetch(`${admin}/999999`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as OperationOutcome).resourceType, 'OperationOutcome');
    const { job } = await server.queue.enqueue({ type: 'test.never-registered', payload: {} });
    const conflict = await fetch(`${admin}/${job.id}/retry`, { method: 'POST' });
    assert.equal(conflict.status, 409);
  });
});
