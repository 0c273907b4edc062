// `ct-fhir eval-model` as a user runs it (a child process) with the bundled model on four phantoms written by
// `ct-fhir phantom`: the table and ROC PNGs, and a label column with one class only, whose AUROC is undefined and
// must say so (not NaN, not a flat ROC curve that reads as AUROC 0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type CliResult } from '../../support/cli.js';

const MODEL = fileURLToPath(new URL('../../../models/ctnet-phantom', import.meta.url));

const run = (args: string[]): CliResult => runCli(args);

const work = mkdtempSync(join(tmpdir(), 'ctfhir-eval-phantoms-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

test('eval-model on phantoms: metrics, table and ROC PNGs; a one-class label is reported as AUROC undefined', () => {
  const root = join(work, 'studies');
  const studies = [
    { name: 's1', effusion: 1 },
    { name: 's2', effusion: 1 },
    { name: 's3', effusion: 0 },
    { name: 's4', effusion: 0 },
  ];
  for (const [i, s] of studies.entries()) {
    const args = ['phantom', '--out', join(root, s.name), '--seed', String(20 + i), '--size', '96x96x40'];
    args.push('--spacing', '3.7x3.7x7.5', '--no-report');
    if (s.effusion) args.push('--findings', 'pleural_effusion@left_lung:large');
    const r = run(args);
    assert.equal(r.code, 0, r.stderr);
  }
  // pneumothorax: every study negative, so its AUROC is undefined
  const labels = join(work, 'labels.csv');
  writeFileSync(
    labels,
    ['study,pleural_effusion,pneumothorax', ...studies.map((s) => `${s.name},${s.effusion},0`)].join('\n'),
  );
  const out = join(work, 'out');
  const r = run([
    'eval-model',
    '--dicom-root',
    root,
    '--labels',
    labels,
    '--out',
    out,
    '--model',
    MODEL,
    '--resamples',
    '200',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\| pleural_effusion \| 2 \| 2 \| \d\.\d{3} \|/);
  assert.match(r.stdout, /\| pneumothorax \| 0 \| 4 \| n\/a \|/);
  assert.match(
    r.stderr,
    /AUROC undefined \(needs positive and negative studies\): pneumothorax \(0 positive, 4 negative\)/,
  );
  const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
    evaluated: number;
    labels: { abnormality: string; auroc: number | null; averagePrecision: number | null }[];
  };
  assert.equal(metrics.evaluated, 4);
  const byName = new Map(metrics.labels.map((l) => [l.abnormality, l]));
  assert.equal(typeof byName.get('pleural_effusion')?.auroc, 'number');
  assert.equal(byName.get('pneumothorax')?.auroc, null);
  assert.equal(byName.get('pneumothorax')?.averagePrecision, null);
  const table = readFileSync(join(out, 'metrics.md'), 'utf8');
  assert.doesNotMatch(table, /NaN/);
  assert.match(table, /AUROC undefined .*: pneumothorax \(0 positive, 4 negative\)/);
  assert.equal(readFileSync(join(out, 'roc-pleural_effusion.png')).subarray(1, 4).toString(), 'PNG');
  assert.equal(existsSync(join(out, 'roc-pneumothorax.png')), false, 'no ROC curve for a label without positives');
});
