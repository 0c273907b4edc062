import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { claimSql, planClaim } from '../../../src/jobs/claim.js';
import { bind } from '../../../src/jobs/sql.js';

describe('planClaim', () => {
  it('puts unlimited types in one branch and caps limited ones by free slots and local running jobs', () => {
    const plan = planClaim(
      3,
      ['labels', 'inference', 'hl7'],
      { inference: { perProcess: 2, cluster: 4 }, hl7: { perProcess: 5 } },
      new Map([['inference', 1]]),
    );
    assert.deepEqual(plan, {
      slots: 3,
      unlimited: ['labels'],
      limited: [
        { type: 'inference', local: 1, cluster: 4 },
        { type: 'hl7', local: 3 },
      ],
    });
  });

  it('leaves out a type at its per-process limit or with a cluster limit of 0', () => {
    const plan = planClaim(2, ['a', 'b', 'c'], { a: { perProcess: 1 }, b: { cluster: 0 } }, new Map([['a', 1]]));
    assert.deepEqual(plan, { slots: 2, unlimited: ['c'], limited: [] });
  });

  it('plans nothing without free slots or claimable types', () => {
    assert.equal(planClaim(0, ['a'], {}, new Map()), null);
    assert.equal(planClaim(2, ['a'], { a: { perProcess: 1 } }, new Map([['a', 1]])), null);
  });
});

describe('claimSql', () => {
  const plan = { slots: 4, unlimited: ['a', 'b'], limited: [{ type: 'gpu', local: 1, cluster: 1 }] };

  it('locks each branch with SKIP LOCKED on PostgreSQL and counts running leases for the cluster limit', () => {
    const { text, params } = claimSql('postgres', plan);
    assert.equal(text.match(/FOR UPDATE SKIP LOCKED/g)?.length, 2);
    assert.match(text, /id = ANY\(ARRAY\(/);
    assert.match(text, /GREATEST\(0, LEAST\(:local0, :cluster0 - \(SELECT count\(\*\) FROM job r WHERE r.type = :t0/);
    const [sql, values] = bind('postgres', text, { ...params, workerId: 'w', leaseMs: 1000 });
    assert.doesNotMatch(sql, /(?<!:):[a-z]/i, 'every named parameter is bound');
    assert.ok(values.includes('gpu') && values.includes('a') && values.includes('b'));
  });

  it('is a single statement without row locks on SQLite', () => {
    const { text } = claimSql('sqlite', plan);
    assert.doesNotMatch(text, /FOR UPDATE/);
    assert.match(text, /id IN \(SELECT id FROM/);
    assert.match(text, /max\(0, min\(:local0/);
    assert.equal(text.trim().split(';').length, 1);
  });
});
