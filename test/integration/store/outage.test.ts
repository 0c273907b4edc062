// PostgreSQL outage: the repository connects through a TCP proxy started here; cutting the proxy makes every call
// fail with 503 `unavailable`, and restoring it lets the same DataSource (its pg pool) recover by itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
import type { DataSource } from 'typeorm';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { SqlRepository } from '../../../src/store/sql-repository.js';
import { postgresDatabase, type TestDatabase } from '../../support/databases.js';
import { TcpProxy as Proxy } from '../../support/tcp-proxy.js';
import { rejectsWith } from './helpers.js';

describe('PostgreSQL outage through a proxy', () => {
  let db: TestDatabase;
  let proxy: Proxy;
  let ds: DataSource;
  let repo: SqlRepository;

  before(async () => {
    db = await postgresDatabase();
    const url = new URL(db.url);
    proxy = new Proxy(url.hostname, Number(url.port || 5432));
    await proxy.start();
    url.port = String(proxy.port);
    ds = await openDataSource(url.toString(), { poolSize: 4, connectTimeoutMs: 1000 });
    repo = new SqlRepository(ds, { indexResource });
  });
  after(async () => {
    await proxy.cut();
    await ds.destroy().catch(() => undefined);
    await db.drop();
  });

  it('answers 503 unavailable while the database is unreachable and recovers without reopening', async () => {
    const p = await repo.create<Patient>({ resourceType: 'Patient', name: [{ family: 'Before' }] });
    await proxy.cut();
    const err = await rejectsWith(() => repo.read('Patient', p.id!), 503);
    assert.equal(err.outcome.issue[0]?.code, 'transient');
    assert.equal(err.message, 'database unavailable');
    await rejectsWith(() => repo.create<Patient>({ resourceType: 'Patient' }), 503);
    await rejectsWith(() => repo.history({ count: 10, offset: 0 }), 503);
    await proxy.start();
    assert.equal((await repo.read<Patient>('Patient', p.id!)).name?.[0]?.family, 'Before');
    const q = await repo.create<Patient>({ resourceType: 'Patient', name: [{ family: 'After' }] });
    assert.equal((await repo.read<Patient>('Patient', q.id!)).id, q.id);
  });
});
