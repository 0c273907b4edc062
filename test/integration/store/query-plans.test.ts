// Query plans that must not depend on statistics. A new PostgreSQL database has none until ANALYZE (and none ever
// where autovacuum is off). A conditional create or update looks its target up by `identifier=system|value`; that
// lookup must go to the index holding the value, not read every identifier of the system, as it did while
// search_token also had a (resource_type, code, system) index that the planner costed the same and found smaller.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
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
