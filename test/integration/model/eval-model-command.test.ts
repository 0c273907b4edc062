import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { main } from '../../../src/cli.js';
import { validateManifest } from '../../../src/imaging/model/manifest.js';
import { writeSyntheticSeries } from '../../support/ct-series.js';

const work = mkdtempSync(join(tmpdir(), 'ctfhir-eval-'));
const root = join(work, 'studies');
// Each study is one uniform HU value (above -461 HU so the tiny model's log output stays finite): the tiny model
// (output 0 = mean of its input) ranks them by that value.
const STUDIES = [
  { name: 'a', hu: -400, truth: 0 },
  { name: 'b', hu: -200, truth: 0 },
  { name: 'c', hu: 0, truth: 1 },
  { name: 'd', hu: 150, truth: 1 },
];
for (const s of STUDIES) {
  const pixels = new Int16Array(32 * 32).fill(s.hu + 1024);
  writeSyntheticSeries(join(root, s.name), {
    rows: 32,
    columns: 32,
    slices: 32,
    pixelSpacing: [4, 4],
    sliceSpacing: 4,
    slice: () => ({ pixels }),
  });
}

/** Runs the CLI capturing stderr (stdout belongs to the test runner; --quiet keeps the table off it). */
async function quietly(args: string[]): Promise<{ code: number; stderr: string }> {
  const err = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((c: string) => ((stderr += c), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = err;
  }
}

test('eval-model writes per-label metrics, the table, predictions and ROC PNGs, and can store metrics in the manifest', async () => {
  const model = join(work, 'model');
  cpSync('test/fixtures/model/tiny', model, { recursive: true });
  const csv = [
    'study,pleural_effusion@left_lung,pneumothorax',
    ...STUDIES.map((s) => `${s.name},${s.truth},${1 - s.truth}`),
  ];
  writeFileSync(join(work, 'labels.csv'), csv.join('\n') + '\n');
  const out = join(work, 'out');
  const r = await quietly([
    'eval-model',
    '--dicom-root',
    root,
    '--labels',
    join(work, 'labels.csv'),
    '--out',
    out,
    '--model',
    model,
    '--resamples',
    '200',
    '--update-manifest',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    evaluated: number;
    labels: { abnormality: string; auroc: number; positives: number }[];
    notInLabelsCsv: string[];
    meanAuroc: number;
  };
  assert.equal(metrics.evaluated, 4);
  // output 0 rises with the mean HU: perfect ranking for pleural_effusion; output 1 (= -mean) is perfect for its reverse
  assert.deepEqual(
    metrics.labels.map((l) => [l.abnormality, l.auroc, l.positives]),
    [
      ['pleural_effusion', 1, 2],
      ['pneumothorax', 1, 2],
    ],
  );
  assert.deepEqual(metrics.notInLabelsCsv, ['nodule', 'mass']);
  const table = readFileSync(join(out, 'metrics.md'), 'utf8');
  assert.match(table, /\| pleural_effusion@left_lung \| 2 \| 2 \| 1.000 \|/);
  assert.match(table, /mean AUROC over 2 labels: 1.000/);
  assert.equal(readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n').length, 5);
  const png = readFileSync(join(out, 'roc-pleural_effusion@left_lung.png'));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const idat = png.indexOf('IDAT');
  assert.ok(inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4))).length === (320 * 3 + 1) * 320);
  // --update-manifest: metrics land in model.json, which still validates
  const updated = validateManifest(JSON.parse(readFileSync(join(model, 'model.json'), 'utf8')));
  assert.ok(updated.ok, updated.ok ? '' : updated.problems.join('\n'));
  assert.equal(updated.manifest.labels[0]!.metrics?.auroc, 1);
  assert.equal(updated.manifest.evaluation?.cases, 4);
});

// Folders listed in labels.csv that hold no usable series (a folder that is not there at all is a labels.csv error).
mkdirSync(join(root, 'unreadable'));
mkdirSync(join(root, 'unreadable-2'));

test('eval-model records studies that cannot be read, says so on stderr, and evaluates the rest', async () => {
  writeFileSync(join(work, 'labels2.csv'), 'study,pleural_effusion@left_lung\na,0\nunreadable,1\nd,1\n');
  const out = join(work, 'out2');
  const r = await quietly([
    'eval-model',
    '--dicom-root',
    root,
    '--labels',
    join(work, 'labels2.csv'),
    '--out',
    out,
    '--model',
    'test/fixtures/model/tiny',
    '--resamples',
    '0',
    '--quiet',
  ]);
  assert.equal(r.code, 0, r.stderr);
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    evaluated: number;
    failures: { study: string; error: string }[];
  };
  assert.equal(metrics.evaluated, 2);
  assert.equal(metrics.failures[0]!.study, 'unreadable');
  assert.match(metrics.failures[0]!.error, /no DICOM instances under .*unreadable/);
  assert.match(r.stderr, /eval-model: study unreadable not evaluated: no DICOM instances/);
  // predictions.csv keeps one field per column for the study that failed
  const rows = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n');
  assert.ok(rows.every((row) => row.split(',').length === 5));
});

