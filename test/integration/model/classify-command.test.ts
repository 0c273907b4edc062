import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { classifyVolume, seriesInput } from '../../../src/imaging/model/series-input.js';
import { loadVolumeFromFolder } from '../../../src/imaging/volume/load-folder.js';
import { openModel } from '../../../src/imaging/model/open.js';
import { silentLogger } from '../../../src/log.js';
import { validateManifest } from '../../../src/imaging/model/manifest.js';
import { sigmoid } from '../../../src/imaging/model/predictions.js';
import { writeSyntheticSeries } from '../../support/ct-series.js';

const TINY = 'test/fixtures/model/tiny';
const work = mkdtempSync(join(tmpdir(), 'ctfhir-classify-'));
const series = join(work, 'series');
writeSyntheticSeries(series, { rows: 64, columns: 64, slices: 40, pixelSpacing: [2, 2], sliceSpacing: 2.5 });

/** Runs the CLI capturing stderr. */
async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const original = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = original;
  }
}

test('classify writes { model, version, findings } for a local series, matching the model on the same input', async () => {
  const out = join(work, 'findings.json');
  const { code, stderr } = await cli(['classify', '--dicom', series, '--out', out, '--model', TINY]);
  assert.equal(code, 0, stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')) as {
    model: string;
    version: string;
    findings: { abnormality: string; location: string | null; probability: number; positive: boolean }[];
  };
  assert.deepEqual(Object.keys(result), ['model', 'version', 'findings']);
  assert.equal(result.model, 'tiny-fixture');
  assert.equal(result.version, '1.0.0');
  assert.deepEqual(
    result.findings.map((f) => [f.abnormality, f.location]),
    [
      ['pleural_effusion', 'left_lung'],
      ['pneumothorax', null],
      ['nodule', null],
      ['mass', null],
    ],
  );
  // The tiny model's first output is the mean of its input: recompute it through the same image path.
  const r = validateManifest(JSON.parse(readFileSync(join(TINY, 'model.json'), 'utf8')));
  assert.ok(r.ok);
  const input = await seriesInput(series, r.manifest.preprocessing);
  const mean = input.data.reduce((a, b) => a + b, 0) / input.data.length;
  assert.ok(Math.abs(result.findings[0]!.probability - sigmoid(mean)) < 1e-5);
  assert.ok(Math.abs(result.findings[1]!.probability - sigmoid(-mean)) < 1e-5);
  for (const [i, f] of result.findings.entries()) {
    assert.equal(f.positive, f.probability >= r.manifest.labels[i]!.threshold);
  }
  assert.match(stderr, /classify: tiny-fixture 1.0.0 on cpu; \d+ positive of 4/);
});

test('classify of a folder without DICOM is one clear line and exit code 1, and writes nothing', async () => {
  const empty = join(work, 'empty');
  mkdirSync(empty);
  const out = join(work, 'none.json');
  const { code, stderr } = await cli(['classify', '--dicom', empty, '--out', out, '--model', TINY]);
  assert.equal(code, 1);
  assert.match(stderr, /^ct-fhir classify: no DICOM instances under .*empty/);
  assert.equal(stderr.trim().split('\n').length, 1);
  assert.equal(existsSync(out), false);
});

test('classify of a series too short for the method (30 slices or fewer) fails clearly', async () => {
  const short = join(work, 'short');
  writeSyntheticSeries(short, { rows: 32, columns: 32, slices: 10 });
  const { code, stderr } = await cli([
    'classify',
    '--dicom',
    short,
    '--out',
    join(work, 'short.json'),
    '--model',
    TINY,
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /^ct-fhir classify: .*\b(31|30|slices|instances)\b/);
});

test('classify with a missing model folder names the manifest it could not read', async () => {
  const { code, stderr } = await cli([
    'classify',
    '--dicom',
    series,
    '--out',
    join(work, 'x.json'),
    '--model',
    join(work, 'no-model'),
  ]);
  assert.equal(code, 1);
  assert.match(stderr, /^ct-fhir classify: model manifest .*no-model\/model.json cannot be read/);
});

test('classify without --out is a usage error', async () => {
  const { code, stderr } = await cli(['classify', '--dicom', series]);
  assert.equal(code, 1);
  assert.match(stderr, /--dicom and --out are required/);
});

test('classifyVolume (the job path: an assembled volume) gives the same findings as the classify command', async () => {
  const out = join(work, 'same.json');
  assert.equal((await cli(['classify', '--dicom', series, '--out', out, '--model', TINY])).code, 0);
  const fromCli = JSON.parse(readFileSync(out, 'utf8')) as { findings: unknown[] };
  const model = await openModel(TINY, silentLogger);
  const { volume } = await loadVolumeFromFolder(series);
  const p = await classifyVolume(model, volume);
  await model.close();
  assert.equal(p.version, '1.0.0');
  assert.deepEqual(p.findings, fromCli.findings);
  assert.ok(p.preprocessMs >= 0);
});
