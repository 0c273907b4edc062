// Query plans that must not depend on statistics. A new PostgreSQL database has none until ANALYZE (and none ever
// where autovacuum is off). A conditional create or update looks its target up by `identifier=system|value`; that
// lookup must go to the index holding the value, not read every identifier of the system, as it did while
// search_token also had a (resource_type, code, system) index that the planner costed the same and found smaller.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
import { createLogger } from '../../../src/log.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { postgresDatabase } from '../../support/databases.js';
import { openStore, type StoreFixture } from './helpers.js';

interface PlanNode {
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

const nodes = (plan: PlanNode): PlanNode[] => [plan, ...(plan.Plans ?? []).flatMap(nodes)];

describe('query plans without statistics (postgres)', () => {
  let store: StoreFixture;

  // Enough rows that an index bounded by the type alone is estimated dearer than one bounded by the value; with the
  // (resource_type, code, system) index the estimates tie and the smaller index won.
  before(async () => {
    store = await openStore(postgresDatabase);
    const patients: Patient[] = Array.from({ length: 5000 }, (_, i) => ({
      resourceType: 'Patient',
      identifier: [{ system: 'urn:oid:1.2.3.4', value: `MRN${i}` }],
    }));
    await store.repo.createMany(patients);
  });

  after(async () => store?.close());

  it('a token lookup by system and value uses an index on the value', async () => {
    // The token condition of the search SQL (search-values.ts tokenMatch) as the driving subquery runs it.
    const rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[] = await store.ds.query(
      'EXPLAIN (FORMAT JSON) SELECT x0.resource_id FROM search_token x0 WHERE x0.resource_type = $1 AND ' +
        'x0.code = $2 AND x0.value = $3 AND x0.system = $4',
      ['Patient', 'identifier', 'MRN7', 'urn:oid:1.2.3.4'],
    );
    const scans = nodes(rows[0]!['QUERY PLAN'][0]!.Plan).filter((n) => n['Index Name']);
    assert.equal(scans.length, 1, JSON.stringify(scans));
    assert.match(scans[0]!['Index Cond'] ?? '', /value = /, `${scans[0]!['Index Name']} does not look the value up`);
  });
});

describe('PostgreSQL settings the store depends on', () => {
  it('opening warns exactly when autovacuum or track_counts is off', async () => {
    const lines: { level: string; msg: string; autovacuum?: string }[] = [];
    const logger = createLogger('debug', {}, (l) => lines.push(JSON.parse(l) as (typeof lines)[number]));
    const db = await postgresDatabase();
    const ds = await openDataSource(db.url, { logger });
    try {
      const [settings] = (await ds.query(
        "SELECT current_setting('autovacuum') AS a, current_setting('track_counts') AS t",
      )) as { a: string; t: string }[];
      const warned = lines.filter((l) => l.level === 'warn' && l.msg.includes('autovacuum is off'));
      assert.equal(warned.length, settings!.a === 'on' && settings!.t === 'on' ? 0 : 1, JSON.stringify(lines));
      if (warned.length) assert.equal(warned[0]!.autovacuum, settings!.a);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});
