// `ct-fhir inspect` end to end through the CLI entry (bin/ct-fhir.js), on folders written by the test writer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.js';
import { writeSyntheticSeries } from '../../support/ct-series.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctfhir-inspect-'));
  writeSyntheticSeries(join(dir, 'good'), { rows: 32, columns: 32, slices: 40, sliceSpacing: 2 });
  // a second, shorter series and a stray file in the same folder: reported, not fatal
  writeSyntheticSeries(join(dir, 'good', 'scout'), { rows: 32, columns: 32, slices: 3 });
  writeFileSync(join(dir, 'good', 'README.txt'), 'not dicom');
  writeSyntheticSeries(join(dir, 'tilted'), {
    rows: 16,
    columns: 16,
    slices: 35,
    slice: (i) => ({ position: [0, i * 0.3, i * 1.25] }),
  });
  mkdirSync(join(dir, 'empty'));
  // a series whose 5th file lost its tail (pixel data cut): the header scan passes, the load names file and offset
  const { files } = writeSyntheticSeries(join(dir, 'truncated'), { rows: 64, columns: 64, slices: 32 });
  const victim = files.find((f) => f.endsWith('00004.dcm'))!;
  writeFileSync(victim, readFileSync(victim).subarray(0, 5000));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (...args: string[]) => runCli(['inspect', ...args]);

test('inspect prints the chosen series and why, size, spacing, orientation, HU range, transfer syntax and problems', () => {
  const r = run('--dicom', join(dir, 'good'));
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /series\s+series 1 \(2\.25\.\d+\): CT, ORIGINAL, axial, 40 instances \(>= 31\), the most of 1 qualifying of 2 series/,
  );
  assert.match(r.stdout, /size\s+32 x 32 x 40 \(columns x rows x slices\)/);
  assert.match(r.stdout, /spacing\s+0\.700, 0\.700, 2\.000 mm/);
  assert.match(r.stdout, /orientation\s+Image Orientation \(Patient\) 1\\0\\0\\0\\1\\0/);
  assert.match(r.stdout, /HU range\s+-1010 \.\. \d+/);
  assert.match(r.stdout, /transfer\s+Explicit VR Little Endian \(1\.2\.840\.10008\.1\.2\.1\)/);
  assert.match(r.stdout, /problems\s+2/);
  assert.match(r.stdout, /skipped README\.txt: not a DICOM file/);
  assert.match(r.stdout, /not used: 3 instance\(s\), fewer than 31/);
});

test('inspect --json gives the same facts as data', () => {
  const r = run('--dicom', join(dir, 'good'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as {
    ok: boolean;
    size: { slices: number };
    spacingMm: { z: number };
    transferSyntaxes: { uid: string }[];
    problems: string[];
  };
  assert.equal(report.ok, true);
  assert.equal(report.size.slices, 40);
  assert.equal(report.spacingMm.z, 2);
  assert.deepEqual(
    report.transferSyntaxes.map((t) => t.uid),
    ['1.2.840.10008.1.2.1'],
  );
  assert.equal(report.problems.length, 2);
});

test('an unusable series is one line on stderr and exit code 1 (text and --json)', () => {
  const r = run('--dicom', join(dir, 'tilted'));
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^ct-fhir inspect: slices are stacked 13\.50 deg off their normal \(gantry tilt\); limit 0\.5 deg \[gantry-tilt\]\n$/,
  );
  const j = run('--dicom', join(dir, 'tilted'), '--json');
  assert.equal(j.code, 1);
  assert.equal((JSON.parse(j.stdout) as { error: { code: string } }).error.code, 'gantry-tilt');
});

test('empty and missing folders, and bad flags, are clear one-line errors', () => {
  const empty = run('--dicom', join(dir, 'empty'));
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^ct-fhir inspect: no DICOM instances under .* \(0 files\) \[no-series\]\n$/);
  const missing = run('--dicom', join(dir, 'nope'));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ct-fhir inspect: --dicom .*nope: no such file or folder\n$/);
  const usage = run();
  assert.equal(usage.code, 1);
  assert.match(usage.stderr, /--dicom <dir> is required/);
  const badInt = run('--dicom', dir, '--min-slices', 'x');
  assert.match(badInt.stderr, /--min-slices must be a positive integer, got "x"/);
});

test('the slice limit and the voxel limit are honoured', () => {
  const few = run('--dicom', join(dir, 'good', 'scout'), '--min-slices', '2');
  assert.equal(few.code, 0, few.stderr);
  const big = run('--dicom', join(dir, 'good'), '--max-voxels', '1000');
  assert.equal(big.code, 1);
  assert.match(big.stderr, /over the limit of 1000 voxels \(maxVoxels\) \[too-large\]/);
});

test('a truncated file in the chosen series is one clear error naming the file, offset and PS3.5 section', () => {
  const r = run('--dicom', join(dir, 'truncated'));
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^ct-fhir inspect: .*00004\.dcm: truncated DICOM: value of \(7FE0,0010\) PixelData at offset \d+ needs 8192 bytes but only \d+ remain \(PS3\.5 section 7\.1\.1\) \[unreadable\]\n$/,
  );
});
