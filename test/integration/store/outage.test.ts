// PostgreSQL outage: the repository connects through a TCP proxy started here; cutting the proxy makes every call
// fail with 503 `unavailable`, and restoring it lets the same DataSource (its pg pool) recover by itself.
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Patient } from 'fhir/r4.js';
import type { DataSource } from 'typeorm';
import { indexResource } from '../../../src/fhir/search/indexer.js';
import { openDataSource } from '../../../src/store/datasource.js';
import { SqlRepository } from '../../../src/store/sql-repository.js';
import { postgresDatabase, type TestDatabase } from '../../support/databases.js';
import { rejectsWith } from './helpers.js';

/** A TCP proxy to PostgreSQL that can be cut (listener closed, live connections destroyed) and restored. */
class Proxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

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
