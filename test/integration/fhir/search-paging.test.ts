// Search paging by _lastUpdated under concurrent writes, over HTTP on SQLite and PostgreSQL (search.html#sort,
// http.html#paging): a client syncing with `_sort=_lastUpdated` must not miss a resource that did not change because
// another one was written between two pages, nor see an unchanged one twice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';
import { databaseKinds } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';

const link = (b: Bundle, relation: string): string | undefined => b.link?.find((l) => l.relation === relation)?.url;
const matches = (b: Bundle): string[] =>
  (b.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id ?? '');

for (const { kind, make } of databaseKinds) {
  describe(`search paging by _lastUpdated under concurrent writes (${kind})`, () => {
    let server: TestServer;
    let written = 0;
    const page = async (pathOrUrl: string): Promise<Bundle> => {
      const path = pathOrUrl.startsWith(server.baseUrl) ? pathOrUrl.slice(server.baseUrl.length) : pathOrUrl;
      const res = await fhirFetch(server, path);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body as Bundle;
    };
    const write = async (id: string): Promise<void> => {
      const body: FhirResource = { resourceType: 'Device', id, status: 'active', lotNumber: `w${written++}` };
      const res = await fhirFetch(server, `Device/${id}`, { method: 'PUT', body });
      assert.ok(res.status < 300, JSON.stringify(res.body));
    };

    before(async () => {
      server = await startTestServer(await make());
      for (let i = 0; i < 8; i++) await write(`d${i}`);
    });
    after(async () => server.stop());

    /** Follows next links from `first`, writing `between` before each page; every id read, in order. */
    const follow = async (first: string, between: (n: number) => Promise<void>): Promise<string[]> => {
      let bundle = await page(first);
      const seen = matches(bundle);
      for (let n = 0, url = link(bundle, 'next'); url !== undefined && n < 20; n++, url = link(bundle, 'next')) {
        await between(n);
        bundle = await page(url);
        seen.push(...matches(bundle));
      }
      return seen;
    };

    it('oldest first: an update moves only the updated resource to the end; none is skipped or repeated', async () => {
      const before = matches(await page('Device?_sort=_lastUpdated&_count=100'));
      // Before each page, update the oldest resource already read: it comes again, as its new version, at the end.
      const updated = new Set<string>();
      const seen = await follow('Device?_sort=_lastUpdated&_count=3', async (n) => {
        updated.add(before[n]!);
        await write(before[n]!);
      });
      for (const id of before) {
        assert.equal(seen.filter((s) => s === id).length, updated.has(id) ? 2 : 1, `${id} in ${seen.join(',')}`);
      }
    });

    it('newest first: resources written between pages do not push read ones onto the next page', async () => {
      const before = matches(await page('Device?_sort=-_lastUpdated&_count=100'));
      const seen = await follow('Device?_sort=-_lastUpdated&_count=3', async () => write(`new${written}`));
      assert.deepEqual(seen, before);
    });

    it('pages back with previous to the same page', async () => {
      const first = await page('Device?_sort=-_lastUpdated&_count=3');
      await write('d1');
      const second = await page(link(first, 'next')!);
      const back = await page(link(second, 'previous')!);
      assert.deepEqual(matches(back), matches(first));
      assert.equal(link(first, 'previous'), undefined, 'the first page has no previous page');
      assert.match(link(second, 'next') ?? '', /[?&]_after=\d{4}-[^&]+%7Cd?[\w-]+(&|$)/);
    });

    it('rejects a malformed position, or one on a sort not led by _lastUpdated, with 400 naming it', async () => {
      for (const [query, name] of [
        ['_sort=_lastUpdated&_after=yesterday%7Cd1', '_after'],
        ['_sort=_lastUpdated&_before=2024-01-01T00:00:00Z%7C', '_before'],
        ['_sort=status&_after=2024-01-01T00:00:00Z%7Cd1', '_after'],
        ['_after=2024-01-01T00:00:00Z%7Cd1', '_after'],
      ] as const) {
        const res = await fhirFetch(server, `Device?${query}`);
        assert.equal(res.status, 400, query);
        assert.deepEqual((res.body as OperationOutcome).issue[0]?.expression, [name], query);
      }
      // Other sorts page by offset, as before.
      const byStatus = await page('Device?_sort=status&_count=2');
      assert.match(link(byStatus, 'next') ?? '', /_offset=2/);
    });
  });
}
