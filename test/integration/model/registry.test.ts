import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import { ModelError } from '../../../src/imaging/model/errors.js';
import { runtimeOptionsFromEnv } from '../../../src/imaging/model/options.js';
import { ModelRegistry } from '../../../src/imaging/model/registry.js';

const FIXTURE = 'test/fixtures/model/tiny';
const DIMS = [1, 6, 8, 8];
const volume = () => new Float32Array(384).fill(0.5);

function registry(dir: string) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('debug', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  return { lines, reg: new ModelRegistry(dir, { runtime: runtimeOptionsFromEnv({}), logger }) };
}

function folder(version: string, root = mkdtempSync(join(tmpdir(), 'ctfhir-reg-'))): string {
  const dir = join(root, 'model');
  cpSync(FIXTURE, dir, { recursive: true });
  setVersion(dir, version);
  return dir;
}

function setVersion(dir: string, version: string): void {
  const path = join(dir, 'model.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  m.version = version;
  m.description = `version ${version} of the tiny fixture`; // changes the file size too
  writeFileSync(path, JSON.stringify(m, null, 2));
}

test('status is not ready before the first load and ready with name, version and provider after', async () => {
  const { reg } = registry(folder('1.0.0'));
  assert.deepEqual(reg.status().ready, false);
  const s = await reg.refresh();
  assert.equal(s.ready, true);
  assert.equal(s.model, 'tiny-fixture');
  assert.equal(s.version, '1.0.0');
  assert.equal(s.provider, 'cpu');
  assert.equal(s.synthetic, true);
  await reg.close();
});

test('the same folder gives the same loaded model (one session reused)', async () => {
  const { reg } = registry(folder('1.0.0'));
  assert.equal(await reg.acquire(), await reg.acquire());
  await reg.close();
});

test('a model edited in place is reloaded and new runs report the new version', async () => {
  const dir = folder('1.0.0');
  const { reg, lines } = registry(dir);
  const first = await reg.use((m) => m.run(volume(), DIMS));
  assert.equal(first.version, '1.0.0');
  setVersion(dir, '1.1.0');
  const second = await reg.use((m) => m.run(volume(), DIMS));
  assert.equal(second.version, '1.1.0');
  assert.ok(lines.some((l) => l.msg === 'model swapped' && l.from === '1.0.0' && l.to === '1.1.0'));
  await reg.close();
});

test('a folder swapped by rename while a job holds the old model: the job finishes on the old version', async () => {
  const root = mkdtempSync(join(tmpdir(), 'ctfhir-reg-'));
  const dir = folder('1.0.0', root);
  const { reg } = registry(dir);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started!: () => void;
  const holding = new Promise<void>((r) => (started = r));
  const oldJob = reg.use(async (m) => {
    started();
    await gate; // e.g. preprocessing still running when the folder is swapped
    return m.run(volume(), DIMS);
  });
  await holding;
  const staged = folder('2.0.0', mkdtempSync(join(tmpdir(), 'ctfhir-reg-')));
  rmSync(dir, { recursive: true });
  renameSync(staged, dir);
  const newJob = await reg.use((m) => m.run(volume(), DIMS));
  assert.equal(newJob.version, '2.0.0');
  release();
  assert.equal((await oldJob).version, '1.0.0');
  assert.equal(reg.status().version, '2.0.0');
  await reg.close();
});

test('a missing model folder leaves status not ready with the reason, and every job fails clearly', async () => {
  const { reg } = registry(join(tmpdir(), 'ctfhir-no-such-model'));
  const s = await reg.refresh();
  assert.equal(s.ready, false);
  assert.equal(s.error?.reason, 'model-missing');
  assert.match(s.error?.message ?? '', /model.json cannot be read/);
  await assert.rejects(
    reg.use((m) => m.run(volume(), DIMS)),
    (err: unknown) => err instanceof ModelError && err.reason === 'model-missing',
  );
});

test('a swap to a broken manifest takes the old version out of service until fixed', async () => {
  const dir = folder('1.0.0');
  const { reg } = registry(dir);
  await reg.refresh();
  writeFileSync(join(dir, 'model.json'), '{"schema": "ct-fhir.model/1"}');
  const s = await reg.refresh();
  assert.equal(s.ready, false);
  assert.equal(s.error?.reason, 'manifest-invalid');
  await assert.rejects(reg.acquire(), /model.json is invalid: name must be a non-empty string/);
  cpSync(join(FIXTURE, 'model.json'), join(dir, 'model.json'));
  assert.equal((await reg.refresh()).ready, true);
  await reg.close();
});

test('a model whose manifest declares random or unshipped weights is not served for findings', async () => {
  for (const weights of ['random', 'not-shipped']) {
    const dir = folder('1.0.0');
    const path = join(dir, 'model.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), weights }, null, 2));
    const { reg } = registry(dir);
    const s = await reg.refresh();
    assert.equal(s.ready, false, weights);
    assert.equal(s.error?.reason, 'untrained-weights');
    await assert.rejects(reg.acquire(), (e) => e instanceof ModelError && /weights "/.test(e.message));
    await reg.close();
  }
});

test('two folder changes while a load runs: each swap starts from the model the one before left', async () => {
  const dir = folder('1.0.0');
  const { reg, lines } = registry(dir);
  await reg.refresh();
  setVersion(dir, '2.0.0');
  const second = reg.acquire();
  await new Promise((r) => setImmediate(r)); // the load of 2.0.0 has started
  setVersion(dir, '3.0.0-and-more'); // another file size, so another fingerprint
  const third = reg.acquire();
  await Promise.all([second, third]);
  assert.equal(reg.status().version, '3.0.0-and-more');
  const swaps = lines.filter((l) => l.msg === 'model swapped').map((l) => [l.from, l.to]);
  assert.ok(swaps.length >= 1, JSON.stringify(lines.map((l) => l.msg)));
  // a chain: every swap leaves from the version the previous one arrived at, so every old session was closed
  for (let i = 1; i < swaps.length; i++) assert.equal(swaps[i]![0], swaps[i - 1]![1], JSON.stringify(swaps));
  await reg.close();
});
