// `ct-fhir migrate` on both databases: applies every migration once, prints them, and a second run changes nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../src/cli.js';
import { databaseKinds } from '../../support/databases.js';

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
