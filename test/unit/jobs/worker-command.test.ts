import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectHandlers, worker } from '../../../src/commands/worker.js';
import { diagnosticHandlers } from '../../../src/jobs/diagnostics.js';
import { ConfigError } from '../../../src/config.js';

describe('ct-fhir worker configuration', () => {
  it('selects a subset of the handlers by JOB_TYPES', () => {
    const all = diagnosticHandlers;
    assert.ok('diagnostic.noop' in all && 'diagnostic.sleep' in all);
    assert.deepEqual(Object.keys(selectHandlers(all, 'diagnostic.sleep')), ['diagnostic.sleep']);
    assert.deepEqual(Object.keys(selectHandlers(all, undefined)), Object.keys(all));
  });

  it('rejects a JOB_TYPES entry without a handler, naming the known types', () => {
    assert.throws(
      () => selectHandlers(diagnosticHandlers, 'diagnostic.noop,inference'),
      (e: unknown) => {
        return e instanceof ConfigError && /"inference", which has no handler \(known: diagnostic.noop/.test(e.message);
      },
    );
  });

  const bad: [string, string[], RegExp][] = [
    ['WORKERS=0', ['--workers', '0'], /WORKERS must be at least 1/],
    ['a malformed JOB_LIMITS', ['--job-limits', 'inference'], /JOB_LIMITS item "inference"/],
    ['a lease that is not a number', ['--job-lease-ms', 'soon'], /JOB_LEASE_MS must be an integer/],
    ['a stray argument', ['now'], /unexpected argument "now"/],
    ['a bad DATABASE_URL', ['--database-url', 'mysql://x'], /DATABASE_URL must start with/],
  ];
  for (const [what, argv, message] of bad) {
    it(`exits on ${what} with a ConfigError before opening the database`, async () => {
      await assert.rejects(worker(argv), (e: unknown) => e instanceof ConfigError && message.test(e.message));
    });
  }
});
