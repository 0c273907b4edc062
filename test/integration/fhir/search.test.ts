// The searches Inferno's US Core Observation and DiagnosticReport tests send, through fhir-kit-client, on SQLite and
// PostgreSQL: both patient reference forms, system|code tokens, status OR lists, date prefixes, GET = POST _search,
// _revinclude=Provenance:target, _include, paging, _sort, _summary=count, _elements, chaining.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FhirClient } from '../../support/fhir-client.js';
import type { Bundle, DiagnosticReport, Observation, Patient, Provenance, Resource } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const matches = (b: Bundle): Resource[] =>
  (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource!);
const ids = (b: Bundle): string[] =>
  matches(b)
    .map((r) => r.id!)
    .sort();

for (const { kind, make } of databaseKinds) {
  describe(`FHIR search (${kind})`, () => {
    let server: TestServer;
    let client: FhirClient;
    let pat: Patient;
    let other: Patient;
    const search = async (resourceType: string, searchParams: Record<string, string | string[]>): Promise<Bundle> =>
      (await client.search({ resourceType, searchParams })) as Bundle;

    before(async () => {
      server = await startTestServer(await make());
      client = new FhirClient(server.baseUrl);
      pat = (await client.create({
        resourceType: 'Patient',
        body: {
          resourceType: 'Patient',
          identifier: [{ system: 'urn:mrn', value: 'S1' }],
          name: [{ family: 'Searchwell', given: ['Ida'] }],
        },
      })) as Patient;
      other = (await client.create({
        resourceType: 'Patient',
        body: { resourceType: 'Patient', name: [{ family: 'Other' }] },
      })) as Patient;
      const mk = (
        p: Patient,
        category: string,
        code: string,
        status: Observation['status'],
        date: string,
      ): Observation => ({
        resourceType: 'Observation',
        status,
        category: [{ coding: [{ system: CAT, code: category }] }],
        code: { coding: [{ system: 'http://loinc.org', code }] },
        subject: { reference: `Patient/${p.id}` },
        effectiveDateTime: date,
        valueQuantity: { value: 5, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' },
      });
      const rows: Observation[] = [
        mk(pat, 'imaging', '24627-2', 'final', '2021-03-04T10:00:00Z'),
        mk(pat, 'imaging', '24627-2', 'preliminary', '2022-06-01'),
        mk(pat, 'laboratory', '718-7', 'amended', '2020-01-15'),
        mk(other, 'imaging', '24627-2', 'final', '2021-03-05'),
      ];
      for (let i = 0; i < 25; i++)
        rows.push(mk(pat, 'vital-signs', '8867-4', 'final', `2019-01-${String(1 + (i % 28)).padStart(2, '0')}`));
      const created: Observation[] = [];
      for (const o of rows)
        created.push((await client.create({ resourceType: 'Observation', body: o })) as Observation);
      const prov: Provenance = {
        resourceType: 'Provenance',
        target: [{ reference: `Observation/${created[0]!.id}` }],
        recorded: '2021-03-04T10:00:00Z',
        agent: [{ who: { display: 'ct-fhir' } }],
      };
      await client.create({ resourceType: 'Provenance', body: prov });
      const dr: DiagnosticReport = {
        resourceType: 'DiagnosticReport',
        status: 'final',
        category: [{ coding: [{ system: 'http://loinc.org', code: 'LP29684-5' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '24627-2' }] },
        subject: { reference: `Patient/${pat.id}` },
        effectiveDateTime: '2021-03-04',
        result: [{ reference: `Observation/${created[0]!.id}` }],
      };
      await client.create({ resourceType: 'DiagnosticReport', body: dr });
    });
    after(async () => server.stop());

    it('gives the same result for patient=id and patient=Patient/id', async () => {
      const a = await search('Observation', { patient: pat.id!, category: 'imaging' });
      const b = await search('Observation', { patient: `Patient/${pat.id}`, category: 'imaging' });
      assert.equal(ids(a).length, 2);
      assert.deepEqual(ids(a), ids(b));
    });

    it('matches system|code tokens and bare codes alike', async () => {
      const a = await search('Observation', { patient: pat.id!, category: `${CAT}|imaging` });
      assert.equal(matches(a).length, 2);
      const c = await search('Observation', { patient: pat.id!, code: 'http://loinc.org|718-7' });
      assert.equal(matches(c).length, 1);
      const none = await search('Observation', { patient: pat.id!, code: 'http://snomed.info/sct|718-7' });
      assert.equal(matches(none).length, 0);
    });

    it('treats a comma list of statuses as OR', async () => {
      const b = await search('Observation', { patient: pat.id!, category: 'imaging', status: 'final,preliminary' });
      assert.equal(matches(b).length, 2);
      const c = await search('Observation', { patient: pat.id!, status: 'amended' });
      assert.equal(matches(c).length, 1);
    });

    it('applies date prefixes gt ge lt le with precision, and AND across repeats', async () => {
      assert.equal(
        matches(await search('Observation', { patient: pat.id!, category: 'imaging', date: 'gt2021-03-04' })).length,
        1,
      );
      assert.equal(
        matches(await search('Observation', { patient: pat.id!, category: 'imaging', date: 'ge2021-03-04' })).length,
        2,
      );
      assert.equal(
        matches(await search('Observation', { patient: pat.id!, category: 'imaging', date: 'lt2022' })).length,
        1,
      );
      assert.equal(
        matches(await search('Observation', { patient: pat.id!, category: 'imaging', date: 'le2022-06-01' })).length,
        2,
      );
      assert.equal(
        matches(await search('Observation', { patient: pat.id!, category: 'imaging', date: '2021' })).length,
        1,
      );
      assert.equal(
        matches(await search('Observation', { patient: pat.id!, date: ['ge2020-01-01', 'lt2021-01-01'] })).length,
        1,
      );
    });

    it('gives the same count for POST _search as for GET', async () => {
      const get = await search('Observation', { patient: pat.id!, category: 'vital-signs', _count: '100' });
      const post = await fhirFetch(server, 'Observation/_search', {
        method: 'POST',
        body: `patient=${pat.id}&category=vital-signs&_count=100`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(post.status, 200);
      assert.equal(matches(post.body as Bundle).length, matches(get).length);
      assert.equal(matches(get).length, 25);
    });

    it("treats a reference on this server's own base like Type/id, in search and _include", async () => {
      const body: Observation = {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
        subject: { reference: `${server.baseUrl}/Patient/${other.id}` },
      };
      const created = (await client.create({ resourceType: 'Observation', body })) as Observation;
      const queries: Record<string, string>[] = [
        { subject: `Patient/${other.id}`, code: '29463-7' },
        { patient: other.id!, code: '29463-7' },
        { subject: `${server.baseUrl}/Patient/${other.id}`, code: '29463-7' },
      ];
      for (const params of queries) {
        assert.ok(ids(await search('Observation', params)).includes(created.id!), JSON.stringify(params));
      }
      const included = await search('Observation', { _id: created.id!, _include: 'Observation:subject' });
      assert.ok((included.entry ?? []).some((e) => e.search?.mode === 'include' && e.resource?.id === other.id));
    });

    it('follows next links through every page without repeats', async () => {
      let page = await search('Observation', { patient: pat.id!, category: 'vital-signs', _count: '10' });
      const seen: string[] = [];
      for (;;) {
        seen.push(...matches(page).map((r) => r.id!));
        const next = client.nextPage(page);
        if (!next) break;
        page = (await next) as Bundle;
      }
      assert.equal(seen.length, 25);
      assert.equal(new Set(seen).size, 25);
      // _count=0 asks for the total only: no next (or previous) link that would be the same empty page again.
      for (const offset of [undefined, '10']) {
        const q = { patient: pat.id!, category: 'vital-signs', _count: '0', _total: 'accurate' };
        const totalOnly = await search('Observation', offset ? { ...q, _offset: offset } : q);
        assert.equal(totalOnly.total, 25);
        assert.deepEqual(
          (totalOnly.link ?? []).map((l) => l.relation),
          ['self'],
        );
      }
    });

    it('includes Provenance with _revinclude=Provenance:target', async () => {
      const b = await search('Observation', {
        patient: pat.id!,
        category: 'imaging',
        _revinclude: 'Provenance:target',
      });
      const included = (b.entry ?? []).filter((e) => e.search?.mode === 'include');
      assert.equal(included.length, 1);
      assert.equal(included[0]?.resource?.resourceType, 'Provenance');
    });

    it('includes the patient with _include and reverse-includes reports', async () => {
      const b = await search('Observation', { patient: pat.id!, category: 'imaging', _include: 'Observation:patient' });
      assert.ok((b.entry ?? []).some((e) => e.search?.mode === 'include' && e.resource?.id === pat.id));
      const d = await search('DiagnosticReport', { patient: pat.id!, _include: 'DiagnosticReport:result' });
      assert.ok(
        (d.entry ?? []).some((e) => e.search?.mode === 'include' && e.resource?.resourceType === 'Observation'),
      );
    });

    it('searches DiagnosticReport by patient alone, patient+status and patient+category+date', async () => {
      assert.equal(matches(await search('DiagnosticReport', { patient: pat.id! })).length, 1);
      assert.equal(matches(await search('DiagnosticReport', { patient: pat.id!, status: 'final' })).length, 1);
      assert.equal(
        matches(
          await search('DiagnosticReport', {
            patient: pat.id!,
            category: 'http://loinc.org|LP29684-5',
            date: 'ge2021-01-01',
          }),
        ).length,
        1,
      );
    });

    it('sorts by several keys, descending with -', async () => {
      const b = await search('Observation', { patient: pat.id!, category: 'imaging,laboratory', _sort: '-date' });
      const dates = matches(b).map((r) => (r as Observation).effectiveDateTime!);
      assert.deepEqual(dates, [...dates].sort().reverse());
      const c = await search('Observation', { patient: pat.id!, _sort: 'status,-date', _count: '3' });
      assert.equal((matches(c)[0] as Observation).status, 'amended');
    });

    it('returns only a total with _summary=count and trims with _elements', async () => {
      const count = await search('Observation', { patient: pat.id!, _summary: 'count' });
      assert.equal(count.total, 28);
      assert.equal(count.entry, undefined);
      const el = await search('Observation', { patient: pat.id!, category: 'imaging', _elements: 'status' });
      const r = matches(el)[0] as Observation;
      assert.equal(r.status !== undefined, true);
      // code is mandatory (1..1), so it stays (search.html#elements); subject and value are trimmed.
      assert.ok(r.code);
      assert.equal(r.subject, undefined);
      assert.equal(r.valueQuantity, undefined);
      assert.ok(r.meta?.tag?.some((t) => t.code === 'SUBSETTED'));
    });

    it('chains one level: subject:Patient.identifier and patient.name', async () => {
      const a = await search('Observation', { 'subject:Patient.identifier': 'urn:mrn|S1', category: 'imaging' });
      assert.equal(matches(a).length, 2);
      const b = await search('Observation', { 'patient.name': 'searchw', category: 'imaging' });
      assert.equal(matches(b).length, 2);
    });

    it('searches strings with default, :exact and :contains', async () => {
      assert.equal(matches(await search('Patient', { name: 'searchw' })).length, 1);
      assert.equal(matches(await search('Patient', { 'name:exact': 'searchw' })).length, 0);
      assert.equal(matches(await search('Patient', { 'name:exact': 'Searchwell' })).length, 1);
      assert.equal(matches(await search('Patient', { 'name:contains': 'rchwe' })).length, 1);
    });

    it('supports _id, _lastUpdated, :not and :missing', async () => {
      assert.equal(matches(await search('Patient', { _id: `${pat.id},${other.id}` })).length, 2);
      assert.equal(matches(await search('Patient', { _id: pat.id!, _lastUpdated: 'gt2000-01-01' })).length, 1);
      const notFinal = await search('Observation', { patient: pat.id!, 'status:not': 'final', _count: '100' });
      assert.equal(matches(notFinal).length, 2);
      assert.equal(
        matches(await search('Patient', { 'identifier:missing': 'true', _id: `${pat.id},${other.id}` })).length,
        1,
      );
    });

    it('searches quantities with prefixes and units', async () => {
      assert.equal(
        matches(await search('Observation', { patient: other.id!, 'value-quantity': '5|http://unitsofmeasure.org|mm' }))
          .length,
        1,
      );
      assert.equal(matches(await search('Observation', { patient: other.id!, 'value-quantity': 'gt5' })).length, 0);
      assert.equal(matches(await search('Observation', { patient: other.id!, 'value-quantity': 'ge5' })).length, 1);
    });
  });
}
