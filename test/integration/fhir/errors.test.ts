// Bad input over HTTP: every error is an OperationOutcome with the right status and no stack trace.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcome, Patient } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

function assertOutcome(body: unknown): OperationOutcome {
  const oo = body as OperationOutcome;
  assert.equal(oo.resourceType, 'OperationOutcome', JSON.stringify(body));
  assert.ok(oo.issue.length > 0);
  assert.doesNotMatch(JSON.stringify(oo), /at .*\.(ts|js):\d+/, 'no stack trace leaves the server');
  return oo;
}

for (const { kind, make } of databaseKinds) {
  describe(`FHIR bad input (${kind})`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(await make(), { MAX_BODY_BYTES: '65536' });
    });
    after(async () => server.stop());

    const cases: {
      name: string;
      path: string;
      method?: string;
      body?: unknown;
      headers?: Record<string, string>;
      status: number;
      match?: RegExp;
    }[] = [
      {
        name: 'malformed JSON',
        path: 'Patient',
        method: 'POST',
        body: '{"resourceType": "Patient",',
        status: 400,
        match: /Malformed JSON/,
      },
      {
        name: 'resourceType not matching the URL',
        path: 'Patient',
        method: 'POST',
        body: { resourceType: 'Observation' },
        status: 400,
        match: /does not match/,
      },
      {
        name: 'id mismatch on PUT',
        path: 'Patient/a',
        method: 'PUT',
        body: { resourceType: 'Patient', id: 'b' },
        status: 400,
        match: /does not match/,
      },
      { name: 'unknown resource type', path: 'Spaceship/1', status: 404 },
      { name: 'unknown id', path: 'Patient/nope', status: 404 },
      { name: 'invalid id syntax', path: 'Patient/bad$id!', status: 400 },
      { name: 'bad date value', path: 'Observation?date=yesterday', status: 400 },
      { name: 'bad date prefix', path: 'Observation?date=xx2020-01-01', status: 400 },
      {
        name: 'invalid element',
        path: 'Patient',
        method: 'POST',
        body: { resourceType: 'Patient', birthDate: '2020-13-45' },
        status: 400,
        match: /birthDate/,
      },
      {
        name: 'a conditional update without search criteria (it would match every Patient)',
        path: 'Patient',
        method: 'PUT',
        body: { resourceType: 'Patient', gender: 'unknown' },
        status: 400,
        match: /needs search criteria/,
      },
      {
        name: 'a conditional update whose only parameter is _sort',
        path: 'Patient?_sort=name',
        method: 'PUT',
        body: { resourceType: 'Patient', gender: 'unknown' },
        status: 400,
      },
      {
        name: 'a conditional create without criteria',
        path: 'Patient',
        method: 'POST',
        headers: { 'if-none-exist': '_count=1' },
        body: { resourceType: 'Patient', gender: 'unknown' },
        status: 400,
      },
      {
        name: 'a transaction POST entry without a resource',
        path: '',
        method: 'POST',
        body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' } }] },
        status: 400,
        match: /a POST needs a resource/,
      },
      {
        name: 'a code outside its required value set',
        path: 'Observation',
        method: 'POST',
        body: { resourceType: 'Observation', status: 'bogus', code: { text: 'x' } },
        status: 400,
        match: /"expression":\["Observation.status"\]/,
      },
      {
        name: 'unknown element',
        path: 'Patient',
        method: 'POST',
        body: { resourceType: 'Patient', colour: 'blue' },
        status: 400,
        match: /colour/,
      },
      {
        name: 'XML body',
        path: 'Patient',
        method: 'POST',
        body: '<Patient xmlns="http://hl7.org/fhir"/>',
        headers: { 'content-type': 'application/fhir+xml' },
        status: 415,
      },
      { name: 'XML accepted only', path: 'metadata', headers: { accept: 'application/fhir+xml' }, status: 406 },
      { name: '_format=xml', path: 'metadata?_format=xml', status: 406 },
      {
        name: 'oversized body',
        path: 'Patient',
        method: 'POST',
        body: { resourceType: 'Patient', text: { status: 'generated', div: `<div>${'x'.repeat(70000)}</div>` } },
        status: 413,
      },
      {
        name: 'strict handling of an unknown parameter',
        path: 'Patient?shoe-size=42',
        headers: { prefer: 'handling=strict' },
        status: 400,
        match: /shoe-size/,
      },
      { name: 'method not allowed', path: 'metadata', method: 'DELETE', status: 405 },
      {
        name: 'a malformed percent-escape in the path',
        path: 'Patient/%E0%A4%A',
        status: 400,
        match: /percent-encoding/,
      },
    ];
    for (const c of cases) {
      it(`answers ${c.status} with an OperationOutcome for ${c.name}`, async () => {
        const res = await fhirFetch(server, c.path, { method: c.method, body: c.body, headers: c.headers });
        assert.equal(res.status, c.status, JSON.stringify(res.body));
        const oo = assertOutcome(res.body);
        if (c.match) assert.match(JSON.stringify(oo), c.match);
      });
    }

    it('gives 409 or 412 for a stale version and keeps the newer one', async () => {
      const created = (
        await fhirFetch(server, 'Patient', { method: 'POST', body: { resourceType: 'Patient', gender: 'male' } })
      ).body as Patient;
      await fhirFetch(server, `Patient/${created.id}`, { method: 'PUT', body: { ...created, gender: 'female' } });
      const stale = await fhirFetch(server, `Patient/${created.id}`, {
        method: 'PUT',
        body: created,
        headers: { 'if-match': 'W/"1"' },
      });
      assert.equal(stale.status, 412);
      assertOutcome(stale.body);
      const read = (await fhirFetch(server, `Patient/${created.id}`)).body as Patient;
      assert.equal(read.gender, 'female');
    });

    it('ignores an unknown search parameter leniently with a warning entry', async () => {
      const res = await fhirFetch(server, 'Patient?shoe-size=42');
      assert.equal(res.status, 200);
      assert.match(JSON.stringify(res.body), /shoe-size/);
    });

    it('answers health and readiness', async () => {
      const base = server.baseUrl.replace(/\/fhir$/, '');
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const ready = await fetch(`${base}/readyz`);
      assert.equal(ready.status, 200);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      assert.match(metrics, /http_requests_total/);
    });
  });
}
