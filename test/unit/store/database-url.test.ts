// A DATABASE_URL the store cannot open is a ConfigError: the CLI prints one line and exits 1, with no stack trace.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../src/cli.js';
import { ConfigError } from '../../../src/config.js';
import { parseDatabaseUrl } from '../../../src/store/datasource.js';

describe('DATABASE_URL parsing', () => {
  it('sqlite: without a path and an unknown scheme are ConfigErrors', () => {
    assert.throws(
      () => parseDatabaseUrl('sqlite:'),
      (e: unknown) => e instanceof ConfigError && /file path/.test(e.message),
    );
    assert.throws(() => parseDatabaseUrl('mysql://x'), ConfigError);
    assert.deepEqual(parseDatabaseUrl('sqlite:data/x.sqlite'), { dialect: 'sqlite', location: 'data/x.sqlite' });
  });

  it('`ct-fhir migrate --database-url sqlite:` prints one line and exits 1', async () => {
    const write = process.stderr.write.bind(process.stderr);
    let stderr = '';
    process.stderr.write = ((c: string) => ((stderr += c), true)) as typeof process.stderr.write;
    let code: number;
    try {
      code = await main(['migrate', '--database-url', 'sqlite:', '--log-level', 'error']);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(code, 1);
    assert.equal(
      stderr,
      'ct-fhir migrate: cannot start: DATABASE_URL sqlite: needs a file path, e.g. sqlite:data/ct-fhir.sqlite\n',
    );
  });
});
