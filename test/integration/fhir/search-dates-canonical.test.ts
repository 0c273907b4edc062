// Search values a review found mishandled, over HTTP on SQLite and PostgreSQL: date values with an hour but no
// minutes (or a zone without a time) are 400s naming the parameter (search.html#date), history `_since` / `_at` read
// dates by the same grammar, and canonical references match `url|version` exactly and `url` at any version
// (search.html#versions, references.html#canonical).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const Q = 'http://example.org/fhir/Questionnaire/intake';
const PROFILE = 'http://example.org/fhir/StructureDefinition/ct-patient';

for (const { kind, make } of databaseKinds) {
  describe(`search dates and canonical versions (${kind})`, () => {
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

    before(async () => {
      server = await startTestServer(await make());
      await put({ resourceType: 'Patient', id: 'p1', birthDate: '2024-01-01' });
      for (const [id, questionnaire] of [
        ['qr-v1', `${Q}|1.0`],
        ['qr-v2', `${Q}|2.0`],
        ['qr-none', Q],
        ['qr-other', `${Q}-long|1.0`],
      ] as const) {
        await put({ resourceType: 'QuestionnaireResponse', id, status: 'completed', questionnaire });
      }
      await put({ resourceType: 'Patient', id: 'p-v1', meta: { profile: [`${PROFILE}|1.0`] } });
      await put({ resourceType: 'Patient', id: 'p-none', meta: { profile: [PROFILE] } });
    });
    after(async () => server.stop());

    it('rejects date values with an hour but no minutes, or a zone without a time, with 400 naming the parameter', async () => {
      for (const [param, value] of [
        ['birthdate', '2024-01-01T10'],
        ['birthdate', 'ge2024-01-01T10Z'],
        ['birthdate', '2024-01-01T10+01:00'],
        ['birthdate', '2024-01-01T10:0'],
        ['birthdate', '2024-01-01T1:00'],
        ['birthdate', '2024-01-01Z'],
        ['birthdate', '2024-01-01T10:00+14:30'],
        ['_lastUpdated', 'gt2024-01-01T10'],
      ] as const) {
        const res = await fhirFetch(server, `Patient?${param}=${encodeURIComponent(value)}`);
        assert.equal(res.status, 400, `${param}=${value}`);
        const outcome = res.body as OperationOutcome;
        assert.equal(outcome.resourceType, 'OperationOutcome');
        assert.deepEqual(outcome.issue[0]?.expression, [param], `${param}=${value}`);
      }
      assert.match(
        String(
          ((await fhirFetch(server, 'Patient?birthdate=2024-01-01T10')).body as OperationOutcome).issue[0]?.diagnostics,
        ),
        /minutes/,
      );
      // Minutes without seconds, and a time without a zone, are valid search dates.
      assert.deepEqual(await ids('Patient?birthdate=le2024-01-01T10:00Z&_id=p1'), ['p1']);
      assert.deepEqual(await ids('Patient?birthdate=le2024-01-01T10:00&_id=p1'), ['p1']);
    });

    it('reads history _since and _at by the same grammar: no hour-only times, no 30 February', async () => {
      for (const query of [
        '_since=2024-01-01T10',
        '_since=2024-02-30T10:00:00Z',
        '_since=2024-01-01',
        '_at=2024-01-01T10',
        '_at=2024-01-01T10Z',
      ]) {
        const res = await fhirFetch(server, `Patient/_history?${query}`);
        assert.equal(res.status, 400, query);
        assert.deepEqual((res.body as OperationOutcome).issue[0]?.expression, [query.split('=')[0]], query);
      }
      const since = await fhirFetch(server, 'Patient/_history?_since=2000-01-01T10:00');
      assert.equal(since.status, 200);
    });

    it('matches a canonical reference at any version without |version, and only that version with it', async () => {
      const search = (value: string): Promise<string[]> =>
        ids(`QuestionnaireResponse?questionnaire=${encodeURIComponent(value)}`);
      assert.deepEqual(await search(Q), ['qr-none', 'qr-v1', 'qr-v2']);
      assert.deepEqual(await search(`${Q}|1.0`), ['qr-v1']);
      assert.deepEqual(await search(`${Q}|2.0`), ['qr-v2']);
      assert.deepEqual(await search(`${Q}|3.0`), []);
      assert.deepEqual(await search(`${Q},${Q}-long|1.0`), ['qr-none', 'qr-other', 'qr-v1', 'qr-v2']);
      assert.deepEqual(await ids(`QuestionnaireResponse?questionnaire:missing=false&_id=qr-v1`), ['qr-v1']);
    });

    it('matches canonical-valued uri parameters (_profile) the same way', async () => {
      assert.deepEqual(await ids(`Patient?_profile=${encodeURIComponent(PROFILE)}`), ['p-none', 'p-v1']);
      assert.deepEqual(await ids(`Patient?_profile=${encodeURIComponent(`${PROFILE}|1.0`)}`), ['p-v1']);
      assert.deepEqual(await ids(`Patient?_profile=${encodeURIComponent(`${PROFILE}|2.0`)}`), []);
      assert.deepEqual(await ids(`Patient?_profile:below=${encodeURIComponent(PROFILE)}`), ['p-none', 'p-v1']);
    });
  });
}
