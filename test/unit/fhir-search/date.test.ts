import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approximateRange,
  DATE_MAX,
  DATE_MIN,
  dateProblem,
  dateRangeMatches,
  formatDateRange,
  numberMatches,
  parseDateRange,
  type DateRange,
} from '../../../src/fhir/search/date.js';
import type { Prefix } from '../../../src/fhir/search/types.js';

const utc = Date.UTC;

test('each precision covers exactly its interval', () => {
  assert.deepEqual(parseDateRange('2024'), { start: utc(2024, 0, 1), end: utc(2025, 0, 1) });
  assert.deepEqual(parseDateRange('2024-02'), { start: utc(2024, 1, 1), end: utc(2024, 2, 1) });
  assert.deepEqual(parseDateRange('2024-12'), { start: utc(2024, 11, 1), end: utc(2025, 0, 1) });
  assert.deepEqual(parseDateRange('2024-02-29'), { start: utc(2024, 1, 29), end: utc(2024, 2, 1) });
  assert.deepEqual(parseDateRange('2024-03-05T10:20Z'), {
    start: utc(2024, 2, 5, 10, 20),
    end: utc(2024, 2, 5, 10, 21),
  });
  assert.deepEqual(parseDateRange('2024-03-05T10:20:30Z'), {
    start: utc(2024, 2, 5, 10, 20, 30),
    end: utc(2024, 2, 5, 10, 20, 31),
  });
  assert.deepEqual(parseDateRange('2024-03-05T10:20:30.5Z'), {
    start: utc(2024, 2, 5, 10, 20, 30, 500),
    end: utc(2024, 2, 5, 10, 20, 30, 600),
  });
  assert.deepEqual(parseDateRange('2024-03-05T10:20:30.123Z'), {
    start: utc(2024, 2, 5, 10, 20, 30, 123),
    end: utc(2024, 2, 5, 10, 20, 30, 124),
  });
});

test('time zones shift the instant; no zone means UTC', () => {
  const t = utc(2024, 2, 5, 8, 0, 0);
  assert.equal(parseDateRange('2024-03-05T10:00:00+02:00')?.start, t);
  assert.equal(parseDateRange('2024-03-05T03:00:00-05:00')?.start, t);
  assert.equal(parseDateRange('2024-03-05T08:00:00')?.start, t);
  assert.equal(parseDateRange('2024-03-05T08:00:00.000000Z')?.end, t + 1);
});

test('years below 100 are not read as 19xx', () => {
  assert.equal(new Date(parseDateRange('0050')?.start ?? 0).getUTCFullYear(), 50);
});

test('invalid dates are rejected', () => {
  for (const bad of [
    '',
    'abc',
    '2024-13',
    '2024-00',
    '2023-02-29',
    '2024-04-31',
    '24-01-01',
    '2024-1-1',
    '2024-01-01T25:00Z',
    '2024-01-01T10:60Z',
    '2024-01-01T10:00:61Z',
    '2024-01-01T10:00+15:00',
    '2024-01-01Z',
    '2024-01-01T',
    '2024-01-01 10:00',
    // search.html#date: the minutes SHALL be present if an hour is present; a zone only follows a time.
    '2024-03-05T10',
    '2024-03-05T10Z',
    '2024-03-05T10+01:00',
    '2024-03-05T1:00',
    '2024-03-05T10:0',
    '2024-03-05T10:00:0Z',
    '2024-03-05+01:00',
    '2024-03-05T10:00+14:30',
  ]) {
    assert.equal(parseDateRange(bad), undefined, bad);
  }
  assert.equal(parseDateRange('2024-03-05T10:00+14:00')?.start, utc(2024, 2, 4, 20));
});

test('dateProblem says what is wrong with an invalid date, and nothing for a valid one', () => {
  assert.equal(dateProblem('2024-03-05T10:20'), undefined);
  assert.match(dateProblem('2024-03-05T10') ?? '', /minutes/);
  assert.match(dateProblem('2024-03-05T10Z') ?? '', /minutes/);
  assert.match(dateProblem('2024-03-05Z') ?? '', /zone needs a time/);
  assert.match(dateProblem('2024-13') ?? '', /expected YYYY/);
});

