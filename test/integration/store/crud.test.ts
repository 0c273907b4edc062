// SqlRepository CRUD, versions, history, If-Match, transactions, concurrency and write hooks, on SQLite and
// PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Observation, Patient } from 'fhir/r4.js';
import type { ResourceChange, UpdateResult } from '../../../src/fhir/repository.js';
import { databaseKinds } from '../../support/databases.js';
import { filter, openStore, rejectsWith, request, type StoreFixture } from './helpers.js';

const patient = (family: string): Patient => ({ resourceType: 'Patient', name: [{ family }] });

for (const { kind, make } of databaseKinds) {
  describe(`SqlRepository CRUD (${kind})`, () => {
    let s: StoreFixture;
    before(async () => {
      s = await openStore(make);
    });
    after(async () => s.close());

    it('create assigns a uuid id, versionId 1 and an ISO lastUpdated, and read returns it', async () => {
      const p = await s.repo.create({ ...patient('Create'), id: 'client-chosen' });
      assert.match(p.id!, /^[0-9a-f-]{36}$/);
      assert.equal(p.meta?.versionId, '1');
      assert.match(p.meta!.lastUpdated!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const read = await s.repo.read<Patient>('Patient', p.id!);
      assert.deepEqual(read, p);
      assert.deepEqual(Object.keys(read).slice(0, 3), ['resourceType', 'id', 'meta']);
    });

    it('create with a pre-assigned id (transactions) uses it; a second create with that id is 409', async () => {
      const id = '7f9d1c2e-0000-4000-8000-000000000001';
      const p = await s.repo.create(patient('Preassigned'), { id });
      assert.equal(p.id, id);
      await rejectsWith(() => s.repo.create(patient('Again'), { id }), 409);
    });

    it('read of an unknown id is 404 and of an unknown type is 404', async () => {
      await rejectsWith(() => s.repo.read('Patient', 'does-not-exist'), 404);
      await rejectsWith(() => s.repo.read('Observation', 'does-not-exist'), 404);
    });

    it('update writes a new version with a later lastUpdated; vread returns every old version', async () => {
      const v1 = await s.repo.create(patient('Versions'));
      const v2 = await s.repo.update({ ...v1, active: true });
      const v3 = await s.repo.update({ ...v2.resource, active: false });
      assert.equal(v2.created, false);
      assert.equal(v3.resource.meta?.versionId, '3');
      assert.ok(v3.resource.meta!.lastUpdated! > v2.resource.meta!.lastUpdated!);
      assert.equal((await s.repo.vread<Patient>('Patient', v1.id!, '1')).active, undefined);
      assert.equal((await s.repo.vread<Patient>('Patient', v1.id!, '2')).active, true);
      assert.equal((await s.repo.read<Patient>('Patient', v1.id!)).active, false);
      await rejectsWith(() => s.repo.vread('Patient', v1.id!, '4'), 404);
      await rejectsWith(() => s.repo.vread('Patient', v1.id!, 'abc'), 404);
      await rejectsWith(() => s.repo.vread('Patient', v1.id!, '0'), 404);
    });

    it('update with unchanged content keeps the version and reports unchanged', async () => {
      const v1 = await s.repo.create(patient('Same'));
      const again = await s.repo.update({ ...v1, meta: { versionId: '99', lastUpdated: '2000-01-01T00:00:00Z' } });
      assert.equal(again.unchanged, true);
      assert.equal(again.resource.meta?.versionId, '1');
      const hist = await s.repo.history({ resourceType: 'Patient', id: v1.id!, count: 10, offset: 0 });
      assert.equal(hist.total, 1);
    });

    it('update-as-create keeps the client id and reports created', async () => {
      const res = await s.repo.update({ ...patient('Client'), id: 'client-id-1' });
      assert.equal(res.created, true);
      assert.equal(res.resource.id, 'client-id-1');
      assert.equal(res.resource.meta?.versionId, '1');
    });

    it('update without a valid id is 400', async () => {
      await rejectsWith(() => s.repo.update(patient('NoId')), 400);
      await rejectsWith(() => s.repo.update({ ...patient('BadId'), id: 'has spaces' }), 400);
    });

    it('If-Match: matching version writes, stale version is 412, weak ETag form accepted', async () => {
      const v1 = await s.repo.create(patient('IfMatch'));
      const v2 = await s.repo.update({ ...v1, active: true }, { ifMatch: 'W/"1"' });
      assert.equal(v2.resource.meta?.versionId, '2');
      const err = await rejectsWith(() => s.repo.update({ ...v1, active: false }, { ifMatch: '1' }), 412);
      assert.match(err.message, /current version 2/);
      await rejectsWith(() => s.repo.update({ ...patient('X'), id: 'never-created' }, { ifMatch: '1' }), 412);
      await rejectsWith(() => s.repo.delete('Patient', v1.id!, { ifMatch: '1' }), 412);
      assert.equal((await s.repo.read<Patient>('Patient', v1.id!)).active, true);
    });

    it('delete keeps history: read is 410, vread of the deletion is 410, old versions readable, delete again is a no-op', async () => {
      const v1 = await s.repo.create(patient('Deleted'));
      await s.repo.delete('Patient', v1.id!);
      await rejectsWith(() => s.repo.read('Patient', v1.id!), 410);
      await rejectsWith(() => s.repo.vread('Patient', v1.id!, '2'), 410);
      assert.equal((await s.repo.vread<Patient>('Patient', v1.id!, '1')).name?.[0]?.family, 'Deleted');
      await s.repo.delete('Patient', v1.id!);
      await s.repo.delete('Patient', 'never-existed');
      const hist = await s.repo.history({ resourceType: 'Patient', id: v1.id!, count: 10, offset: 0 });
      assert.deepEqual(
        hist.entries.map((e) => [e.method, e.deleted, e.resource.meta?.versionId]),
        [
          ['DELETE', true, '2'],
          ['POST', false, '1'],
        ],
      );
    });

    it('update with an already-read current version is guarded by it: a change in between is a 409', async () => {
      const v1 = await s.repo.create(patient('Known'));
      const v2 = (await s.repo.update({ ...v1, active: true })).resource;
      const fromV2 = await s.repo.update({ ...v2, active: false }, { current: v2 });
      assert.equal(fromV2.resource.meta?.versionId, '3');
      await rejectsWith(() => s.repo.update({ ...v1, gender: 'other' }, { current: v1 }), 409);
      assert.equal((await s.repo.read<Patient>('Patient', v1.id!)).meta?.versionId, '3');
      // A "current" of another resource (or without a version) is ignored: the row is read as usual.
      const other = await s.repo.create(patient('Other'));
      const updated = await s.repo.update({ ...v2, gender: 'female' }, { current: other });
      assert.equal(updated.resource.meta?.versionId, '4');
    });

    it('update of an id known to be absent creates version 1 without reading; if a row exists after all it is a 409', async () => {
      const created = await s.repo.update({ ...patient('Fresh'), id: 'absent-known-1' }, { absent: true });
      assert.equal(created.created, true);
      assert.equal(created.resource.meta?.versionId, '1');
      await rejectsWith(() => s.repo.update({ ...patient('Again'), id: 'absent-known-1' }, { absent: true }), 409);
      assert.equal((await s.repo.read<Patient>('Patient', 'absent-known-1')).name?.[0]?.family, 'Fresh');
    });

    it('update after delete re-creates the resource with the next version', async () => {
      const v1 = await s.repo.create(patient('Revive'));
      await s.repo.delete('Patient', v1.id!);
      const back = await s.repo.update({ ...v1, active: true });
      assert.equal(back.created, true);
      assert.equal(back.resource.meta?.versionId, '3');
      assert.equal((await s.repo.read<Patient>('Patient', v1.id!)).active, true);
    });
  });

  describe(`SqlRepository history (${kind})`, () => {
    let s: StoreFixture;
    const ids: string[] = [];
    let t0 = 0;
    before(async () => {
      s = await openStore(make);
      t0 = Date.now();
      for (let i = 0; i < 5; i++) ids.push((await s.repo.create(patient(`H${i}`))).id!);
      // lastUpdated has millisecond resolution: the _since test needs the update strictly after the creates.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await s.repo.update({ ...(await s.repo.read<Patient>('Patient', ids[0]!)), active: true });
      await s.repo.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    });
    after(async () => s.close());

    it('system history lists every version newest first with total and paging', async () => {
      const all = await s.repo.history({ count: 100, offset: 0 });
      assert.equal(all.total, 7);
      assert.equal(all.entries[0]?.resource.resourceType, 'Observation');
      assert.equal(all.entries[1]?.resource.id, ids[0]);
      assert.equal(all.entries[1]?.method, 'PUT');
      const stamps = all.entries.map((e) => e.resource.meta!.lastUpdated!);
      assert.deepEqual([...stamps].sort().reverse(), stamps);
      const page1 = await s.repo.history({ count: 3, offset: 0 });
      const page3 = await s.repo.history({ count: 3, offset: 6 });
      assert.equal(page1.hasMore, true);
      assert.equal(page3.hasMore, false);
      assert.equal(page3.entries.length, 1);
      const paged = [];
      for (let off = 0; off < 7; off += 3) paged.push(...(await s.repo.history({ count: 3, offset: off })).entries);
      assert.deepEqual(paged, all.entries);
    });

    it('type history only has that type; instance history only that resource', async () => {
      const type = await s.repo.history({ resourceType: 'Patient', count: 100, offset: 0 });
      assert.equal(type.total, 6);
      const inst = await s.repo.history({ resourceType: 'Patient', id: ids[0]!, count: 100, offset: 0 });
      assert.deepEqual(
        inst.entries.map((e) => e.resource.meta?.versionId),
        ['2', '1'],
      );
    });

    it('instance history of an unknown resource is 404', async () => {
      await rejectsWith(() => s.repo.history({ resourceType: 'Patient', id: 'nope', count: 10, offset: 0 }), 404);
    });

    it('_since keeps versions at or after the instant; _at gives the version current then', async () => {
      const inst = await s.repo.history({ resourceType: 'Patient', id: ids[0]!, count: 100, offset: 0 });
      const v2At = Date.parse(inst.entries[0]!.resource.meta!.lastUpdated!);
      const v1At = Date.parse(inst.entries[1]!.resource.meta!.lastUpdated!);
      const since = await s.repo.history({ resourceType: 'Patient', since: v2At, count: 100, offset: 0 });
      assert.deepEqual(
        since.entries.map((e) => [e.resource.id, e.resource.meta?.versionId]),
        [[ids[0], '2']],
      );
      const before = await s.repo.history({ resourceType: 'Patient', id: ids[0]!, at: v2At - 1, count: 10, offset: 0 });
      assert.deepEqual(
        before.entries.map((e) => e.resource.meta?.versionId),
        ['1'],
      );
      const atV1 = await s.repo.history({ resourceType: 'Patient', id: ids[0]!, at: v1At, count: 10, offset: 0 });
      assert.equal(atV1.total, 1);
      const beforeAll = await s.repo.history({ at: t0 - 1000, count: 10, offset: 0 });
      assert.equal(beforeAll.total, 0);
    });
  });

  describe(`SqlRepository transactions and hooks (${kind})`, () => {
    let s: StoreFixture;
    const seen: { change: ResourceChange; versionInDb: number }[] = [];
    before(async () => {
      s = await openStore(make, [
        async (change, manager) => {
          if (change.resourceType === 'Flag' && change.kind === 'create') throw new Error('hook refuses Flags');
          // Inside the write's transaction the new version is already visible.
          const rows = (await manager.query(
            kind === 'postgres'
              ? 'SELECT version_id FROM resource WHERE resource_type = $1 AND id = $2'
              : 'SELECT version_id FROM resource WHERE resource_type = ? AND id = ?',
            [change.resourceType, change.id],
          )) as { version_id: number }[];
          seen.push({ change, versionInDb: Number(rows[0]?.version_id) });
        },
      ]);
    });
    after(async () => s.close());

    it('hooks see each create, update and delete inside the transaction, with the previous version', async () => {
      seen.length = 0;
      const p = await s.repo.create(patient('Hooked'));
      await s.repo.update({ ...p, active: true });
      await s.repo.delete('Patient', p.id!);
      assert.deepEqual(
        seen.map((x) => [x.change.kind, x.change.versionId, x.versionInDb]),
        [
          ['create', '1', 1],
          ['update', '2', 2],
          ['delete', '3', 3],
        ],
      );
      assert.equal(seen[1]?.change.previous?.meta?.versionId, '1');
      assert.equal(seen[2]?.change.resource, undefined);
    });

    it('createMany writes many resources in one transaction (split across statements), indexed and hooked', async () => {
      seen.length = 0;
      const many = Array.from({ length: 1200 }, (_, i): Observation => ({
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: `bulk-${i % 3}` }] },
        subject: { reference: `Patient/bulk-${i % 7}` },
        valueQuantity: { value: i, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' },
      }));
      const created = await s.repo.createMany(many);
      assert.equal(new Set(created.map((o) => o.id)).size, 1200);
      assert.equal(seen.length, 1200);
      assert.ok(seen.every((x) => x.change.kind === 'create' && x.versionInDb === 1));
      const found = await s.repo.search(
        request('Observation', [filter('Observation', 'code', [{ kind: 'token', code: 'bulk-1' }])], {
          total: 'accurate',
          count: 0,
        }),
      );
      assert.equal(found.total, 400);
      assert.deepEqual(await s.repo.read('Observation', created[1199]!.id!), created[1199]);
    });

    it('createMany rolls back as a whole when a hook throws', async () => {
      const before = (await s.repo.history({ count: 1, offset: 0 })).total;
      const flag = {
        resourceType: 'Flag',
        status: 'active',
        code: { text: 'x' },
        subject: { reference: 'Patient/1' },
      } as const;
      await assert.rejects(() => s.repo.createMany([patient('Bulk1'), flag, patient('Bulk2')]), /hook refuses Flags/);
      assert.equal((await s.repo.history({ count: 1, offset: 0 })).total, before);
    });

    it('a throwing hook rolls the write back', async () => {
      await assert.rejects(
        () =>
          s.repo.update({
            resourceType: 'Flag',
            id: 'flag-1',
            status: 'active',
            code: { text: 'x' },
            subject: { reference: 'Patient/1' },
          }),
        /hook refuses Flags/,
      );
      await rejectsWith(() => s.repo.read('Flag', 'flag-1'), 404);
      assert.equal((await s.repo.history({ resourceType: 'Flag', count: 10, offset: 0 })).total, 0);
    });

    it('an error in the 5th write of a transaction leaves nothing of it', async () => {
      const before = (await s.repo.history({ count: 1, offset: 0 })).total;
      await rejectsWith(
        () =>
          s.repo.transaction(async (tx) => {
            for (let i = 0; i < 4; i++) await tx.create(patient(`Tx${i}`));
            const inside = await tx.history({ resourceType: 'Patient', count: 100, offset: 0 });
            assert.ok(inside.entries.some((e) => (e.resource as Patient).name?.[0]?.family === 'Tx3'));
            await tx.update({ ...patient('Tx4'), id: 'tx-missing' }, { ifMatch: '1' });
          }),
        412,
      );
      assert.equal((await s.repo.history({ count: 1, offset: 0 })).total, before);
    });

    it('nested transaction calls reuse the outer transaction and commit together', async () => {
      const ids = await s.repo.transaction(async (tx) => {
        const a = await tx.create(patient('Outer'));
        const b = await tx.transaction(async (inner) => inner.create(patient('Inner')));
        return [a.id!, b.id!];
      });
      for (const id of ids) assert.equal((await s.repo.read('Patient', id)).id, id);
      await assert.rejects(() =>
        s.repo.transaction(async (tx) => {
          await tx.update({ ...patient('Gone'), id: 'nested-rollback' });
          await tx.transaction(async () => {
            throw new Error('inner failure');
          });
        }),
      );
      await rejectsWith(() => s.repo.read('Patient', 'nested-rollback'), 404);
    });

    it('transactions running at the same time do not see or commit each other’s writes', async () => {
      const results = await Promise.allSettled([
        s.repo.transaction(async (tx) => {
          await tx.update({ ...patient('A'), id: 'parallel-a' });
          await new Promise((r) => setTimeout(r, 30));
          throw new Error('A fails');
        }),
        s.repo.transaction(async (tx) => tx.update({ ...patient('B'), id: 'parallel-b' })),
      ]);
      assert.equal(results[0].status, 'rejected');
      assert.equal(results[1].status, 'fulfilled');
      await rejectsWith(() => s.repo.read('Patient', 'parallel-a'), 404);
      assert.equal((await s.repo.read('Patient', 'parallel-b')).id, 'parallel-b');
    });
  });

  describe(`SqlRepository concurrent updates (${kind})`, () => {
    let s: StoreFixture;
    let onWrite: (() => Promise<void>) | undefined;
    before(async () => {
      s = await openStore(make, [
        async (change) => {
          if (change.kind === 'update' && onWrite) {
            const f = onWrite;
            onWrite = undefined;
            await f();
          }
        },
      ]);
    });
    after(async () => s.close());

    it('two updates racing on one version never both succeed with the same version', async () => {
      const v1 = await s.repo.create(patient('Race'));
      type Settled = { ok: true; value: UpdateResult<Patient> } | { ok: false; reason: unknown };
      const settle = (p: Promise<UpdateResult<Patient>>): Promise<Settled> =>
        p.then(
          (value) => ({ ok: true, value }),
          (reason: unknown) => ({ ok: false, reason }),
        );
      let second: Promise<Settled> | undefined;
      // The first update holds its transaction open (after writing version 2) while the second one starts.
      onWrite = async () => {
        second = settle(s.repo.update({ ...v1, active: false }));
        await new Promise((r) => setTimeout(r, 300));
      };
      const outcomes = [await settle(s.repo.update({ ...v1, active: true }))];
      outcomes.push(await second!);
      const versions = outcomes.flatMap((o) => (o.ok ? [o.value.resource.meta?.versionId] : []));
      assert.equal(new Set(versions).size, versions.length, 'two writes got the same version');
      for (const o of outcomes) if (!o.ok) assert.equal((o.reason as { status: number }).status, 409);
      const current = await s.repo.read<Patient>('Patient', v1.id!);
      assert.equal(current.meta?.versionId, String(1 + versions.length));
      if (kind === 'postgres') {
        // Both read version 1; the second's guarded UPDATE finds version 2 once the first commits.
        assert.equal(versions.length, 1);
        assert.equal(current.active, true);
      }
    });
  });
}
