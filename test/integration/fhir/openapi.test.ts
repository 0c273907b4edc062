// openapi.yaml checked against the running app: every documented path and method answers with a documented status
// and content type, and every documented FHIR interaction is really routed (no 404 for the path shape itself).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { Patient } from 'fhir/r4.js';
import { sqliteDatabase } from '../../support/databases.js';
import { freePort } from '../../support/ports.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

interface Operation {
  responses: Record<string, { content?: Record<string, unknown>; $ref?: string }>;
  requestBody?: unknown;
}
type PathItem = Record<string, Operation | unknown>;
const spec = parse(readFileSync('openapi.yaml', 'utf8')) as {
  paths: Record<string, PathItem>;
  components: { responses: Record<string, { content?: Record<string, unknown> }> };
};
const METHODS = ['get', 'post', 'put', 'delete'];

function bodyFor(path: string, method: string, patient: Patient): { body?: string; contentType?: string } {
  if (path === '/fhir') return { body: JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [] }) };
  if (path.endsWith('/_search')) return { body: 'gender=female', contentType: 'application/x-www-form-urlencoded' };
  if (method === 'post' || method === 'put') return { body: JSON.stringify({ ...patient, meta: undefined }) };
  return {};
}

describe('openapi.yaml matches the running app', () => {
  let server: TestServer;
  let patient: Patient;
  before(async () => {
    // With the MLLP listener on: the HL7 admin API exists only then.
    server = await startTestServer(sqliteDatabase(), { MLLP_PORT: String(await freePort()) });
    patient = (
      await fhirFetch(server, 'Patient', {
        method: 'POST',
        body: { resourceType: 'Patient', gender: 'female', identifier: [{ system: 'urn:oa', value: '1' }] },
      })
    ).body as Patient;
  });
  after(async () => server.stop());

  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS.filter((m) => m in item)) {
      it(`${method.toUpperCase()} ${path} answers a documented status and content type`, async () => {
        const op = item[method] as Operation;
        let url = path.replace('{type}', 'Patient').replace('{vid}', '1');
        // Each run deletes nothing it needs later: instance DELETE works on a fresh resource.
        let id = patient.id!;
        if (method === 'delete' && path.includes('{id}')) {
          id = (
            (await fhirFetch(server, 'Patient', { method: 'POST', body: { resourceType: 'Patient' } })).body as Patient
          ).id!;
        }
        url = url.replace('{id}', id);
        if (method === 'put' && path === '/fhir/{type}') url += '?identifier=urn:oa|1';
        if (method === 'delete' && path === '/fhir/{type}') url += '?identifier=urn:oa|none';
        const { body, contentType } = bodyFor(path, method, { ...patient, id });
        const base = server.baseUrl.replace(/\/fhir$/, '');
        const res = await fetch(`${base}${url}`, {
          method: method.toUpperCase(),
          headers: { 'content-type': contentType ?? 'application/fhir+json' },
          body,
        });
        const status = String(res.status);
        assert.ok(status in op.responses, `${status} not documented for ${method} ${path}: ${await res.text()}`);
        const documented = op.responses[status]!;
        const content = documented.$ref
          ? spec.components.responses[documented.$ref.split('/').pop()!]?.content
          : documented.content;
        if (content) {
          const type = res.headers.get('content-type')?.split(';')[0] ?? '';
          assert.ok(type in content, `content type ${type} not documented for ${method} ${path} ${status}`);
        }
      });
    }
  }
});
