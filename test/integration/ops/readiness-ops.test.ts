// /readyz: the model counts only in a process that runs jobs (an API-only process, WORKERS=0, never uses it), and a
// failure's detail (a folder path, the database's host and port) goes to the log, not to whoever can reach /readyz.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresDatabase, sqliteDatabase } from '../../support/databases.js';
import { startLoggedServer } from '../../support/logged-server.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

interface Readiness {
  status: string;
  checks: { name: string; ok: boolean; detail?: string }[];
}

async function readyz(origin: string): Promise<{ status: number; text: string; body: Readiness }> {
  const res = await fetch(`${origin}/readyz`);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as Readiness };
}

describe('readiness and the model', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-ops-ready-'));
  const missing = join(dir, 'no-model-here');

  it('an API-only process (WORKERS=0) is ready without a model', async () => {
    const server = await startLoggedServer(sqliteDatabase(), { MODEL: missing, WORKERS: '0' });
    try {
      const { status, body } = await readyz(server.origin);
      assert.equal(status, 200, JSON.stringify(body));
      assert.deepEqual(body.checks, [{ name: 'database', ok: true }]);
    } finally {
      await server.stop();
    }
  });

  it('a process with workers is not ready without it; the path is in the log once, not in the answer', async () => {
    const server = await startLoggedServer(sqliteDatabase(), { MODEL: missing, WORKERS: '1' }, 'info');
    try {
      const first = await readyz(server.origin);
      const second = await readyz(server.origin);
      assert.equal(first.status, 503);
      assert.ok(!first.text.includes(dir), first.text);
      assert.deepEqual(
        first.body.checks.map((c) => [c.name, c.ok]),
        [
          ['model', false],
          ['database', true],
        ],
      );
      assert.equal(second.text, first.text);
      const logged = server.lines.filter((l) => l.msg === 'readiness check failed');
      assert.equal(logged.length, 1, 'logged once while the reason stays the same');
      assert.equal(logged[0]!.check, 'model');
      assert.match(String(logged[0]!.detail), /no-model-here/);
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readiness while PostgreSQL is unreachable', () => {
  it('answers 503 without the database host and port, logs them, and recovers', async () => {
    const db = await postgresDatabase();
    const url = new URL(db.url);
    const proxy = new TcpProxy(url.hostname, Number(url.port || 5432));
    await proxy.start();
    url.port = String(proxy.port);
    const server = await startLoggedServer({ ...db, url: url.toString() }, {}, 'info');
    try {
      assert.equal((await readyz(server.origin)).status, 200);
      await proxy.cut();
      const down = await readyz(server.origin);
      assert.equal(down.status, 503, down.text);
      assert.ok(!down.text.includes(String(proxy.port)) && !down.text.includes(url.hostname), down.text);
      assert.deepEqual(down.body.checks[0]?.name, 'database');
      const logged = server.lines.find((l) => l.msg === 'readiness check failed');
      assert.equal(logged?.check, 'database');
      await proxy.start();
      let back = 0;
      for (let i = 0; i < 50 && back !== 200; i++) {
        back = (await readyz(server.origin)).status;
        if (back !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(back, 200);
      assert.ok(server.lines.some((l) => l.msg === 'readiness check passes again' && l.check === 'database'));
    } finally {
      await server.stop();
      await proxy.cut();
    }
  });
});
