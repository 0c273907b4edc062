// Several processes migrating one fresh database at once (`ct-fhir migrate` beside starting servers) all succeed and
// apply each migration once: PostgreSQL serialises them with an advisory lock, SQLite with its write lock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { hl7StoreModule } from '../../../src/hl7v2/store/schema.js';
import { jobsModule } from '../../../src/jobs/schema.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { databaseKinds } from '../../support/databases.js';

const modules = [jobsModule, hl7StoreModule];

/** `ct-fhir migrate` in a child process: its exit code and stderr. */
function migrateProcess(url: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['bin/ct-fhir.js', 'migrate', '--database-url', url, '--log-level', 'error'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const { kind, make } of databaseKinds) {
  describe(`concurrent migrations on a fresh database (${kind})`, () => {
    it('three DataSources opened at once all migrate; each migration is applied once', async () => {
      const db = await make();
      try {
        const opened = await Promise.allSettled([1, 2, 3].map(() => openDataSource(db.url, { modules })));
        const failures = opened.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
        for (const r of opened) if (r.status === 'fulfilled') await r.value.destroy();
        assert.deepEqual(failures, []);
        const ds = await openDataSource(db.url, { modules });
        try {
          const rows = (await ds.query('SELECT name FROM migrations')) as { name: string }[];
          const names = rows.map((r) => r.name);
          assert.equal(new Set(names).size, names.length, names.join(','));
          assert.ok(names.some((n) => n.startsWith('StoreSchema')));
        } finally {
          await ds.destroy();
        }
      } finally {
        await db.drop();
      }
    });

    it('three `ct-fhir migrate` processes at once all exit 0', async () => {
      const db = await make();
      try {
        const runs = await Promise.all([1, 2, 3].map(() => migrateProcess(db.url)));
        assert.deepEqual(
          runs.map((r) => r.code),
          [0, 0, 0],
          runs.map((r) => r.stderr).join('\n'),
        );
      } finally {
        await db.drop();
      }
    });
  });
}
