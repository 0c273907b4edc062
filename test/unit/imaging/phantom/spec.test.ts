import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { phantom } from '../../../../src/commands/phantom.js';
import { parseDicom } from '../../../../src/imaging/dicom/index.js';
import {
  FINDING_NAMES,
  createRng,
  formatFinding,
  parseFindings,
  randomFindings,
} from '../../../../src/imaging/phantom/index.js';

describe('phantom finding specs', () => {
  it('parses names, locations, sizes in mm or cm, and severities', () => {
    assert.deepEqual(
      parseFindings('nodule@right_upper:12mm, pleural_effusion@left_lung:large,mass@hilum:4cm,cardiomegaly'),
      [
        { abnormality: 'nodule', location: 'right_upper', sizeMm: 12 },
        { abnormality: 'pleural_effusion', location: 'left_lung', severity: 'large' },
        { abnormality: 'mass', location: 'hilum', sizeMm: 40 },
        { abnormality: 'cardiomegaly', location: 'heart', severity: 'moderate' },
      ],
    );
    assert.deepEqual(parseFindings(''), []);
  });

  it('rejects bad specs with messages that say what is allowed', () => {
    const cases: [string, RegExp][] = [
      ['tumour@lung', /unknown finding "tumour" \(known: nodule, mass/],
      ['nodule@heart:5mm', /location "heart" is not allowed for nodule \(allowed: right_upper/],
      ['nodule@right_upper:12', /size "12" of nodule must be a number with mm or cm/],
      ['nodule@right_upper:45mm', /outside 3-30 mm; use mass for larger lesions/],
      ['pleural_effusion@left_lung:huge', /severity "huge" of pleural_effusion is not one of small, moderate, large/],
      ['cardiomegaly,cardiomegaly:mild', /cardiomegaly is requested twice/],
      ['nodule right_upper', /must look like name\[@location\]/],
    ];
    for (const [text, message] of cases) assert.throws(() => parseFindings(text), message, text);
  });

  it('draws random findings that parse back from their formatted form', () => {
    let nonEmpty = 0;
    for (let seed = 0; seed < 40; seed++) {
      const specs = randomFindings(createRng(seed));
      if (specs.length > 0) nonEmpty++;
      for (const s of specs) assert.ok(FINDING_NAMES.includes(s.abnormality));
      assert.deepEqual(parseFindings(specs.map(formatFinding).join(',')), specs);
    }
    assert.ok(nonEmpty > 20 && nonEmpty < 40);
  });
});

describe('ct-fhir phantom command', () => {
  it('writes one DICOM file per slice, report.txt and labels.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ctfhir-phantom-'));
    try {
      const code = await phantom([
        '--out',
        dir,
        '--seed',
        '4',
        '--size',
        '64x64x32',
        '--spacing',
        '5.6x5.6x11.7',
        '--findings',
        'nodule@right_lower:20mm',
      ]);
      assert.equal(code, 0);
      const files = (await readdir(dir)).sort();
      assert.equal(files.filter((f) => f.endsWith('.dcm')).length, 32);
      assert.ok(files.includes('report.txt') && files.includes('labels.json'));
      const labels = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as {
        findings: { abnormality: string; location: string }[];
        study: { studyInstanceUid: string };
      };
      assert.deepEqual(
        labels.findings.map((f) => [f.abnormality, f.location]),
        [['nodule', 'right_lower']],
      );
      const ds = parseDicom(await readFile(join(dir, 'CT000001.dcm')));
      assert.equal(ds.string('StudyInstanceUID'), labels.study.studyInstanceUid);
      assert.match(await readFile(join(dir, 'report.txt'), 'utf8'), /20 mm/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes a training set of phantoms with random findings into one folder per seed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ctfhir-phantom-'));
    try {
      assert.equal(
        await phantom([
          '--out',
          dir,
          '--seed',
          '10',
          '--count',
          '2',
          '--random-findings',
          '--size',
          '32x32x8',
          '--spacing',
          '11.2x11.2x47',
        ]),
        0,
      );
      assert.deepEqual((await readdir(dir)).sort(), ['10', '11']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad arguments with a usage error', async () => {
    const cases: [string[], RegExp][] = [
      [[], /--out <dir> is required/],
      [['--out', '/tmp/x', '--size', '512x512'], /--size must be three integers/],
      [['--out', '/tmp/x', '--size', '512x0x300'], /--size must be three integers/],
      [['--out', '/tmp/x', '--spacing', '0.7x-1x1'], /--spacing must be three positive numbers/],
      [['--out', '/tmp/x', '--seed', 'abc'], /--seed must be an integer/],
      [['--out', '/tmp/x', '--findings', 'nodule@liver'], /location "liver" is not allowed/],
      [['--out', '/tmp/x', '--findings', 'nodule', '--random-findings'], /either --findings or --random-findings/],
      [['--out', '/tmp/x', '--count', '3'], /--count needs --random-findings/],
      [['--out', '/tmp/x', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      await assert.rejects(
        phantom(argv),
        (e: unknown) => e instanceof Error && e.name === 'UsageError' && message.test(e.message),
        argv.join(' '),
      );
    }
  });
});
