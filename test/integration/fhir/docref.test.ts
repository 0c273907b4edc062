// US Core $docref (src/fhir/operations/docref.ts) through the real fhir-kit-client against a listening server, on
// SQLite and PostgreSQL: GET and POST forms, care-date ranges over context.period, type, profile, only current
// documents, paging, and the bad inputs (no patient, a bad date, an unknown parameter, on-demand not a boolean).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, CapabilityStatement, DocumentReference, OperationOutcome, Parameters } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { FhirClient } from '../../support/fhir-client.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const LOINC = 'http://loinc.org';
const US_CORE_DOCREF = 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference';

function doc(
  title: string,
  patient: string,
  code: string,
  at: string,
  extra: Partial<DocumentReference> = {},
): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patient}` },
    description: title,
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(title).toString('base64') } }],
    context: { period: { start: at, end: at } },
    ...extra,
  };
}

const titles = (bundle: Bundle): string[] =>
  (bundle.entry ?? [])
    .filter((e) => e.search?.mode === 'match')
    .map((e) => (e.resource as DocumentReference).description!)
    .sort();

for (const { kind, make } of databaseKinds) {
  describe(`US Core $docref (${kind})`, () => {
    let server: TestServer;
    let client: FhirClient;
    const get = async (query: string): Promise<Bundle> =>
      (await client.request(`DocumentReference/$docref?${query}`)) as Bundle;

    before(async () => {
      server = await startTestServer(await make());
      client = new FhirClient(server.baseUrl);
      for (const id of ['docref-a', 'docref-b'])
        await client.update({ resourceType: 'Patient', id, body: { resourceType: 'Patient', id } });
      const docs = [
        doc('ct-2024', 'docref-a', '18748-4', '2024-03-01T10:00:00Z', { meta: { profile: [US_CORE_DOCREF] } }),
        doc('note-2023', 'docref-a', '11506-3', '2023-01-15T08:30:00Z'),
        doc('ct-2022', 'docref-a', '18748-4', '2022-06-30T23:00:00Z'),
        doc('ct-2024-superseded', 'docref-a', '18748-4', '2024-03-01T10:00:00Z', { status: 'superseded' }),
        doc('other-patient', 'docref-b', '18748-4', '2024-03-01T10:00:00Z'),
      ];
      for (const body of docs) await client.create({ resourceType: 'DocumentReference', body });
    });
    after(async () => server.stop());

    it('is in the CapabilityStatement under DocumentReference', async () => {
      const cs = (await client.capabilityStatement()) as CapabilityStatement;
      const docRef = cs.rest?.[0]?.resource?.find((r) => r.type === 'DocumentReference');
      assert.ok(
        docRef?.operation?.some((o) => o.name === 'docref' && o.definition?.endsWith('/OperationDefinition/docref')),
      );
    });

    it('without dates: every current document of the patient, none of others, none superseded', async () => {
      const bundle = await get('patient=docref-a');
      assert.equal(bundle.type, 'searchset');
      assert.deepEqual(titles(bundle), ['ct-2022', 'ct-2024', 'note-2023']);
      assert.deepEqual(titles(await get('patient=Patient/docref-b')), ['other-patient']);
      assert.deepEqual(titles(await get('patient=no-such-patient')), []);
    });

    it('start and end are care dates: documents whose context.period falls in the range', async () => {
      assert.deepEqual(titles(await get('patient=docref-a&start=2023-01-01')), ['ct-2024', 'note-2023']);
      assert.deepEqual(titles(await get('patient=docref-a&end=2023-01-15')), ['ct-2022', 'note-2023']);
      assert.deepEqual(titles(await get('patient=docref-a&start=2022-07-01&end=2023-12-31')), ['note-2023']);
      // A zone's '+' sent unencoded arrives as a space; 2022-07-01T00:30+01:00 is 2022-06-30T23:30Z.
      assert.deepEqual(titles(await get('patient=docref-a&start=2022-06-30T23:30:00+01:00&end=2022-12-31')), [
        'ct-2022',
      ]);
    });

    it('type (system|code or code) and profile narrow it', async () => {
      assert.deepEqual(titles(await get(`patient=docref-a&type=${encodeURIComponent(`${LOINC}|11506-3`)}`)), [
        'note-2023',
      ]);
      assert.deepEqual(titles(await get('patient=docref-a&type=18748-4&start=2023-01-01')), ['ct-2024']);
      assert.deepEqual(titles(await get(`patient=docref-a&profile=${encodeURIComponent(US_CORE_DOCREF)}`)), [
        'ct-2024',
      ]);
    });

    it('POST with a Parameters body (fhir-kit-client operation) gives the same documents', async () => {
      const input: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'patient', valueId: 'docref-a' },
          { name: 'start', valueDateTime: '2022-01-01' },
          { name: 'end', valueDateTime: '2023-12-31' },
          { name: 'type', valueCodeableConcept: { coding: [{ system: LOINC, code: '18748-4' }] } },
        ],
      };
      const bundle = (await client.operation({ name: 'docref', resourceType: 'DocumentReference', input })) as Bundle;
      assert.deepEqual(titles(bundle), ['ct-2022']);
    });

    it('pages with _count like a search, and says that on-demand generation is not done', async () => {
      const first = await get('patient=docref-a&_count=2');
      assert.equal(titles(first).length, 2);
      const next = await client.nextPage(first);
      assert.ok(next, 'a next page');
      assert.equal(titles((await next) as Bundle).length, 1);
      const onDemand = await get('patient=docref-a&on-demand=true');
      assert.deepEqual(titles(onDemand), ['ct-2022', 'ct-2024', 'note-2023']);
      const outcome = onDemand.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome;
      assert.match(outcome.issue[0]!.diagnostics!, /does not generate documents/);
    });

    it('bad input: 400 OperationOutcome naming the parameter', async () => {
      const cases: [string, RegExp][] = [
        ['start=2024-01-01', /needs the patient parameter/],
        ['patient=docref-a&start=2024-13-45', /Invalid start '2024-13-45'/],
        ['patient=docref-a&end=yesterday', /Invalid end 'yesterday'/],
        ['patient=docref-a&on-demand=maybe', /on-demand must be true or false/],
      ];
      for (const [query, message] of cases) {
        const res = await fhirFetch(server, `DocumentReference/$docref?${query}`);
        assert.equal(res.status, 400, query);
        const oo = res.body as OperationOutcome;
        assert.equal(oo.resourceType, 'OperationOutcome');
        assert.match(oo.issue[0]!.diagnostics!, message, query);
      }
      const unknown: Parameters = {
        resourceType: 'Parameters',
        parameter: [
          { name: 'patient', valueId: 'docref-a' },
          { name: 'encounter', valueId: 'x' },
        ],
      };
      const res = await fhirFetch(server, 'DocumentReference/$docref', { method: 'POST', body: unknown });
      assert.equal(res.status, 400);
      assert.match((res.body as OperationOutcome).issue[0]!.diagnostics!, /no parameter encounter/);
      // Only at type level, on DocumentReference.
      assert.equal((await fhirFetch(server, 'Observation/$docref?patient=docref-a')).status, 404);
    });
  });
}
