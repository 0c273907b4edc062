// PostgreSQL restarted under load (stood in for by cutting a TCP proxy): the API answers 503 OperationOutcomes while
// the database is gone, serves again when it is back without restarting ct-fhir, and every write it accepted (201)
// is there afterwards.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OperationOutcome, Patient } from 'fhir/r4.js';
import { postgresDatabase, type TestDatabase } from '../../support/databases.js';
import { fhirFetch, startTestServer, type TestServer } from '../../support/server.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

describe('PostgreSQL outage under load (API)', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  before(async () => {
    db = await postgresDatabase();
    const url = new URL(db.url);
    proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    await proxy.start();
    url.port = String(proxy.port);
    server = await startTestServer({ ...db, url: url.toString(), drop: async () => undefined });
  });
  after(async () => {
    await server.stop();
    await proxy.cut();
    await db.drop();
  });

  it('answers 503 while down, recovers by itself, and loses no accepted write', async () => {
    const accepted: string[] = [];
    const statuses = new Map<number, number>();
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop && i < 2000; i++) {
        const res = await fhirFetch(server, 'Patient', {
          method: 'POST',
          body: { resourceType: 'Patient', name: [{ family: `Load${i}` }] },
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status === 201) accepted.push((res.body as Patient).id!);
        else {
          assert.equal(res.status, 503, JSON.stringify(res.body));
          assert.equal((res.body as OperationOutcome).issue[0]?.code, 'transient');
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await proxy.cut();
    const down = await fhirFetch(server, 'Patient?_count=1');
    assert.equal(down.status, 503);
    await new Promise((r) => setTimeout(r, 500));
    await proxy.start();
    let back = 0;
    for (let i = 0; i < 100 && back !== 200; i++) {
      back = (await fhirFetch(server, 'Patient?_count=1')).status;
      if (back !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(back, 200);
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await writer;
    assert.ok((statuses.get(503) ?? 0) > 0, `some writes met the outage: ${JSON.stringify([...statuses])}`);
    assert.ok(accepted.length > 0);
    for (const id of accepted)
      assert.equal((await fhirFetch(server, `Patient/${id}`)).status, 200, `accepted Patient/${id} is there`);
  });
});
