// `:missing` on references to contained resources, over HTTP on SQLite and PostgreSQL: a reference to a contained
// resource (`#id`) is a value of the element (search.html#modifiers: `:missing=true` finds resources with no value),
// and a parameter restricted to one target type (`patient`) counts it only when the contained resource has that type.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, FhirResource } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

for (const { kind, make } of databaseKinds) {
  describe(`contained references and :missing (${kind})`, () => {
    let server: TestServer;
    const ids = async (path: string): Promise<string[]> => {
      const res = await fhirFetch(server, path);
      assert.equal(res.status, 200, `${path}: ${JSON.stringify(res.body)}`);
      return ((res.body as Bundle).entry ?? []).map((e) => e.resource?.id ?? '').sort();
    };
    const put = async (resource: FhirResource): Promise<void> => {
      const res = await fhirFetch(server, `${resource.resourceType}/${resource.id}`, { method: 'PUT', body: resource });
      assert.ok(res.status < 300, JSON.stringify(res.body));
    };
    const observation = (id: string, more: object): FhirResource =>
      ({ resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, ...more }) as FhirResource;

    before(async () => {
      server = await startTestServer(await make());
      await put({ resourceType: 'Patient', id: 'p1' });
      await put(observation('o-ref', { subject: { reference: 'Patient/p1' } }));
      await put(observation('o-none', {}));
      await put(
        observation('o-patient', {
          contained: [{ resourceType: 'Patient', id: 'pt', name: [{ family: 'Smith' }] }],
          subject: { reference: '#pt' },
        }),
      );
      await put(
        observation('o-group', {
          contained: [{ resourceType: 'Group', id: 'g', type: 'person', actual: true }],
          subject: { reference: '#g' },
        }),
      );
    });
    after(async () => server.stop());

    it('counts a reference to a contained resource as a value for :missing', async () => {
      assert.deepEqual(await ids('Observation?subject:missing=true'), ['o-none']);
      assert.deepEqual(await ids('Observation?subject:missing=false'), ['o-group', 'o-patient', 'o-ref']);
      // `patient` is subject where it is a Patient: the contained Group is not one.
      assert.deepEqual(await ids('Observation?patient:missing=true'), ['o-group', 'o-none']);
      assert.deepEqual(await ids('Observation?patient:missing=false'), ['o-patient', 'o-ref']);
    });

    it('still matches references by id only to resources on the server, and includes only those', async () => {
      assert.deepEqual(await ids('Observation?subject=Patient/p1'), ['o-ref']);
      assert.deepEqual(await ids('Observation?subject=pt'), []);
      const included = await ids('Observation?_include=Observation:subject&_id=o-patient,o-ref');
      assert.deepEqual(included, ['o-patient', 'o-ref', 'p1']);
      assert.deepEqual(await ids('Observation?_sort=subject&subject:missing=false'), ['o-group', 'o-patient', 'o-ref']);
    });
  });
}
