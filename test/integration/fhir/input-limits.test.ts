// Input the databases cannot take is a 400 OperationOutcome on both, never a 500: paging numbers past what SQL
// integers hold, indexed values past PostgreSQL's B-tree row limit, NUL characters (PostgreSQL text and jsonb cannot
// hold U+0000), JSON nested deeper than the server walks, and malformed Bundle entries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Bundle, OperationOutcome, Patient } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

function outcomeOf(res: { status: number; body: unknown }, status: number): OperationOutcome {
  const oo = res.body as OperationOutcome;
  assert.equal(res.status, status, JSON.stringify(res.body).slice(0, 500));
  assert.equal(oo.resourceType, 'OperationOutcome');
  return oo;
}

/** Incompressible text (PostgreSQL compresses index values before checking their size). */
const noise = (chars: number): string => randomBytes(chars).toString('base64').slice(0, chars);

/** A Patient with extensions nested `depth` levels deep, as JSON text (JSON.stringify itself overflows). */
function nested(depth: number): string {
  const open = '{"url":"urn:x","extension":['.repeat(depth);
  const close = ']}'.repeat(depth);
  return `{"resourceType":"Patient","extension":[${open}{"url":"urn:x","valueString":"leaf"}${close}]}`;
}

for (const { kind, make } of databaseKinds) {
  describe(`FHIR input limits (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(await make());
    });
    after(async () => server.stop());

    for (const query of [
      '_offset=99999999999999999999',
      '_page=99999999999999999999',
      '_count=99999999999999999999',
      '_page=9007199254740991&_count=10',
    ]) {
      it(`search with ${query} is a 400 naming the parameter`, async () => {
        const oo = outcomeOf(await fhirFetch(server, `Patient?${query}`), 400);
        const name = /_page/.test(query) ? '_page' : query.slice(0, query.indexOf('='));
        assert.deepEqual(oo.issue[0]!.expression, [name]);
      });
    }

    it('a large offset within bounds is an empty page', async () => {
      const res = await fhirFetch(server, 'Patient?_offset=2000000000');
      assert.equal(res.status, 200);
      assert.equal((res.body as Bundle).entry?.length ?? 0, 0);
    });

    it('an identifier over the indexable size is a 400 naming Patient.identifier; one at the limit is stored', async () => {
      const long = { resourceType: 'Patient', identifier: [{ system: 'urn:s', value: noise(8000) }] };
      const oo = outcomeOf(await fhirFetch(server, 'Patient', { method: 'POST', body: long }), 400);
      assert.deepEqual(oo.issue[0]!.expression, ['Patient.identifier']);
      assert.match(oo.issue[0]!.diagnostics!, /2048 bytes/);

      const value = noise(2048 - 'urn:s'.length);
      const ok = await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', identifier: [{ system: 'urn:s', value }] },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 300));
      const found = await fhirFetch(server, `Patient?identifier=${encodeURIComponent(`urn:s|${value}`)}`);
      assert.equal((found.body as Bundle).entry?.length, 1);
    });

    it('a string over the indexable size is stored, found by its prefix and by :exact on the whole value', async () => {
      const family = noise(3000);
      const ok = await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', name: [{ family }] },
      });
      assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 300));
      const id = (ok.body as { id: string }).id;
      const ids = async (query: string): Promise<string[]> =>
        ((await fhirFetch(server, `Patient?${query}`)).body as Bundle).entry?.map((e) => e.resource!.id!) ?? [];
      assert.deepEqual(await ids(`family=${encodeURIComponent(family.slice(0, 2000))}`), [id]);
      assert.deepEqual(await ids(`family:exact=${encodeURIComponent(family)}`), [id]);
      assert.deepEqual(await ids(`family:exact=${encodeURIComponent(family.slice(0, 2048))}`), []);
    });

    it('a NUL in a search value is a 400 naming the parameter', async () => {
      for (const query of ['name=a%00b', 'identifier=urn:s|x%00', 'family:contains=%00']) {
        const oo = outcomeOf(await fhirFetch(server, `Patient?${query}`), 400);
        assert.deepEqual(oo.issue[0]!.expression, [query.slice(0, query.indexOf('='))]);
      }
    });

    it('a NUL in any string of a resource is a 400 naming the element, indexed or not', async () => {
      const indexed = { resourceType: 'Patient', name: [{ family: 'a\u0000b' }] };
      let oo = outcomeOf(await fhirFetch(server, 'Patient', { method: 'POST', body: indexed }), 400);
      assert.deepEqual(oo.issue[0]!.expression, ['Patient.name[0].family']);
      const unindexed = { resourceType: 'Patient', extension: [{ url: 'urn:x', valueString: '\u0000' }] };
      oo = outcomeOf(await fhirFetch(server, 'Patient', { method: 'POST', body: unindexed }), 400);
      assert.match(oo.issue[0]!.expression![0]!, /^Patient\.extension\[0\]\.value/);
      const inBundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: indexed as Patient, request: { method: 'POST', url: 'Patient' } }],
      };
      oo = outcomeOf(await fhirFetch(server, '', { method: 'POST', body: inBundle }), 400);
      assert.match(oo.issue[0]!.diagnostics!, /Bundle entry 0/);
    });

    it('deeply nested extensions are a 400, on create and $validate', async () => {
      const body = nested(5000);
      let oo = outcomeOf(await fhirFetch(server, 'Patient', { method: 'POST', body }), 400);
      assert.match(oo.issue[0]!.diagnostics!, /nested/);
      oo = outcomeOf(await fhirFetch(server, 'Patient/$validate', { method: 'POST', body }), 400);
      assert.match(oo.issue[0]!.diagnostics!, /nested/);
      const ok = await fhirFetch(server, 'Patient', { method: 'POST', body: nested(20) });
      assert.equal(ok.status, 201, JSON.stringify(ok.body).slice(0, 300));
    });

    it('a null transaction entry is a 400 naming it', async () => {
      const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [null] };
      const oo = outcomeOf(await fhirFetch(server, '', { method: 'POST', body: bundle }), 400);
      assert.deepEqual(oo.issue[0]!.expression, ['Bundle.entry[0]']);
    });

    it('Bundle.entry that is not an array is a 400', async () => {
      const bundle = { resourceType: 'Bundle', type: 'batch', entry: { request: { method: 'GET', url: 'Patient' } } };
      const oo = outcomeOf(await fhirFetch(server, '', { method: 'POST', body: bundle }), 400);
      assert.deepEqual(oo.issue[0]!.expression, ['Bundle.entry']);
    });

    it('a batch answers a null or malformed entry with a 400 entry and runs the others', async () => {
      const bundle = {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          null,
          { request: { method: 'GET', url: 'metadata' } },
          { request: { method: 'FETCH', url: 'Patient' } },
          { request: { method: 'GET', url: 42 } },
          { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } },
        ],
      };
      const res = await fhirFetch(server, '', { method: 'POST', body: bundle });
      assert.equal(res.status, 200, JSON.stringify(res.body).slice(0, 500));
      const entries = (res.body as Bundle).entry!;
      assert.deepEqual(
        entries.map((e) => e.response?.status.split(' ')[0]),
        ['400', '200', '400', '400', '201'],
      );
      assert.equal(entries[0]!.response!.outcome!.resourceType, 'OperationOutcome');
      assert.deepEqual((entries[2]!.response!.outcome as OperationOutcome).issue[0]!.expression, [
        'Bundle.entry[2].request.method',
      ]);
    });
  });
}
