// The ct-fhir-workflow CodeSystem (Observation.method, Task and DetectedIssue codes) over FHIR, as a receiver resolves
// those codes: found by url, read by id, $lookup and $validate-code, on SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, CodeSystem, Parameters } from 'fhir/r4.js';
import { WORKFLOW_SYSTEM } from '../../../src/findings/codes.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const param = (p: Parameters, name: string) => p.parameter?.find((x) => x.name === name);
const system = encodeURIComponent(WORKFLOW_SYSTEM);

for (const { kind, make } of databaseKinds) {
  describe(`ct-fhir-workflow CodeSystem over FHIR (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(await make());
    });
    after(async () => server.stop());

    it('is found by its url and read by its id', async () => {
      const found = await fhirFetch(server, `CodeSystem?url=${system}`);
      const entries = (found.body as Bundle).entry ?? [];
      assert.equal(entries.length, 1, JSON.stringify(found.body));
      const cs = entries[0]!.resource as CodeSystem;
      assert.ok(cs.concept?.some((c) => c.code === 'ai-image-classification'));
      const read = await fhirFetch(server, `CodeSystem/${cs.id}`);
      assert.equal(read.status, 200);
      assert.equal((read.body as CodeSystem).url, WORKFLOW_SYSTEM);
    });

    it('answers $lookup and $validate-code for its codes', async () => {
      const look = await fhirFetch(server, `CodeSystem/$lookup?system=${system}&code=triage`);
      assert.equal(look.status, 200, JSON.stringify(look.body));
      assert.equal(param(look.body as Parameters, 'display')?.valueString, 'Triage');
      const v = await fhirFetch(server, 'CodeSystem/ct-fhir-workflow/$validate-code?code=study-withdrawn');
      assert.equal(v.status, 200, JSON.stringify(v.body));
      assert.equal(param(v.body as Parameters, 'result')?.valueBoolean, true);
      const body: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'url', valueUri: WORKFLOW_SYSTEM },
          { name: 'code', valueCode: 'not-a-workflow-code' },
        ],
      };
      const bad = await fhirFetch(server, 'CodeSystem/$validate-code', { method: 'POST', body });
      assert.equal(param(bad.body as Parameters, 'result')?.valueBoolean, false);
    });
  });
}
