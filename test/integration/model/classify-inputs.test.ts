// `ct-fhir classify` as a user runs it (a child process) on phantoms written by `ct-fhir phantom`, with the bundled
// model: the output contract, and one clear line with exit code 1 for every unusable series, path or model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type CliResult } from '../../support/cli.js';

const MODEL = fileURLToPath(new URL('../../../models/ctnet-phantom', import.meta.url));

const run = (args: string[]): CliResult => runCli(args);

const work = mkdtempSync(join(tmpdir(), 'ctfhir-classify-cli-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** A small phantom series (the model resamples to its own grid; 40 slices pass the 31-slice minimum). */
function phantom(dir: string, size: string, findings?: string): void {
  const args = ['phantom', '--out', dir, '--seed', '7', '--size', size, '--spacing', '3.7x3.7x7.5', '--no-report'];
  const r = run(findings ? [...args, '--findings', findings] : args);
  assert.equal(r.code, 0, r.stderr);
}

const good = join(work, 'good');
phantom(good, '96x96x40', 'pleural_effusion@left_lung:large');

/** Exit 1, exactly one `ct-fhir classify:` line, last, matching `message`; no stack; nothing written. */
function refused(args: string[], message: RegExp, out = join(work, 'refused.json')): void {
  const existed = existsSync(out);
  const r = run(['classify', ...args, '--out', out]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  const errors = lines.filter((l) => l.startsWith('ct-fhir classify:'));
  assert.equal(errors.length, 1, r.stderr);
  assert.equal(lines.at(-1), errors[0]);
  assert.match(errors[0]!, message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(existsSync(out), existed, 'no output file');
  assert.deepEqual(
    readdirSync(work).filter((f) => f.endsWith('.tmp')),
    [],
    'no temporary file left',
  );
}

test('classify writes { model, version, findings } with the bundled model', () => {
  const out = join(work, 'findings.json');
  const r = run(['classify', '--dicom', good, '--out', out, '--model', MODEL]);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(readFileSync(out, 'utf8')) as Record<string, unknown> & { findings: unknown[] };
  assert.deepEqual(Object.keys(result), ['model', 'version', 'findings']);
  assert.equal(result.model, 'ctnet-phantom');
  assert.equal(typeof result.version, 'string');
  assert.ok(result.findings.length > 0);
  for (const f of result.findings as Record<string, unknown>[]) {
    assert.deepEqual(Object.keys(f), ['abnormality', 'location', 'probability', 'positive']);
    assert.equal(typeof f.abnormality, 'string');
    assert.ok(f.location === null || typeof f.location === 'string');
    assert.ok(typeof f.probability === 'number' && f.probability >= 0 && f.probability <= 1);
    assert.equal(typeof f.positive, 'boolean');
  }
  assert.match(r.stderr, /^classify: ctnet-phantom \S+ on cpu; \d+ positive of \d+/);
});

test('classify: unusable series are one line and exit 1', () => {
  const empty = join(work, 'empty');
  mkdirSync(empty);
  refused(['--dicom', empty], /no DICOM instances under .*empty \(0 files\)/);

  const notDicom = join(work, 'not-dicom');
  mkdirSync(notDicom);
  writeFileSync(join(notDicom, 'notes.txt'), 'hello\n');
  writeFileSync(join(notDicom, 'x.dcm'), Buffer.alloc(3000, 7));
  refused(['--dicom', notDicom], /no DICOM instances under .*not-dicom \(2 files; skipped/);

  const single = join(work, 'single');
  mkdirSync(single);
  const files = readdirSync(good).filter((f) => f.endsWith('.dcm'));
  copyFileSync(join(good, files[0]!), join(single, files[0]!));
  refused(['--dicom', single], /no usable series among 1 .*1 instance\(s\), fewer than 31/);

  // one series whose slices change size halfway (the same phantom UIDs written at two matrix sizes)
  const small = join(work, 'small');
  phantom(small, '64x64x40');
  const mixed = join(work, 'mixed');
  mkdirSync(mixed);
  for (const [i, f] of files.entries()) copyFileSync(join(i < 20 ? good : small, f), join(mixed, f));
  refused(['--dicom', mixed], /96x96 pixels but the series started with|64x64 pixels but the series started with/);
});

test('classify: paths that cannot be used are one line naming the flag, found before the model runs', () => {
  refused(['--dicom', join(work, 'nope')], /^ct-fhir classify: --dicom .*nope: no such file or folder$/);
  refused(['--dicom', join(good, readdirSync(good)[0]!)], /^ct-fhir classify: --dicom .*: not a folder$/);
  const folder = join(work, 'out-folder');
  mkdirSync(folder);
  refused(['--dicom', good], /^ct-fhir classify: cannot write --out .*out-folder: is a folder$/, folder);
  refused(
    ['--dicom', good],
    /^ct-fhir classify: cannot write --out .*no-such-dir\/f\.json: no such file or folder/,
    join(work, 'no-such-dir', 'f.json'),
  );
});

test('classify: a broken model folder is one line naming what is wrong', () => {
  const broken = join(work, 'broken-model');
  cpSync(MODEL, broken, { recursive: true });
  writeFileSync(join(broken, 'model.onnx'), readFileSync(join(MODEL, 'model.onnx')).subarray(0, 4096));
  refused(['--dicom', good, '--model', broken], /^ct-fhir classify: model ctnet-phantom .* cannot be loaded/);
  writeFileSync(join(broken, 'model.json'), '{"schema":');
  refused(['--dicom', good, '--model', broken], /^ct-fhir classify: .*model\.json is not valid JSON/);
  refused(
    ['--dicom', good, '--model', join(work, 'no-model')],
    /model manifest .*no-model\/model\.json cannot be read/,
  );
});
