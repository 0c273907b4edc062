// SQLite group commit: concurrent transactions share one COMMIT, each keeps its own atomicity, and every caller is
// answered only after the COMMIT.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
import type { SearchRequest } from '../../../src/fhir/search/types.js';
import { sqliteDatabase } from '../../support/databases.js';
import { openStore, type StoreFixture } from './helpers.js';

const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }] });

const allPatients: SearchRequest = {
  resourceType: 'Patient',
  filters: [],
  sort: [],
  count: 1000,
  offset: 0,
  total: 'none',
  include: [],
  revinclude: [],
};

/** Counts the statements the DataSource's query runner sends, by their first two words; logs COMMITs in `events`. */
function countStatements(s: StoreFixture, events: string[] = []): { counts: Map<string, number>; restore: () => void } {
  const counts = new Map<string, number>();
  const runner = s.ds.createQueryRunner();
  const proto = Object.getPrototypeOf(runner) as { query: (...args: unknown[]) => Promise<unknown> };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const key = String(args[0]).trim().split(/\s+/).slice(0, 2).join(' ').toUpperCase();
    counts.set(key, (counts.get(key) ?? 0) + 1);
    if (key === 'COMMIT') events.push('COMMIT');
    return original.apply(this, args);
  };
  void runner.release();
  return { counts, restore: () => (proto.query = original) };
}

describe('SQLite group commit', () => {
  let s: StoreFixture;
  before(async () => {
    s = await openStore(async () => sqliteDatabase());
  });
  after(async () => s.close());

  it('concurrent transactions share COMMITs; a failing one rolls back only its own writes', async () => {
    const events: string[] = [];
    const spy = countStatements(s, events);
    const n = 40;
    const settled = await Promise.allSettled(
      Array.from({ length: n }, (_, i) =>
        s.repo
          .transaction(async (tx) => {
            await tx.create(patient(`G${i}a`));
            if (i % 3 === 0) throw new Error(`unit ${i} fails after writing`);
            await tx.create(patient(`G${i}b`));
            return i;
          })
          .finally(() => events.push('answered')),
      ),
    );
    spy.restore();
    settled.forEach((r, i) => {
      if (i % 3 === 0)
        assert.equal(r.status === 'rejected' && (r.reason as Error).message, `unit ${i} fails after writing`);
      else assert.deepEqual(r, { status: 'fulfilled', value: i });
    });
    const stored = await s.repo.search<Patient>(allPatients);
    const families = new Set(stored.resources.map((p) => p.name?.[0]?.family));
    for (let i = 0; i < n; i++) {
      assert.equal(families.has(`G${i}a`), i % 3 !== 0, `G${i}a`);
      assert.equal(families.has(`G${i}b`), i % 3 !== 0, `G${i}b`);
    }
    const commits = spy.counts.get('COMMIT') ?? 0;
    assert.ok(commits >= 1 && commits < n / 2, `${commits} COMMITs for ${n} transactions`);
    assert.equal(spy.counts.get('ROLLBACK TO'), Math.ceil(n / 3));
    // Nobody is answered before the first COMMIT, and the last COMMIT comes before the last answers.
    assert.equal(events[0], 'COMMIT');
    assert.equal(events.at(-1), 'answered');
  });

  it('a lone transaction runs without savepoints and its failure rolls it back', async () => {
    const spy = countStatements(s);
    await assert.rejects(
      s.repo.transaction(async (tx) => {
        await tx.create(patient('Lone'));
        throw new Error('lone fails');
      }),
      /lone fails/,
    );
    spy.restore();
    assert.equal(spy.counts.get('SAVEPOINT GROUP_UNIT'), undefined);
    const stored = await s.repo.search<Patient>(allPatients);
    assert.ok(!stored.resources.some((p) => p.name?.[0]?.family === 'Lone'));
  });
});
