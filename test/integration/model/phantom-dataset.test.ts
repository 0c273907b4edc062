// The demo model's data set builder (training/make_phantom_dataset.ts) as train_phantom.py reads it: .npy files whose
// headers give the count actually kept and whose data is exactly that many float16 volumes (the volumes stream to disk,
// and their header is written over reserved room at the end), labels from the report extractor, and the seeds used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The header dictionary and data offset of a .npy v1.0 file. */
function npyHeader(file: Buffer): { descr: string; shape: number[]; offset: number } {
  assert.equal(file.subarray(0, 6).toString('latin1'), '\x93NUMPY');
  assert.deepEqual([file[6], file[7]], [1, 0]);
  const length = file.readUInt16LE(8);
  const offset = 10 + length;
  assert.equal(offset % 64, 0, 'data starts on a 64-byte boundary');
  const header = file.subarray(10, offset).toString('latin1');
  assert.ok(header.endsWith('\n'));
  const descr = /'descr': '([^']+)'/.exec(header)?.[1] ?? '';
  const shape = (/'shape': \(([^)]*)\)/.exec(header)?.[1] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  return { descr, shape, offset };
}

test('writes volumes, labels and meta for the seeds it kept, readable as .npy', () => {
  const out = mkdtempSync(join(tmpdir(), 'ctfhir-dataset-'));
  try {
    execFileSync(
      process.execPath,
      ['--import', 'tsx', 'training/make_phantom_dataset.ts', '--split', 'validation', '--count', '3', '--out', out],
      { stdio: 'pipe' },
    );
    const recipe = JSON.parse(readFileSync('training/phantom_recipe.json', 'utf8')) as {
      labels: string[];
      preprocessing: { shape: number[] };
    };
    const meta = JSON.parse(readFileSync(join(out, 'validation-meta.json'), 'utf8')) as {
      seeds: number[];
      skipped: unknown[];
      labels: string[];
    };
    const kept = meta.seeds.length;
    assert.equal(kept + meta.skipped.length, 3);
    assert.ok(kept >= 1);
    assert.deepEqual(meta.labels, recipe.labels);

    const volumes = readFileSync(join(out, 'validation-volumes.npy'));
    const v = npyHeader(volumes);
    assert.equal(v.descr, '<f2');
    assert.deepEqual(v.shape, [kept, ...recipe.preprocessing.shape]);
    const voxels = recipe.preprocessing.shape.reduce((a, b) => a * b, 1);
    assert.equal(volumes.length, v.offset + kept * voxels * 2, 'exactly the kept volumes follow the header');
    // model input lies in [-1, 1] (HU clipped, scaled and centred): no half-precision value beyond it, and not all pad
    const data = new Uint16Array(volumes.buffer, volumes.byteOffset + v.offset, kept * voxels);
    const magnitude = (h: number): number => (h & 0x7fff) / 0x3c00; // <= 1 iff |value| <= 1 (0x3c00 is 1.0)
    assert.ok(data.every((h) => magnitude(h) <= 1));
    assert.ok(new Set(data.subarray(0, voxels)).size > 100, 'a phantom, not a constant');

    const labels = readFileSync(join(out, 'validation-labels.npy'));
    const l = npyHeader(labels);
    assert.equal(l.descr, '|u1');
    assert.deepEqual(l.shape, [kept, recipe.labels.length]);
    assert.equal(labels.length, l.offset + kept * recipe.labels.length);
    assert.ok(labels.subarray(l.offset).every((b) => b === 0 || b === 1));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