test('eval-model --update-manifest leaves model.json alone when no study could be evaluated', async () => {
  const model = join(work, 'model-none');
  cpSync('test/fixtures/model/tiny', model, { recursive: true });
  const before = readFileSync(join(model, 'model.json'), 'utf8');
  writeFileSync(join(work, 'none.csv'), 'study,pneumothorax\nunreadable,1\nunreadable-2,0\n');
  const r = await quietly([
    'eval-model',
    '--dicom-root',
    root,
    '--labels',
    join(work, 'none.csv'),
    '--out',
    join(work, 'out-none'),
    '--model',
    model,
    '--resamples',
    '0',
    '--update-manifest',
    '--quiet',
  ]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(readFileSync(join(model, 'model.json'), 'utf8'), before, 'the stored metrics are kept');
  assert.match(r.stderr, /left unchanged/);
  assert.match(r.stderr, /none of the 2 studies could be evaluated/);
});

test('eval-model with a bad labels.csv fails with one line naming the problem', async () => {
  writeFileSync(join(work, 'bad.csv'), 'study,nodule\na,maybe\n');
  const out = join(work, 'out3');
  const r = await quietly([
    'eval-model',
    '--dicom-root',
    root,
    '--labels',
    join(work, 'bad.csv'),
    '--out',
    out,
    '--model',
    'test/fixtures/model/tiny',
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^ct-fhir eval-model: labels.csv row 2, column nodule: "maybe" must be 0, 1 or empty/);
  assert.equal(existsSync(join(out, 'metrics.json')), false);
});

test('eval-model refuses a labels.csv that does not fit the model or the folders, one line each, before any run', async () => {
  const out = join(work, 'out-refused');
  const cases: [string, RegExp][] = [
    ['study,pneumothorax,ghost\na,1,0\nb,0,1\n', /labels\.csv column "ghost" names no label of model .*pneumothorax/],
    ['study,pneumothorax,pneumothorax\na,1,0\nb,0,1\n', /labels\.csv names column "pneumothorax" twice/],
    [
      'study,pneumothorax\na,1\nnot-there,0\n',
      /does not match the folders: 1 of 2 studies have no folder .*"not-there"/,
    ],
    ['study,pneumothorax\na,1\nb\n', /labels\.csv: record 3 has 1 fields, the header has 2/],
    ['study,pneumothorax\na,1\nb,0,1\n', /labels\.csv: record 3 has 3 fields, the header has 2/],
    ['study,pneumothorax\n"a,1\n', /CSV record 2: unterminated quoted field/],
    ['study,pneumothorax\n', /labels\.csv lists no study/],
    ['study\na\n', /labels\.csv has no label column/],
    ['id,pneumothorax\na,1\n', /labels\.csv needs a "study" column/],
  ];
  for (const [i, [csv, message]] of cases.entries()) {
    const labels = join(work, `refused-${i}.csv`);
    writeFileSync(labels, csv);
    const r = await quietly([
      'eval-model',
      '--dicom-root',
      root,
      '--labels',
      labels,
      '--out',
      out,
      '--model',
      'test/fixtures/model/tiny',
    ]);
    assert.equal(r.code, 1, `${csv}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
  const latin1 = join(work, 'latin1.csv');
  writeFileSync(latin1, Buffer.from('study,pneumothorax\na,1\n\xe9,0\n', 'latin1'));
  const enc = await quietly([
    'eval-model',
    '--dicom-root',
    root,
    '--labels',
    latin1,
    '--out',
    out,
    '--model',
    'test/fixtures/model/tiny',
  ]);
  assert.equal(enc.code, 1);
  assert.match(enc.stderr, /^ct-fhir eval-model: --labels .*latin1\.csv is not valid UTF-8 \(at byte 23\)/);
  assert.equal(existsSync(out), false, 'nothing written');
});

test('eval-model: a missing --dicom-root and an --out that is a file are one line each', async () => {
  const labels = join(work, 'ok.csv');
  writeFileSync(labels, '\ufeffstudy,pneumothorax\r\na,1\r\nb,0\r\n'); // BOM and CRLF, as spreadsheets save
  const base = ['eval-model', '--labels', labels, '--model', 'test/fixtures/model/tiny', '--resamples', '0', '--quiet'];
  const noRoot = await quietly([...base, '--dicom-root', join(work, 'no-root'), '--out', join(work, 'o1')]);
  assert.equal(noRoot.code, 1);
  assert.match(noRoot.stderr, /^ct-fhir eval-model: --dicom-root .*no-root: no such file or folder\n$/);
  const outFile = await quietly([...base, '--dicom-root', root, '--out', labels]);
  assert.equal(outFile.code, 1);
  assert.match(outFile.stderr, /^ct-fhir eval-model: cannot create --out .*ok\.csv: a file is in the way\n$/);
  const ok = await quietly([...base, '--dicom-root', root, '--out', join(work, 'o2')]);
  assert.equal(ok.code, 0, ok.stderr);
});
