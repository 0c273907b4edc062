// Retry-After (RFC 9110 section 10.2.3) as the DICOMweb client reads it: delay-seconds or an HTTP-date.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryAfterMs } from '../../../../src/imaging/dicomweb/index.js';

test('Retry-After is read as seconds or an HTTP-date, a past date as now, anything else as absent', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(retryAfterMs('120', now), 120_000);
  assert.equal(retryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now), 0);
  assert.equal(retryAfterMs('soon', now), undefined);
  assert.equal(retryAfterMs(null, now), undefined);
});
