import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../src/log.js';
import { ModelError } from '../../../src/imaging/model/errors.js';
import { runtimeOptionsFromEnv } from '../../../src/imaging/model/options.js';
import { createDeviceLimits, loadModel } from '../../../src/imaging/model/runtime.js';

const FIXTURE = 'test/fixtures/model/tiny';
const DIMS = [1, 6, 8, 8];

function logs(): { lines: Record<string, unknown>[]; logger: ReturnType<typeof createLogger> } {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger('debug', {}, (l) => lines.push(JSON.parse(l) as Record<string, unknown>)) };
}

function options(env: Record<string, string> = {}) {
  const runtime = runtimeOptionsFromEnv(env);
  const { lines, logger } = logs();
  return { lines, opts: { runtime, limits: createDeviceLimits(runtime), logger } };
}

const constant = (v: number) => new Float32Array(384).fill(v);

/** A copy of the fixture folder with the manifest edited. */
function fixtureCopy(edit?: (m: Record<string, unknown>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'ctfhir-model-'));
  cpSync(FIXTURE, dir, { recursive: true });
  if (edit) {
    const m = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as Record<string, unknown>;
    edit(m);
    writeFileSync(join(dir, 'model.json'), JSON.stringify(m));
  }
  return dir;
}

test('runs the ONNX model on CPU and returns per-label probabilities and positives', async () => {
  const { opts } = options();
  const model = await loadModel(FIXTURE, opts);
  assert.equal(model.provider, 'cpu');
  const p = await model.run(constant(0.5), DIMS);
  assert.equal(p.model, 'tiny-fixture');
  assert.equal(p.version, '1.0.0');
  assert.equal(p.provider, 'cpu');
  // logits [0.5, -0.5, 0, ln 0.5]; thresholds 0.5, 0.3, 0.6, 0.5
  const expected = [0.5, -0.5, 0, Math.log(0.5)].map((x) => 1 / (1 + Math.exp(-x)));
  p.findings.forEach((f, i) => assert.ok(Math.abs(f.probability - expected[i]!) < 1e-6, `label ${i}`));
  assert.deepEqual(
    p.findings.map((f) => f.positive),
    [true, true, false, false],
  );
  assert.ok(p.inferenceMs >= 0);
  await model.close();
});

test('reuses one session: the same loaded model answers many runs', async () => {
  const { opts } = options();
  const model = await loadModel(FIXTURE, opts);
  const results = await Promise.all([0.1, 0.9, 2].map((v) => model.run(constant(v), DIMS)));
  assert.deepEqual(
    results.map((r) => r.findings[0]!.positive),
    [true, true, true],
  );
  assert.ok(results[2]!.findings[2]!.probability > 0.95); // 2m-1 = 3
  await model.close();
});

test('a wrong input shape fails the run with both shapes named', async () => {
  const { opts } = options();
  const model = await loadModel(FIXTURE, opts);
  await assert.rejects(
    model.run(new Float32Array(384), [1, 8, 6, 8]),
    (err: unknown) =>
      err instanceof ModelError &&
      err.status === 422 &&
      /expects input \[1, 6, 8, 8\], got \[1, 8, 6, 8\]/.test(err.message),
  );
  await model.close();
});

test('NaN or infinite model outputs fail the run clearly', async () => {
  const { opts } = options();
  const model = await loadModel(FIXTURE, opts);
  await assert.rejects(model.run(constant(0), DIMS), /non-finite outputs \(mass=-Infinity\)/); // log(0)
  await assert.rejects(
    model.run(constant(-1), DIMS),
    (err: unknown) => err instanceof ModelError && err.reason === 'non-finite-output' && /mass=NaN/.test(err.message),
  );
  await model.close();
});

test('INFERENCE_PROVIDERS=cuda,cpu falls back to CPU and logs which provider ran', async () => {
  const { opts, lines } = options({ INFERENCE_PROVIDERS: 'cuda,cpu' });
  const model = await loadModel(FIXTURE, opts);
  assert.equal(model.provider, 'cpu');
  const warn = lines.find((l) => l.msg === 'inference provider unavailable');
  assert.equal(warn?.provider, 'cuda');
  assert.equal(warn?.level, 'warn');
  const chosen = lines.find((l) => l.msg === 'inference provider selected');
  assert.deepEqual(
    { provider: chosen?.provider, tried: chosen?.tried, fallback: chosen?.fallback },
    { provider: 'cpu', tried: ['cuda', 'cpu'], fallback: true },
  );
  assert.equal((await model.run(constant(0.5), DIMS)).provider, 'cpu');
  await model.close();
});

