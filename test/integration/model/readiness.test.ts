// The server's model registry: /readyz follows the model folder as it is now (a model removed after it loaded makes
// the server not ready, putting it back makes it ready again, without a job having to run first), and it
// loads models with the process's configuration, --inference-* flags included (not only the environment).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteDatabase } from '../../support/databases.js';
import { startTestServer, type TestServer } from '../../support/server.js';

describe('readiness follows the model folder', () => {
  let server: TestServer;
  let dir: string;
  let model: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ctfhir-ready-'));
    model = join(dir, 'model');
    cpSync('test/fixtures/model/tiny', model, { recursive: true });
    server = await startTestServer(sqliteDatabase(), { MODEL: model, WORKERS: '1' });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const ready = async (): Promise<{ status: number; body: string }> => {
    const res = await fetch(`${server.baseUrl.replace(/\/fhir$/, '')}/readyz`);
    return { status: res.status, body: await res.text() };
  };

  it('is not ready while the model folder is gone, and ready again once it is back', async () => {
    assert.equal((await ready()).status, 200);
    renameSync(model, `${model}.away`);
    const gone = await ready();
    assert.equal(gone.status, 503, gone.body);
    assert.match(gone.body, /model/);
    renameSync(`${model}.away`, model);
    const back = await ready();
    assert.equal(back.status, 200, back.body);
  });
});

describe('the registry takes its runtime options from the configuration', () => {
  it('uses INFERENCE_* given to the server (flags become these), not only the process environment', async () => {
    const server = await startTestServer(sqliteDatabase(), {
      MODEL: 'test/fixtures/model/tiny',
      INFERENCE_PROVIDERS: 'cuda,cpu',
      INFERENCE_CONCURRENCY_CPU: '3',
    });
    try {
      assert.deepEqual(server.models.runtime.providers, ['cuda', 'cpu']);
      assert.equal(server.models.runtime.concurrency.cpu, 3);
    } finally {
      await server.stop();
    }
  });
});
