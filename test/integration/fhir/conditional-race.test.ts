// Conditional create and conditional update racing across API processes: two servers on one PostgreSQL database (as
// at hospital scale, several API processes behind a load balancer) must still give one resource per condition.
// http://hl7.org/fhir/R4/http.html#ccreate ("the server SHALL ... not create duplicates").
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, Observation, Patient } from 'fhir/r4.js';
import { postgresDatabase } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const RACERS = 24;

describe('conditional writes racing across two API processes (postgres)', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    const db = await postgresDatabase();
    a = await startTestServer(db);
    b = await startTestServer(db);
  });
  after(async () => {
    await b.close();
    await a.stop();
  });

  const patients = async (identifier: string): Promise<Patient[]> => {
    const res = await fhirFetch(a, `Patient?identifier=${encodeURIComponent(identifier)}&_count=100`);
    return ((res.body as Bundle).entry ?? []).map((e) => e.resource as Patient);
  };

  it('If-None-Exist creates one Patient; every racer gets it back', async () => {
    const identifier = { system: 'urn:test:mrn', value: 'race-create' };
    const results = await Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        fhirFetch(i % 2 ? a : b, 'Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', identifier: [identifier] },
          headers: { 'if-none-exist': `identifier=${identifier.system}|${identifier.value}` },
        }),
      ),
    );
    assert.deepEqual(results.map((r) => r.status).sort(), [...Array(RACERS - 1).fill(200), 201].sort());
    const found = await patients(`${identifier.system}|${identifier.value}`);
    assert.equal(found.length, 1);
    for (const r of results) assert.equal((r.body as Patient).id, found[0]!.id);
  });

  it('conditional updates in transaction Bundles (the HL7 mapper’s pattern) leave one Patient', async () => {
    const identifier = { system: 'urn:test:mrn', value: 'race-update' };
    const patient = (i: number): Patient => ({
      resourceType: 'Patient',
      identifier: [identifier],
      name: [{ family: `Racer${i}` }],
    });
    const observation: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'race' },
      subject: { reference: 'urn:uuid:2f1e6a4c-0000-4000-8000-000000000001' },
    };
    const bundle = (i: number): Bundle => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:2f1e6a4c-0000-4000-8000-000000000001',
          resource: patient(i),
          request: { method: 'PUT', url: `Patient?identifier=${identifier.system}|${identifier.value}` },
        },
        {
          resource: observation,
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    });
    const results = await Promise.all(
      Array.from({ length: RACERS }, (_, i) => fhirFetch(i % 2 ? a : b, '', { method: 'POST', body: bundle(i) })),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      Array(RACERS).fill(200),
    );
    const found = await patients(`${identifier.system}|${identifier.value}`);
    assert.equal(found.length, 1);
    const obs = await fhirFetch(a, `Observation?subject=Patient/${found[0]!.id}&_count=100&_total=accurate`);
    assert.equal((obs.body as Bundle).total, RACERS);
  });
});
