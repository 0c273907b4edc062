// History paging under concurrent writes, over HTTP on SQLite and PostgreSQL (http://hl7.org/fhir/R4/http.html#history,
// #paging): versions written between two page requests must not shift the pages, so following `next` links from the
// first page returns every version that existed then exactly once, in order, and `previous` returns the same page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

/** `Type/id/_history/v` of each entry, in order. */
const versions = (b: Bundle): string[] =>
  (b.entry ?? []).map((e) => `${e.request?.url ?? ''}/_history/${/W\/"(\d+)"/.exec(e.response?.etag ?? '')?.[1]}`);
const link = (b: Bundle, relation: string): string | undefined => b.link?.find((l) => l.relation === relation)?.url;

for (const { kind, make } of databaseKinds) {
  describe(`history paging under concurrent writes (${kind})`, () => {
    let server: TestServer;
    let written = 0;
    const get = async (pathOrUrl: string): Promise<{ status: number; body: Bundle }> => {
      const path = pathOrUrl.startsWith(server.baseUrl) ? pathOrUrl.slice(server.baseUrl.length) : pathOrUrl;
      const res = await fhirFetch(server, path);
      return { status: res.status, body: res.body as Bundle };
    };
    const page = async (pathOrUrl: string): Promise<Bundle> => {
      const res = await get(pathOrUrl);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body;
    };
    const put = async (resource: FhirResource): Promise<void> => {
      const res = await fhirFetch(server, `${resource.resourceType}/${resource.id}`, { method: 'PUT', body: resource });
      assert.ok(res.status < 300, JSON.stringify(res.body));
    };
    /** A new version of `id` (or a new Organization), so that the type's history grows between two pages. */
    const write = async (id: string): Promise<void> => put({ resourceType: 'Organization', id, name: `w${written++}` });

    before(async () => {
      server = await startTestServer(await make());
      for (let i = 0; i < 7; i++) await write(`o${i}`);
      await put({ resourceType: 'Patient', id: 'p0', gender: 'other' });
      await write('o3');
      const del = await fhirFetch(server, 'Organization/o5', { method: 'DELETE' });
      assert.ok(del.status < 300);
    });
    after(async () => server.stop());

    it('follows next links to the end without a miss or a repeat while versions are written between pages', async () => {
      for (const base of ['Organization/_history', '_history', 'Organization/o3/_history']) {
        const expected = versions(await page(`${base}?_count=100`));
        assert.ok(expected.length >= 3, base);
        let bundle = await page(`${base}?_count=2`);
        const totals = [bundle.total];
        const seen = [...versions(bundle)];
        // Offset paging never ends here (each page adds more versions than it reads): stop past the expected pages.
        for (
          let url = link(bundle, 'next');
          url !== undefined && seen.length <= expected.length;
          url = link(bundle, 'next')
        ) {
          // A new version of a resource on the pages already read, and of one not read yet, and a new resource.
          await write('o3');
          await write('o0');
          await write(`n${written}`);
          bundle = await page(url);
          totals.push(bundle.total);
          seen.push(...versions(bundle));
        }
        assert.deepEqual(seen, expected, base);
        assert.deepEqual(new Set(totals), new Set([expected.length]), `${base}: every page has the first page's total`);
      }
    });

    it('gives back the same page on previous, and the newest versions again from a fresh first page', async () => {
      const first = await page('Organization/_history?_count=3');
      await write('o1');
      const second = await page(link(first, 'next')!);
      await write('o2');
      const back = await page(link(second, 'previous')!);
      assert.deepEqual(versions(back), versions(first));
      assert.equal(link(back, 'previous'), undefined, 'the first page has no previous page');
      assert.deepEqual(versions(await page(link(back, 'next')!)), versions(second));
      const fresh = await page('Organization/_history?_count=3');
      assert.deepEqual(versions(fresh).slice(0, 2).sort(), [
        'Organization/o1/_history/2',
        'Organization/o2/_history/2',
      ]);
    });

    it('keeps _since and _count in the links and rejects a malformed page position with 400', async () => {
      const first = await page('Organization/_history?_since=2000-01-01T00:00:00Z&_count=1');
      const next = new URL(link(first, 'next')!);
      assert.equal(next.searchParams.get('_since'), '2000-01-01T00:00:00Z');
      assert.equal(next.searchParams.get('_count'), '1');
      for (const [name, value] of [...next.searchParams].filter(([k]) => !['_since', '_count'].includes(k))) {
        const res = await get(`Organization/_history?_count=1&${name}=${encodeURIComponent(`x${value}`)}`);
        assert.equal(res.status, 400, `${name}=x${value}`);
        const outcome = res.body as unknown as OperationOutcome;
        assert.ok(outcome.issue[0]?.expression?.includes(name), JSON.stringify(outcome));
      }
    });
  });
}
