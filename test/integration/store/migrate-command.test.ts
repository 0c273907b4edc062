// `ct-fhir migrate` on both databases: applies every migration once, prints them, and a second run changes nothing;
// a database it cannot open is one line naming it, exit 1 (it printed the driver's stack).
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { databaseKinds } from '../../support/databases.js';
import { runCli, type CliResult } from '../../support/cli.js';

/** Runs the CLI; returns its exit code and the migration names it printed (the test runner shares stdout). */
async function run(args: string[]): Promise<{ code: number; names: string[] }> {
  const write = process.stdout.write.bind(process.stdout);
  let stdout = '';
  process.stdout.write = ((c: string) => ((stdout += c), true)) as typeof process.stdout.write;
  try {
    const code = await main(args);
    return { code, names: [...stdout.matchAll(/([A-Z][A-Za-z0-9]*?\d{13})\n/g)].map((m) => m[1]!) };
  } finally {
    process.stdout.write = write;
  }
}

for (const { kind, make } of databaseKinds) {
  describe(`ct-fhir migrate (${kind})`, () => {
    it('applies the store, job and HL7 migrations once; a second run is a no-op', async () => {
      const db = await make();
      try {
        const first = await run(['migrate', '--database-url', db.url, '--log-level', 'error']);
        assert.equal(first.code, 0);
        for (const name of ['StoreSchema', 'JobSchema', 'Hl7Messages']) {
          assert.ok(
            first.names.some((n) => n.startsWith(name)),
            first.names.join(','),
          );
        }
        const second = await run(['migrate', '--database-url', db.url, '--log-level', 'error']);
        assert.deepEqual(second, first);
      } finally {
        await db.drop();
      }
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'ctfhir-migrate-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** The command as a child process: what the user sees on stderr, and the exit code. */
function migrate(url: string): CliResult {
  return runCli(['migrate', '--database-url', url], { LOG_LEVEL: 'warn' }, 60_000);
}

test('migrate: a PostgreSQL database that does not exist is one line naming it, exit 1', () => {
  const host = process.env.PGHOST ?? '127.0.0.1';
  const port = process.env.PGPORT ?? '5432';
  const user = process.env.PGUSER ?? 'postgres';
  const r = migrate(`postgres://${user}@${host}:${port}/ctfhir_no_such_db_${process.pid}`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    /^ct-fhir migrate: cannot start: database postgres:\/\/.*ctfhir_no_such_db_\d+: .*does not exist\n$/,
  );
  assert.equal(r.stdout, '');
});

test('migrate: an SQLite path that is a folder is one line, exit 1', () => {
  const r = migrate(`sqlite:${dir}`);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^ct-fhir migrate: cannot start: database sqlite:.*: unable to open database file\n$/);
});
