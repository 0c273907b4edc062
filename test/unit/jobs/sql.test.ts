import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bind, rowToJob } from '../../../src/jobs/sql.js';
import type { JobRow } from '../../../src/jobs/schema.js';

describe('bind', () => {
  it('numbers PostgreSQL placeholders, expands lists and leaves casts alone', () => {
    const [sql, values] = bind('postgres', 'SELECT 1::bigint WHERE a = :a AND t IN (:ts) AND b = :a', {
      a: 1,
      ts: ['x', 'y'],
    });
    assert.equal(sql, 'SELECT 1::bigint WHERE a = $1 AND t IN ($2, $3) AND b = $4');
    assert.deepEqual(values, [1, 'x', 'y', 1]);
  });

  it('uses ? on SQLite and binds undefined as NULL', () => {
    assert.deepEqual(bind('sqlite', 'a = :a, b = :b', { a: undefined, b: 'v' }), ['a = ?, b = ?', [null, 'v']]);
  });

  it('does not treat text after a colon in a literal as a parameter when it is not a name', () => {
    assert.deepEqual(bind('sqlite', "x = 'lease expired: worker ' || :w", { w: 'A' }), [
      "x = 'lease expired: worker ' || ?",
      ['A'],
    ]);
  });

  it('refuses a parameter without a value and an empty list', () => {
    assert.throws(() => bind('sqlite', 'a = :missing', {}), /:missing has no value/);
    assert.throws(() => bind('sqlite', 't IN (:ts)', { ts: [] }), /empty list/);
  });
});

const row: JobRow = {
  id: '42',
  type: 'labels.extract',
  payload: '{"focus":"DiagnosticReport/1"}',
  status: 'dead',
  priority: 10,
  dedupe_key: 'report-1',
  run_at: '1700000000000',
  attempts: 5,
  max_attempts: 5,
  rerun: 0,
  locked_by: null,
  locked_until: null,
  last_error: 'boom',
  result: null,
  created_at: 1_700_000_000_000,
  updated_at: 1_700_000_001_000,
  started_at: 1_700_000_000_500,
  finished_at: '1700000001000',
};

describe('rowToJob', () => {
  it('maps BIGINT strings (PostgreSQL) and numbers (SQLite) to Dates and drops NULL columns', () => {
    const job = rowToJob(row);
    assert.equal(job.id, '42');
    assert.deepEqual(job.payload, { focus: 'DiagnosticReport/1' });
    assert.equal(job.runAt.getTime(), 1_700_000_000_000);
    assert.equal(job.finishedAt?.getTime(), 1_700_000_001_000);
    assert.equal(job.rerun, false);
    assert.equal(job.dedupeKey, 'report-1');
    assert.equal('lockedBy' in job, false);
    assert.equal('result' in job, false);
  });

  it('rejects an unknown status and a payload that is not JSON', () => {
    assert.throws(() => rowToJob({ ...row, status: 'paused' }), /unknown status "paused"/);
    assert.throws(() => rowToJob({ ...row, payload: '{' }), /job 42: stored payload is not JSON/);
  });
});
