// The SQL shape of searches: one driving IN subquery, the rest correlated EXISTS, values as parameters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getSearchParam } from '../../../src/fhir/search/registry.js';
import type { SearchFilter, SearchRequest } from '../../../src/fhir/search/types.js';
import { searchOrder, searchWhere } from '../../../src/store/search-sql.js';

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
  it('the reference filter drives (IN) and the token filter is a correlated EXISTS, whatever their order', () => {
    const w = searchWhere(req([code, patient]), 0);
    assert.match(w.sql, /r\.id IN \(SELECT x1\.resource_id FROM search_reference x1/);
    assert.match(
      w.sql,
      /EXISTS \(SELECT 1 FROM search_token x0 WHERE x0\.resource_type = \? AND x0\.resource_id = r\.id/,
    );
    assert.deepEqual(w.params, [
      'Observation',
      'Observation',
      'code',
      '1234-5',
      'Observation',
      'patient',
      'p1',
      'Patient',
    ]);
    assert.equal(w.sql.split('?').length - 1, w.params.length);
  });

  it('a negated filter never drives: :not alone is NOT EXISTS', () => {
    const w = searchWhere(req([{ ...code, modifier: 'not' }]), 0);
    assert.match(w.sql, /NOT EXISTS \(SELECT 1 FROM search_token/);
    assert.doesNotMatch(w.sql, / IN \(SELECT/);
  });

  it('sorting adds id as the final tiebreaker and stops at an _id key', () => {
    const date = { param: def('date'), descending: true };
    assert.match(searchOrder([date]).sql, /MAX\(s\.end_ms\).* DESC NULLS LAST, r\.id ASC$/);
    assert.equal(searchOrder([{ param: def('_id'), descending: true }, date]).sql, 'r.id DESC');
  });
});