const day: DateRange = { start: utc(2024, 2, 5), end: utc(2024, 2, 6) };
const targets: Record<string, DateRange> = {
  noon: { start: utc(2024, 2, 5, 12), end: utc(2024, 2, 5, 12, 0, 1) },
  dayBefore: { start: utc(2024, 2, 4), end: utc(2024, 2, 5) },
  dayAfter: { start: utc(2024, 2, 6), end: utc(2024, 2, 7) },
  spanning: { start: utc(2024, 2, 4), end: utc(2024, 2, 7) },
  openFromDay: { start: utc(2024, 2, 5), end: DATE_MAX },
  openUntilDay: { start: DATE_MIN, end: utc(2024, 2, 6) },
};

test('every date prefix against inside, before, after, spanning and open targets', () => {
  const expected: Record<Prefix, string[]> = {
    eq: ['noon'],
    ne: ['dayBefore', 'dayAfter', 'spanning', 'openFromDay', 'openUntilDay'],
    gt: ['dayAfter', 'spanning', 'openFromDay'],
    lt: ['dayBefore', 'spanning', 'openUntilDay'],
    ge: ['noon', 'dayAfter', 'spanning', 'openFromDay'],
    le: ['noon', 'dayBefore', 'spanning', 'openUntilDay'],
    sa: ['dayAfter'],
    eb: ['dayBefore'],
    ap: ['noon', 'dayBefore', 'dayAfter', 'spanning', 'openFromDay', 'openUntilDay'],
  };
  for (const [prefix, names] of Object.entries(expected) as [Prefix, string[]][]) {
    const matched = Object.entries(targets)
      .filter(([, t]) => dateRangeMatches(prefix, day, t, utc(2024, 2, 5)))
      .map(([n]) => n);
    assert.deepEqual(matched, names, prefix);
  }
});

test('ap widens by 10% of the distance to now, at least by its own width', () => {
  const now = utc(2024, 2, 5);
  const tenDaysAgo = { start: utc(2024, 1, 24), end: utc(2024, 1, 25) };
  assert.deepEqual(approximateRange(tenDaysAgo, now), { start: utc(2024, 1, 23), end: utc(2024, 1, 26) });
  const yearAgo = { start: utc(2023, 2, 5), end: utc(2023, 2, 6) };
  const wide = approximateRange(yearAgo, now);
  assert.equal(yearAgo.start - wide.start, Math.round(0.1 * (now - yearAgo.start)));
  assert.ok(dateRangeMatches('ap', yearAgo, { start: utc(2023, 1, 1), end: utc(2023, 1, 2) }, now));
  assert.ok(!dateRangeMatches('ap', yearAgo, { start: utc(2022, 0, 1), end: utc(2022, 0, 2) }, now));
});

test('number prefixes: eq/ne use the precision range, ordered prefixes the value', () => {
  const q = { value: 100, lower: 99.5, upper: 100.5 };
  const cases: [Prefix, number, boolean][] = [
    ['eq', 100.4, true],
    ['eq', 100.5, false],
    ['eq', 99.5, true],
    ['ne', 101, true],
    ['ne', 100.2, false],
    ['gt', 100.1, true],
    ['gt', 100, false],
    ['lt', 99.9, true],
    ['lt', 100, false],
    ['ge', 100, true],
    ['ge', 99.99, false],
    ['le', 100, true],
    ['le', 100.01, false],
    ['sa', 101, true],
    ['eb', 99, true],
  ];
  for (const [prefix, target, want] of cases)
    assert.equal(numberMatches(prefix, q, target), want, `${prefix} ${target}`);
});

test('ranges format back to the shortest date with the same precision', () => {
  for (const text of [
    '2024',
    '2024-02',
    '2024-03-05',
    '2024-03-05T10:20Z',
    '2024-03-05T10:20:30Z',
    '2024-03-05T10:20:30.123Z',
  ]) {
    const r = parseDateRange(text);
    assert.ok(r);
    assert.equal(formatDateRange(r), text);
  }
  assert.equal(formatDateRange({ start: 0, end: 7 }), undefined);
});
