// Read/write interactions through the real fhir-kit-client against a listening server, on SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FhirClient } from '../../support/fhir-client.js';
import type { Bundle, CapabilityStatement, OperationOutcome, Patient } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

interface HttpError {
  response: { status: number; data: unknown };
}
async function rejectsWith(promise: Promise<unknown>, status: number): Promise<OperationOutcome> {
  try {
    await promise;
  } catch (err) {
    const e = err as HttpError;
    assert.equal(e.response?.status, status, JSON.stringify(e.response?.data));
    return e.response.data as OperationOutcome;
  }
  assert.fail(`expected HTTP ${status}`);
}

const patient = (family: string): Patient => ({
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.3', value: family }],
  name: [{ family, given: ['Ada'] }],
  gender: 'female',
  birthDate: '1970-05-01',
});

for (const { kind, make } of databaseKinds) {
  describe(`FHIR read/write interactions (${kind})`, () => {
    let server: TestServer;
    let client: FhirClient;
    before(async () => {
      server = await startTestServer(await make());
      client = new FhirClient(server.baseUrl);
    });
    after(async () => server.stop());

    it('serves a CapabilityStatement that instantiates US Core and lists types and search parameters', async () => {
      const cs = (await client.capabilityStatement()) as CapabilityStatement;
      assert.equal(cs.fhirVersion, '4.0.1');
      assert.ok(cs.instantiates?.includes('http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server'));
      const obs = cs.rest?.[0]?.resource?.find((r) => r.type === 'Observation');
      assert.ok(obs?.searchParam?.some((p) => p.name === 'patient'));
      assert.ok(obs?.interaction?.some((i) => i.code === 'vread'));
      for (const t of ['ImagingStudy', 'DiagnosticReport', 'Provenance', 'Task', 'DetectedIssue', 'ConceptMap']) {
        assert.ok(
          cs.rest?.[0]?.resource?.some((r) => r.type === t),
          t,
        );
      }
    });

    it('creates with a server-assigned id, version 1, Location and ETag; reads it back', async () => {
      const res = await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: { ...patient('Lovelace'), id: 'client-id' },
      });
      assert.equal(res.status, 201);
      const created = res.body as Patient;
      assert.notEqual(created.id, 'client-id');
      assert.equal(created.meta?.versionId, '1');
      assert.equal(res.headers.get('etag'), 'W/"1"');
      assert.equal(res.headers.get('location'), `${server.baseUrl}/Patient/${created.id}/_history/1`);
      assert.ok(res.headers.get('last-modified'));
      const read = (await client.read({ resourceType: 'Patient', id: created.id! })) as Patient;
      assert.equal(read.name?.[0]?.family, 'Lovelace');
    });

    it('updates with versions, vreads old versions, and enforces If-Match with 412', async () => {
      const created = (await client.create({ resourceType: 'Patient', body: patient('Byron') })) as Patient;
      const v2 = (await client.update({
        resourceType: 'Patient',
        id: created.id!,
        body: { ...created, gender: 'male' },
      })) as Patient;
      assert.equal(v2.meta?.versionId, '2');
      const v1 = (await client.vread({ resourceType: 'Patient', id: created.id!, version: '1' })) as Patient;
      assert.equal(v1.gender, 'female');
      await rejectsWith(
        client.update({
          resourceType: 'Patient',
          id: created.id!,
          body: { ...created, gender: 'other' },
          options: { headers: { 'If-Match': 'W/"1"' } },
        }),
        412,
      );
      const ok = (await client.update({
        resourceType: 'Patient',
        id: created.id!,
        body: { ...created, gender: 'other' },
        options: { headers: { 'If-Match': 'W/"2"' } },
      })) as Patient;
      assert.equal(ok.meta?.versionId, '3');
    });

    it('creates on PUT with a client id (update-as-create) with 201', async () => {
      const res = await fhirFetch(server, 'Patient/pat-put-1', {
        method: 'PUT',
        body: { ...patient('Put'), id: 'pat-put-1' },
      });
      assert.equal(res.status, 201);
      assert.equal((res.body as Patient).id, 'pat-put-1');
    });

    it('deletes keeping history: read gives 410, history shows the deletion, vread of v1 still works', async () => {
      const created = (await client.create({ resourceType: 'Patient', body: patient('Gone') })) as Patient;
      await client.delete({ resourceType: 'Patient', id: created.id! });
      await rejectsWith(client.read({ resourceType: 'Patient', id: created.id! }), 410);
      const history = (await client.history({ resourceType: 'Patient', id: created.id! })) as Bundle;
      assert.equal(history.type, 'history');
      assert.equal(history.entry?.length, 2);
      assert.equal(history.entry?.[0]?.request?.method, 'DELETE');
      const v1 = (await client.vread({ resourceType: 'Patient', id: created.id!, version: '1' })) as Patient;
      assert.equal(v1.name?.[0]?.family, 'Gone');
    });

    it('pages type and system history with next links', async () => {
      for (let i = 0; i < 5; i++)
        await client.create({ resourceType: 'Organization', body: { resourceType: 'Organization', name: `Org ${i}` } });
      const first = (await client.request('Organization/_history?_count=2')) as Bundle;
      assert.equal(first.entry?.length, 2);
      assert.ok((first.total ?? 0) >= 5);
      const next = (await client.nextPage(first)) as Bundle;
      assert.equal(next.entry?.length, 2);
      assert.notEqual(next.entry?.[0]?.resource?.id, first.entry?.[0]?.resource?.id);
      const system = (await client.request('_history?_count=3')) as Bundle;
      assert.equal(system.entry?.length, 3);
      // _since with a +hh:mm zone sent unencoded (URL decoding turns the + into a space), as search dates accept it.
      const since = await fhirFetch(server, 'Organization/_history?_since=2000-01-01T01:00:00+01:00&_count=1');
      assert.equal(since.status, 200, JSON.stringify(since.body));
      assert.equal((since.body as Bundle).entry?.length, 1);
    });

    it('conditional create returns the existing resource instead of creating a second one', async () => {
      const body = patient('Conditional');
      const headers = { 'If-None-Exist': 'identifier=urn:oid:1.2.3|Conditional' };
      const a = await fhirFetch(server, 'Patient', { method: 'POST', body, headers });
      const b = await fhirFetch(server, 'Patient', { method: 'POST', body, headers });
      assert.equal(a.status, 201);
      assert.equal(b.status, 200);
      assert.equal((a.body as Patient).id, (b.body as Patient).id);
    });

    it('conditional update creates on no match, updates on one match, 412 on several', async () => {
      const first = (await client.update({
        resourceType: 'Patient',
        searchParams: { identifier: 'urn:oid:1.2.3|CondUpd' },
        body: patient('CondUpd'),
      })) as Patient;
      const second = (await client.update({
        resourceType: 'Patient',
        searchParams: { identifier: 'urn:oid:1.2.3|CondUpd' },
        body: { ...patient('CondUpd'), gender: 'male' },
      })) as Patient;
      assert.equal(second.id, first.id);
      assert.equal(second.meta?.versionId, '2');
      await client.create({
        resourceType: 'Patient',
        body: { ...patient('Twin'), identifier: [{ system: 'urn:x', value: 'dup' }] },
      });
      await client.create({
        resourceType: 'Patient',
        body: { ...patient('Twin'), identifier: [{ system: 'urn:x', value: 'dup' }] },
      });
      await rejectsWith(
        client.update({ resourceType: 'Patient', searchParams: { identifier: 'urn:x|dup' }, body: patient('Twin') }),
        412,
      );
      // No match, and the body names a resource that exists: 409 (http.html#cond-update), the resource untouched.
      await rejectsWith(
        client.update({
          resourceType: 'Patient',
          searchParams: { identifier: 'urn:oid:1.2.3|NoSuchPatient' },
          body: { ...patient('Other'), id: first.id },
        }),
        409,
      );
      const unchanged = (await client.read({ resourceType: 'Patient', id: first.id! })) as Patient;
      assert.equal(unchanged.meta?.versionId, '2');
    });

    it('honours Prefer: return=minimal and return=OperationOutcome', async () => {
      const minimal = await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: patient('Min'),
        headers: { prefer: 'return=minimal' },
      });
      assert.equal(minimal.status, 201);
      assert.equal(minimal.body, undefined);
      assert.ok(minimal.headers.get('location'));
      const oo = await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: patient('OO'),
        headers: { prefer: 'return=OperationOutcome' },
      });
      assert.equal((oo.body as OperationOutcome).resourceType, 'OperationOutcome');
    });

    it('validates with $validate, including a US Core profile', async () => {
      const ok = (await client.operation({
        name: '$validate',
        resourceType: 'Patient',
        input: patient('Valid'),
      })) as OperationOutcome;
      assert.ok(ok.issue.every((i) => i.severity !== 'error'));
      const bad = await fhirFetch(
        server,
        'Patient/$validate?profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient',
        {
          method: 'POST',
          body: { resourceType: 'Patient', gender: 'female' },
        },
      );
      assert.equal(bad.status, 200);
      const issues = (bad.body as OperationOutcome).issue.filter((i) => i.severity === 'error');
      assert.ok(issues.length > 0, 'us-core-patient requires identifier and name');
    });
  });
}
