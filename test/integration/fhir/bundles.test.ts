// batch and transaction Bundles through fhir-kit-client, on SQLite and PostgreSQL: atomicity, urn:uuid and conditional
// references, ordering of the response.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FhirClient } from '../../support/fhir-client.js';
import type { Bundle, FhirResource, Observation, OperationOutcome, Patient } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const obs = (patientRef: string, code: string): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code }] },
  subject: { reference: patientRef },
});

for (const { kind, make } of databaseKinds) {
  describe(`FHIR batch and transaction (${kind})`, () => {
    let server: TestServer;
    let client: FhirClient;
    before(async () => {
      server = await startTestServer(await make());
      client = new FhirClient(server.baseUrl);
    });
    after(async () => server.stop());

    it('an update equal to the current version (transaction, conditional or by id) writes nothing and is not validated again; a changed one is', async () => {
      // Stored through the repository, which does not validate: a birthDate no FHIR date can be.
      const stored = await server.repo.create<Patient>({
        resourceType: 'Patient',
        identifier: [{ system: 'urn:mrn', value: 'U1' }],
        birthDate: '1960-13-45x',
      });
      const { meta: _meta, id: _id, ...content } = stored;
      const put = (resource: Patient): Bundle<FhirResource> => ({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource, request: { method: 'PUT', url: 'Patient?identifier=urn:mrn|U1' } }],
      });
      const same = (await client.transaction({ body: put(content) })) as Bundle;
      assert.equal(same.entry?.[0]?.response?.status, '200 OK');
      assert.equal((await server.repo.read<Patient>('Patient', stored.id!)).meta?.versionId, '1');
      const changed = await fhirFetch(server, '', { method: 'POST', body: put({ ...content, gender: 'female' }) });
      assert.equal(changed.status, 400);
      assert.match(JSON.stringify(changed.body), /birthDate/);
      // The REST conditional update follows the same rule.
      const restSame = await fhirFetch(server, 'Patient?identifier=urn:mrn|U1', { method: 'PUT', body: content });
      assert.equal(restSame.status, 200);
      const restChanged = await fhirFetch(server, 'Patient?identifier=urn:mrn|U1', {
        method: 'PUT',
        body: { ...content, gender: 'male' },
      });
      assert.equal(restChanged.status, 400);
      // And a plain update by id, through fhir-kit-client.
      const plainSame = (await client.update({ resourceType: 'Patient', id: stored.id!, body: stored })) as Patient;
      assert.equal(plainSame.meta?.versionId, '1');
      const plainChanged = await fhirFetch(server, `Patient/${stored.id}`, {
        method: 'PUT',
        body: { ...stored, gender: 'other' },
      });
      assert.equal(plainChanged.status, 400);
      assert.match(JSON.stringify(plainChanged.body), /birthDate/);
      assert.equal((await server.repo.read<Patient>('Patient', stored.id!)).meta?.versionId, '1');
    });

    it('resolves urn:uuid references regardless of entry order and answers in request order', async () => {
      const bundle: Bundle<FhirResource> = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            fullUrl: 'urn:uuid:obs-1',
            resource: obs('urn:uuid:pat-1', '8867-4'),
            request: { method: 'POST', url: 'Observation' },
          },
          {
            fullUrl: 'urn:uuid:pat-1',
            resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'T1' }] },
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      };
      const res = (await client.transaction({ body: bundle })) as Bundle;
      assert.equal(res.type, 'transaction-response');
      assert.match(res.entry?.[0]?.response?.status ?? '', /^201/);
      const o = res.entry?.[0]?.resource as Observation;
      const p = res.entry?.[1]?.resource as Patient;
      assert.equal(o.resourceType, 'Observation');
      assert.equal(o.subject?.reference, `Patient/${p.id}`);
      assert.ok(res.entry?.[0]?.response?.location?.includes(`/Observation/${o.id}/_history/1`));
    });

    it('resolves conditional references and conditional creates inside a transaction', async () => {
      await client.create({
        resourceType: 'Patient',
        body: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'C1' }] },
      });
      const bundle: Bundle<FhirResource> = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: obs('Patient?identifier=urn:mrn|C1', '718-7'), request: { method: 'POST', url: 'Observation' } },
          {
            fullUrl: 'urn:uuid:again',
            resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'C1' }] },
            request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:mrn|C1' },
          },
        ],
      };
      const res = (await client.transaction({ body: bundle })) as Bundle;
      const o = res.entry?.[0]?.resource as Observation;
      const p = res.entry?.[1]?.resource as Patient;
      assert.match(res.entry?.[1]?.response?.status ?? '', /^200/);
      assert.equal(o.subject?.reference, `Patient/${p.id}`);
    });

    it('rolls back everything when the fifth entry fails', async () => {
      const marker = `atomic-${kind}`;
      const entries = Array.from({ length: 4 }, (_, i) => ({
        resource: { resourceType: 'Patient' as const, identifier: [{ system: 'urn:atomic', value: `${marker}-${i}` }] },
        request: { method: 'POST' as const, url: 'Patient' },
      }));
      const bundle: Bundle<FhirResource> = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          ...entries,
          {
            resource: { resourceType: 'Patient', birthDate: 'not-a-date' } as Patient,
            request: { method: 'POST', url: 'Patient' },
          },
        ],
      };
      const res = await fhirFetch(server, '', { method: 'POST', body: bundle });
      assert.equal(res.status, 400);
      const oo = res.body as OperationOutcome;
      assert.match(oo.issue[0]?.diagnostics ?? '', /entry 4/);
      const search = (await client.search({
        resourceType: 'Patient',
        searchParams: { identifier: `urn:atomic|${marker}-0` },
      })) as Bundle;
      assert.equal(search.entry?.filter((e) => e.search?.mode === 'match').length ?? 0, 0);
    });

    it('rejects a transaction whose entries write one resource twice, conditional identities included', async () => {
      const p = (await client.create({
        resourceType: 'Patient',
        body: { resourceType: 'Patient', identifier: [{ system: 'urn:ovl', value: 'x1' }] },
      })) as Patient;
      const tx = (entry: Bundle<FhirResource>['entry']): Bundle<FhirResource> =>
        ({ resourceType: 'Bundle', type: 'transaction', entry }) as Bundle<FhirResource>;
      // A DELETE and an If-None-Exist for one patient: matched against the store as it was, the POST would answer
      // the deleted patient as if it existed, and the Observation would point at it.
      const deleteThenCreate = tx([
        { request: { method: 'DELETE', url: 'Patient?identifier=urn:ovl|x1' } },
        {
          fullUrl: 'urn:uuid:6f4a8e1c-0000-4000-8000-000000000001',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:ovl', value: 'x1' }] },
          request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:ovl|x1' },
        },
        {
          resource: obs('urn:uuid:6f4a8e1c-0000-4000-8000-000000000001', 'ovl-1'),
          request: { method: 'POST', url: 'Observation' },
        },
      ]);
      // A PUT by id and a conditional PUT that matches the same patient.
      const twoPuts = tx([
        { resource: { ...p, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.id}` } },
        {
          resource: { resourceType: 'Patient', identifier: p.identifier, gender: 'female' },
          request: { method: 'PUT', url: 'Patient?identifier=urn:ovl|x1' },
        },
      ]);
      for (const body of [deleteThenCreate, twoPuts]) {
        const res = await fhirFetch(server, '', { method: 'POST', body });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.match(JSON.stringify(res.body), new RegExp(`both write Patient/${p.id}`));
      }
      const after = (await client.read({ resourceType: 'Patient', id: p.id! })) as Patient;
      assert.equal(after.meta?.versionId, '1', 'nothing of either transaction was written');
      const observations = (await fhirFetch(server, 'Observation?code=ovl-1')).body as Bundle;
      assert.equal(observations.entry?.length ?? 0, 0);
    });

    it('rejects a urn:uuid reference that no entry defines', async () => {
      const bundle: Bundle<FhirResource> = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: obs('urn:uuid:nowhere', '1-1'), request: { method: 'POST', url: 'Observation' } }],
      };
      const res = await fhirFetch(server, '', { method: 'POST', body: bundle });
      assert.equal(res.status, 400);
    });

    it('runs batch entries independently: a failing entry does not stop the others', async () => {
      const bundle: Bundle<FhirResource> = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: { resourceType: 'Patient', gender: 'male' }, request: { method: 'POST', url: 'Patient' } },
          { request: { method: 'GET', url: 'Patient/does-not-exist' } },
          { request: { method: 'GET', url: 'Patient?gender=male' } },
        ],
      };
      const res = (await client.batch({ body: bundle })) as Bundle;
      assert.equal(res.type, 'batch-response');
      assert.match(res.entry?.[0]?.response?.status ?? '', /^201/);
      assert.equal(res.entry?.[1]?.response?.status, '404');
      assert.equal((res.entry?.[1]?.response?.outcome as OperationOutcome).resourceType, 'OperationOutcome');
      assert.equal((res.entry?.[2]?.resource as Bundle).type, 'searchset');
    });
  });
}