test('CUDA alone, unavailable here, is a broken-model error naming the provider', async () => {
  const { opts } = options({ INFERENCE_PROVIDERS: 'cuda' });
  await assert.rejects(
    loadModel(FIXTURE, opts),
    (err: unknown) => err instanceof ModelError && err.reason === 'model-broken' && /cuda: /.test(err.message),
  );
});

test('thread counts from the options are accepted by the session', async () => {
  const { opts } = options({ INFERENCE_INTRA_OP_THREADS: '1', INFERENCE_INTER_OP_THREADS: '1' });
  const model = await loadModel(FIXTURE, opts);
  assert.equal((await model.run(constant(0.5), DIMS)).findings.length, 4);
  await model.close();
});

test('runs beyond the per-device concurrency limit wait for a slot', async () => {
  const { opts } = options({ INFERENCE_CONCURRENCY_CPU: '1' });
  const model = await loadModel(FIXTURE, opts);
  const runs = [1, 2, 3].map((v) => model.run(constant(v), DIMS));
  assert.equal(opts.limits.cpu.active, 1);
  assert.equal(opts.limits.cpu.waiting, 2);
  await Promise.all(runs);
  assert.equal(opts.limits.cpu.active, 0);
  await model.close();
});

test('a manifest whose input shape disagrees with the ONNX graph is a broken model', async () => {
  const dir = fixtureCopy((m) => {
    (m.input as { shape: number[] }).shape = [1, 6, 8, 16];
    (m.preprocessing as { shape: number[] }).shape = [6, 8, 16];
  });
  await assert.rejects(
    loadModel(dir, options().opts),
    /input shape \[1, 6, 8, 8\] differs from manifest \[1, 6, 8, 16\]/,
  );
});

test('a manifest naming an output the graph lacks, or listing too many labels, is a broken model', async () => {
  const dir = fixtureCopy((m) => {
    (m.output as { name: string }).name = 'probabilities';
  });
  await assert.rejects(loadModel(dir, options().opts), /no output named "probabilities" \(graph has logits\)/);
  const dir2 = fixtureCopy((m) => {
    (m.labels as unknown[]).push({ abnormality: 'emphysema', location: null, threshold: 0.5 });
  });
  await assert.rejects(loadModel(dir2, options().opts), /output has 4 values, manifest lists 5 labels/);
});

test('a missing folder, missing ONNX file or corrupt ONNX file gives a clear ModelError', async () => {
  await assert.rejects(
    loadModel('test/fixtures/model/does-not-exist', options().opts),
    (err: unknown) => err instanceof ModelError && err.reason === 'model-missing' && err.status === 503,
  );
  const noFile = fixtureCopy((m) => {
    m.file = 'weights.onnx';
  });
  await assert.rejects(loadModel(noFile, options().opts), /model file .*weights.onnx is missing/);
  const corrupt = fixtureCopy();
  writeFileSync(join(corrupt, 'model.onnx'), 'not a protobuf');
  await assert.rejects(
    loadModel(corrupt, options().opts),
    (err: unknown) => err instanceof ModelError && err.reason === 'model-broken' && /cpu: /.test(err.message),
  );
});

test('invalid JSON or an invalid manifest is reported with its problems', async () => {
  const bad = fixtureCopy();
  writeFileSync(join(bad, 'model.json'), '{ "schema": ');
  await assert.rejects(loadModel(bad, options().opts), /model.json is not valid JSON/);
  const invalid = fixtureCopy((m) => {
    (m.labels as { threshold: number }[])[0]!.threshold = 7;
  });
  await assert.rejects(
    loadModel(invalid, options().opts),
    (err: unknown) =>
      err instanceof ModelError &&
      err.reason === 'manifest-invalid' &&
      /labels\[0\].threshold must be a number in \[0, 1\], got 7/.test(err.message),
  );
});
