// A triage worklist: Task?code=triage&status=requested&_sort=-priority lists stat before asap, urgent and routine
// (request-priority order, not alphabetical), on both databases.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Task } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

for (const { kind, make } of databaseKinds) {
  describe(`triage worklist ordering (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(await make());
      for (const priority of ['urgent', 'routine', 'stat', 'asap'] as const) {
        const task: Task = {
          resourceType: 'Task',
          status: 'requested',
          intent: 'order',
          priority,
          code: { coding: [{ system: 'urn:test', code: 'triage' }] },
        };
        await fhirFetch(server, 'Task', { method: 'POST', body: task });
      }
    });
    after(async () => server.stop());

    it('sorts by clinical priority, most pressing first with -priority', async () => {
      const res = await fhirFetch(server, 'Task?code=triage&status=requested&_sort=-priority');
      const order = ((res.body as Bundle).entry ?? []).map((e) => (e.resource as Task).priority);
      assert.deepEqual(order, ['stat', 'asap', 'urgent', 'routine']);
      const asc = await fhirFetch(server, 'Task?code=triage&_sort=priority');
      assert.deepEqual(
        ((asc.body as Bundle).entry ?? []).map((e) => (e.resource as Task).priority),
        ['routine', 'urgent', 'asap', 'stat'],
      );
    });
  });
}
