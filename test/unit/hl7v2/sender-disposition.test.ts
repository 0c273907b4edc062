import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { outboundDisposition, type SendOutcome } from '../../../src/hl7v2/sender.js';

describe('outbound disposition', () => {
  it('is done on AA, dead-letter on AE, retry on AR, timeout, connection errors and an abort', () => {
    const cases: [SendOutcome, string][] = [
      ['AA', 'done'],
      ['AE', 'dead-letter'],
      ['AR', 'retry'],
      ['timeout', 'retry'],
      ['error', 'retry'],
      ['aborted', 'retry'],
    ];
    for (const [outcome, want] of cases) assert.equal(outboundDisposition({ outcome, controlId: 'X' }), want, outcome);
  });
});
