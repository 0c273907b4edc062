// The SQL shape of searches: one driving IN subquery, the rest correlated EXISTS, values as parameters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getSearchParam } from '../../../src/fhir/search/registry.js';
import type { SearchFilter, SearchRequest } from '../../../src/fhir/search/types.js';
import { searchOrder, searchQuery } from '../../../src/store/search-sql.js';

const def = (code: string) => {
  const d = getSearchParam('Observation', code);
  assert.ok(d);
  return d;
};
const req = (filters: SearchFilter[]): SearchRequest => ({
  resourceType: 'Observation',
  filters,
  sort: [],
  count: 10,
  offset: 0,
  total: 'none',
  include: [],
  revinclude: [],
});
const code: SearchFilter = { param: def('code'), values: [{ kind: 'token', code: '1234-5' }] };
const patient: SearchFilter = {
  param: def('patient'),
  values: [{ kind: 'reference', resourceType: 'Patient', id: 'p1' }],
};

describe('search SQL', () => {
  it('the reference filter drives (joined ids) with the token filter nested as EXISTS, whatever their order', () => {
    const { from, where } = searchQuery(req([code, patient]), 0);
    assert.match(from.sql, /^resource r JOIN \(SELECT DISTINCT x0\.resource_id FROM search_reference x0 WHERE/);
    assert.match(
      from.sql,
      /EXISTS \(SELECT 1 FROM search_token x1 WHERE x1\.resource_type = \? AND x1\.resource_id = x0\.resource_id/,
    );
    assert.match(from.sql, /\) d ON r\.id = d\.resource_id$/);
    assert.deepEqual(from.params, ['Observation', 'patient', 'p1', 'Patient', 'Observation', 'code', '1234-5']);
    assert.equal(from.sql.split('?').length - 1, from.params.length);
    assert.deepEqual(where.params, ['Observation']);
  });

  it('with an _id filter nothing drives: the other filters are EXISTS on the resource row', () => {
    const ids: SearchFilter = { param: def('_id'), values: [{ kind: 'token', code: 'a' }] };
    const { from, where } = searchQuery(req([patient, ids]), 0);
    assert.equal(from.sql, 'resource r');
    assert.match(where.sql, /r\.id IN \(\?\)/);
    assert.match(
      where.sql,
      /EXISTS \(SELECT 1 FROM search_reference x0 WHERE x0\.resource_type = \? AND x0\.resource_id = r\.id/,
    );
  });

  it('a token driver stays an IN condition (the primary key walk suits filters matching many rows)', () => {
    const status: SearchFilter = { param: def('status'), values: [{ kind: 'token', code: 'final' }] };
    const { from, where } = searchQuery(req([status, code]), 0);
    assert.equal(from.sql, 'resource r');
    assert.match(
      where.sql,
      /r\.id IN \(SELECT x0\.resource_id FROM search_token x0 WHERE .*EXISTS \(SELECT 1 FROM search_token x1/,
    );
  });

  it('a negated filter never drives: :not alone is NOT EXISTS', () => {
    const { from, where } = searchQuery(req([{ ...code, modifier: 'not' }]), 0);
    assert.equal(from.sql, 'resource r');
    assert.match(where.sql, /NOT EXISTS \(SELECT 1 FROM search_token/);
  });

  it('sorting adds id as the final tiebreaker and stops at an _id key', () => {
    const date = { param: def('date'), descending: true };
    assert.match(searchOrder([date]).sql, /MAX\(s\.end_ms\).* DESC NULLS LAST, r\.id ASC$/);
    assert.equal(searchOrder([{ param: def('_id'), descending: true }, date]).sql, 'r.id DESC');
  });
});
