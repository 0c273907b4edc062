// Pure helpers of the store: SQL fragments and placeholders, LIKE escaping, prefix ranges, URL parsing, error
// classification and canonical JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationOutcomeError } from '../../../src/fhir/outcomes.js';
import { parseDatabaseUrl } from '../../../src/store/datasource.js';
import { isUnavailableError, isUniqueViolation, mapDbError } from '../../../src/store/db-errors.js';
import { indexValues } from '../../../src/store/index-writer.js';
import { normalizeString } from '../../../src/store/normalize.js';
import { canonicalJson, decodeContent } from '../../../src/store/rows.js';
import {
  and,
  clampInstant,
  escapeLike,
  MAX_INSTANT,
  or,
  prefixUpperBound,
  raw,
  render,
  sql,
} from '../../../src/store/sql.js';

describe('SQL fragments', () => {
  it('keeps parameters in textual order through nesting and numbers them for PostgreSQL', () => {
    const inner = sql`b = ${2} AND c = ${3}`;
    const frag = sql`SELECT 1 WHERE a = ${1} AND (${inner}) AND d = ${'x'}`;
    assert.deepEqual(render(frag, 'sqlite'), ['SELECT 1 WHERE a = ? AND (b = ? AND c = ?) AND d = ?', [1, 2, 3, 'x']]);
    assert.deepEqual(render(frag, 'postgres'), [
      'SELECT 1 WHERE a = $1 AND (b = $2 AND c = $3) AND d = $4',
      [1, 2, 3, 'x'],
    ]);
  });

  it('and/or of nothing are true/false, of one are that one, of several are parenthesised', () => {
    assert.equal(and([]).sql, '1 = 1');
    assert.equal(or([]).sql, '1 = 0');
    assert.equal(or([raw('a')]).sql, 'a');
    assert.deepEqual(or([sql`a = ${1}`, sql`b = ${2}`]), { sql: '(a = ?) OR (b = ?)', params: [1, 2] });
  });

  it('a user value never becomes SQL text', () => {
    const evil = "x'; DROP TABLE resource; --";
    const [text, params] = render(sql`a = ${evil}`, 'postgres');
    assert.equal(text, 'a = $1');
    assert.deepEqual(params, [evil]);
  });

  it('escapes LIKE wildcards and the escape character', () => {
    assert.equal(escapeLike('50%_a\\b'), '50\\%\\_a\\\\b');
  });

  it('prefix upper bound is the next string after every extension of the prefix', () => {
    assert.equal(prefixUpperBound('abc'), 'abd');
    assert.equal(prefixUpperBound('zo'), 'zp');
    assert.ok('zoe' < prefixUpperBound('zo') && 'zo\u{10FFF0}' < prefixUpperBound('zo'));
    assert.equal(prefixUpperBound(''), '\u{10FFFF}');
  });

  it('clamps instants to the BIGINT-safe range and rounds them', () => {
    assert.equal(clampInstant(Infinity), MAX_INSTANT);
    assert.equal(clampInstant(-Infinity), -MAX_INSTANT);
    assert.equal(clampInstant(1.6), 2);
  });
});

describe('DATABASE_URL', () => {
  it('parses sqlite paths and postgres URLs', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite:data/x.sqlite'), { dialect: 'sqlite', location: 'data/x.sqlite' });
    assert.deepEqual(parseDatabaseUrl('sqlite:///tmp/x.sqlite'), { dialect: 'sqlite', location: '/tmp/x.sqlite' });
    assert.equal(parseDatabaseUrl('postgresql://u@h:5432/db').dialect, 'postgres');
  });

  it('rejects other schemes and an empty sqlite path with a clear message', () => {
    assert.throws(() => parseDatabaseUrl('mysql://h/db'), /must start with sqlite: or postgres:\/\//);
    assert.throws(() => parseDatabaseUrl('sqlite:'), /needs a file path/);
  });
});

describe('database error mapping', () => {
  it('connection failures (refused, terminated, SQLSTATE 08/57P01, busy) are unavailable', () => {
    assert.ok(isUnavailableError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })));
    assert.ok(isUnavailableError(new Error('Connection terminated unexpectedly')));
    assert.ok(isUnavailableError({ driverError: { code: '57P01', message: 'terminating connection' } }));
    assert.ok(isUnavailableError({ code: '08006', message: 'x' }));
    assert.ok(isUnavailableError({ code: 'SQLITE_BUSY', message: 'database is locked' }));
    assert.ok(!isUnavailableError(new Error('syntax error at or near "x"')));
  });

  it('unique violations and deadlocks become 409, unavailability 503, others pass through', () => {
    assert.ok(isUniqueViolation({ driverError: { code: '23505' } }));
    assert.ok(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_PRIMARYKEY' }));
    const mapped = mapDbError(Object.assign(new Error('x'), { code: 'ECONNRESET' }));
    assert.ok(mapped instanceof OperationOutcomeError && mapped.status === 503);
    const dup = mapDbError({ code: '23505', message: 'duplicate key' });
    assert.ok(dup instanceof OperationOutcomeError && dup.status === 409);
    const deadlock = mapDbError({ driverError: { code: '40P01', message: 'deadlock detected' } });
    assert.ok(deadlock instanceof OperationOutcomeError && deadlock.status === 409);
    const other = new Error('boom');
    assert.equal(mapDbError(other), other);
  });
});

describe('rows and index values', () => {
  it('canonical JSON ignores key order but not array order', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 2, c: 3 } }), canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    assert.notEqual(canonicalJson({ a: [1, 2] }), canonicalJson({ a: [2, 1] }));
  });

  it('decoded content has resourceType, id and meta first whatever the stored key order', () => {
    const r = decodeContent('{"name":[],"meta":{"versionId":"1"},"id":"x","resourceType":"Patient"}');
    assert.deepEqual(Object.keys(r), ['resourceType', 'id', 'meta', 'name']);
  });

  it('normalises strings: case, accents and whitespace', () => {
    assert.equal(normalizeString('  ZOË   Ann\tMarie '), 'zoe ann marie');
  });

  it('index values drop duplicates, _id/_lastUpdated rows and non-finite numbers, and clamp open dates', () => {
    const v = indexValues({
      string: [
        { code: 'family', value: 'zoë', exact: 'Zoë' },
        { code: 'family', value: 'zoë', exact: 'Zoë' },
      ],
      token: [{ code: '_id', system: null, value: 'x' }],
      reference: [],
      date: [{ code: 'date', start: -Infinity, end: Infinity }],
      number: [{ code: 'n', value: NaN }],
      quantity: [],
      uri: [],
      composite: [
        {
          code: 'c',
          parts: [
            { type: 'token', system: 's', value: 'v' },
            { type: 'date', start: 1, end: 2 },
          ],
        },
      ],
    });
    assert.deepEqual(v.string, [['family', 'zoe', 'Zoë']]);
    assert.deepEqual(v.token, []);
    assert.deepEqual(v.number, []);
    assert.deepEqual(v.date, [['date', -MAX_INSTANT, MAX_INSTANT]]);
    assert.deepEqual(v.composite, [['c', 's', 'v', null, null, null, null, null, null, 1, 2]]);
  });
});
