// Migrations 4 and 5 on both databases: index rows written the old way (instants one second wide, DocumentReference
// relationship composites missing, references to contained resources missing) are recomputed; rows the indexer
// writes the same way stay as they are.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ReindexInstantsRelationship1764180000000 } from '../../../src/store/migrations/1764180000000-reindex-instants-relationship.js';
import { ReindexContainedReferences1764190000000 } from '../../../src/store/migrations/1764190000000-reindex-contained-references.js';
import { databaseKinds } from '../../support/databases.js';
import { openStore, type StoreFixture } from './helpers.js';

const T = Date.parse('2013-02-01T10:00:00Z');

for (const { kind, make } of databaseKinds) {
  describe(`reindex migration (${kind})`, () => {
    let s: StoreFixture;
    const query = async <R>(text: string): Promise<R[]> => (await s.ds.query(text)) as R[];
    const widths = async (type: string): Promise<number[]> =>
      (
        await query<{ w: unknown }>(
          `SELECT end_ms - start_ms AS w FROM search_date WHERE resource_type = '${type}' AND code <> '_lastUpdated'`,
        )
      ).map((r) => Number(r.w));

    before(async () => {
      s = await openStore(make);
      await s.repo.update({
        resourceType: 'Provenance',
        id: 'pv',
        target: [{ reference: 'Observation/o1' }],
        recorded: '2013-02-01T10:00:00Z',
        agent: [{ who: { display: 'x' } }],
      });
      await s.repo.update({
        resourceType: 'Observation',
        id: 'o1',
        status: 'final',
        code: { text: 'x' },
        effectiveDateTime: '2013-02-01T10:00:00Z',
      });
      await s.repo.update({
        resourceType: 'DocumentReference',
        id: 'dr1',
        status: 'current',
        content: [{ attachment: { url: 'http://example.org/doc' } }],
        relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/dr0' } }],
      });
      // What the indexer wrote before: the instant one second wide, no relationship row.
      await query(`UPDATE search_date SET end_ms = start_ms + 1000 WHERE resource_type = 'Provenance'`);
      await query(`DELETE FROM search_composite WHERE resource_type = 'DocumentReference'`);
    });
    after(async () => s.close());

    it('narrows instants to a point, keeps second-precision dateTimes and adds relationship composites', async () => {
      assert.deepEqual(await widths('Provenance'), [1000]);
      const runner = s.ds.createQueryRunner();
      try {
        await new ReindexInstantsRelationship1764180000000().up(runner);
      } finally {
        await runner.release();
      }
      assert.deepEqual(await widths('Provenance'), [1]);
      assert.deepEqual(await widths('Observation'), [1000]);
      const start = await query<{ start_ms: unknown }>(
        `SELECT start_ms FROM search_date WHERE resource_type = 'Provenance'`,
      );
      assert.equal(Number(start[0]?.start_ms), T);
      const composite = await query<{ code: string; p1_value: string; p2_value: string }>(
        `SELECT code, p1_value, p2_value FROM search_composite WHERE resource_type = 'DocumentReference'`,
      );
      assert.deepEqual(
        composite.map((r) => [r.code, r.p1_value, r.p2_value]),
        [['relationship', 'DocumentReference/dr0', 'replaces']],
      );
    });

    it('adds the index rows of references to contained resources', async () => {
      await s.repo.update({
        resourceType: 'Observation',
        id: 'o2',
        status: 'final',
        code: { text: 'x' },
        contained: [{ resourceType: 'Patient', id: 'pt' }],
        subject: { reference: '#pt' },
      });
      const rows = async (): Promise<string[]> =>
        (
          await query<{ code: string; target_type: string; url: string }>(
            `SELECT code, target_type, url FROM search_reference WHERE resource_type = 'Observation'
             AND resource_id = 'o2' ORDER BY code`,
          )
        ).map((r) => `${r.code} ${r.target_type} ${r.url}`);
      const written = await rows();
      assert.ok(written.includes('subject Patient #pt'), written.join('; '));
      // What the indexer wrote before: no rows for `#` references.
      await query(`DELETE FROM search_reference WHERE resource_type = 'Observation' AND resource_id = 'o2'`);
      const runner = s.ds.createQueryRunner();
      try {
        await new ReindexContainedReferences1764190000000().up(runner);
      } finally {
        await runner.release();
      }
      assert.deepEqual(await rows(), written);
    });
  });
}
