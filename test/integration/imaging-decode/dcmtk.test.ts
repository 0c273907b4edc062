// Third-party encoders: the team's synthetic CT slices encoded by dcmtk (RLE, JPEG Lossless process 14, JPEG-LS,
// deflate, big endian, implicit VR) and OpenJPEG (JPEG 2000), then decoded back by ct-fhir, bit-exact.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  parseDicom,
  readPixelData,
  frameCount,
  frameBytes,
  decoderFor,
  frameInfo,
  PixelDataError,
} from '../../../src/imaging/dicom/index.js';
import { loadVolumeFromFolder } from '../../../src/imaging/volume/index.js';
import { writeSyntheticSeries, syntheticSlice, type SeriesSpec } from '../../support/ct-series.js';
import { newUid, writeCtSlice } from '../../support/dicom-writer.js';

const has = (tool: string): boolean => spawnSync(tool, ['-h'], { stdio: 'ignore' }).error === undefined;
const DCMTK = has('dcmconv') ? false : 'dcmtk is not installed (apt-get install dcmtk)';
const OPENJPEG = has('opj_compress') ? false : 'opj_compress is not installed (apt-get install libopenjp2-tools)';

// A: stored values positive (intercept -1024); B: stored values negative (intercept 0), to exercise signed paths.
const SPEC_A: SeriesSpec = { rows: 64, columns: 48, slices: 3, seed: 11, rescaleIntercept: -1024 };
const SPEC_B: SeriesSpec = { rows: 33, columns: 31, slices: 3, seed: 5, rescaleIntercept: 0 };

let dir = '';
const src: Record<'A' | 'B', string[]> = { A: [], B: [] };
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ctfhir-decode-'));
  src.A = writeSyntheticSeries(join(dir, 'A'), SPEC_A).files.sort();
  src.B = writeSyntheticSeries(join(dir, 'B'), SPEC_B).files.sort();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const VARIANTS: { name: string; tool: string; args: string[]; ts: string }[] = [
  { name: 'RLE Lossless', tool: 'dcmcrle', args: [], ts: '1.2.840.10008.1.2.5' },
  { name: 'JPEG Lossless SV1', tool: 'dcmcjpeg', args: ['+e1'], ts: '1.2.840.10008.1.2.4.70' },
  {
    name: 'JPEG Lossless process 14, predictor 7',
    tool: 'dcmcjpeg',
    args: ['+el', '+sv', '7'],
    ts: '1.2.840.10008.1.2.4.57',
  },
  {
    name: 'JPEG Lossless in 1 KiB fragments with offset table',
    tool: 'dcmcjpeg',
    args: ['+e1', '+fs', '1'],
    ts: '1.2.840.10008.1.2.4.70',
  },
  {
    name: 'JPEG Lossless with an empty offset table',
    tool: 'dcmcjpeg',
    args: ['+e1', '-ot'],
    ts: '1.2.840.10008.1.2.4.70',
  },
  { name: 'JPEG-LS lossless', tool: 'dcmcjpls', args: ['+el'], ts: '1.2.840.10008.1.2.4.80' },
  { name: 'deflated explicit VR little endian', tool: 'dcmconv', args: ['+td'], ts: '1.2.840.10008.1.2.1.99' },
  { name: 'explicit VR big endian', tool: 'dcmconv', args: ['+tb'], ts: '1.2.840.10008.1.2.2' },
  { name: 'implicit VR little endian', tool: 'dcmconv', args: ['+ti'], ts: '1.2.840.10008.1.2' },
];

function encodeAll(files: string[], tool: string, args: string[], out: string): string[] {
  mkdirSync(out, { recursive: true });
  return files.map((f, i) => {
    const target = join(out, `${i}.dcm`);
    execFileSync(tool, [...args, f, target], { stdio: 'pipe' });
    return target;
  });
}

async function assertBitExact(files: string[], spec: SeriesSpec, ts: string): Promise<void> {
  for (let i = 0; i < files.length; i++) {
    const ds = parseDicom(readFileSync(files[i]!));
    assert.equal(ds.transferSyntaxUid, ts);
    const px = await readPixelData(ds);
    const expected = syntheticSlice(spec, i);
    assert.ok(px instanceof Int16Array, `${px.constructor.name}`);
    assert.equal(px.length, expected.length);
    let diffs = 0;
    for (let k = 0; k < expected.length; k++) if (px[k] !== expected[k]) diffs++;
    assert.equal(diffs, 0, `slice ${i}: ${diffs} pixels differ`);
  }
}

for (const v of VARIANTS) {
  test(`dcmtk ${v.name}: decoded bit-exact (positive and negative stored values)`, { skip: DCMTK }, async () => {
    for (const [key, spec] of [
      ['A', SPEC_A],
      ['B', SPEC_B],
    ] as const) {
      const files = encodeAll(src[key], v.tool, v.args, join(dir, `${v.tool}${v.args.join('')}-${key}`));
      await assertBitExact(files, spec, v.ts);
    }
  });
}

test(
  'dcmtk JPEG-LS near-lossless (NEAR 2) of unsigned pixels: every pixel within 2 of the original',
  { skip: DCMTK },
  async () => {
    // dcmcjpls refuses near-lossless for signed pixels; series A's stored values are all positive, so mark them unsigned.
    const unsigned = join(dir, 'unsigned');
    const spec: SeriesSpec = {
      ...SPEC_A,
      slices: 1,
      slice: () => ({ extra: [{ tag: 0x00280103, vr: 'US', value: [0] }] }),
    };
    const [file] = writeSyntheticSeries(unsigned, spec).files;
    const [out] = encodeAll([file!], 'dcmcjpls', ['+en'], join(dir, 'jls-near'));
    const ds = parseDicom(readFileSync(out!));
    assert.equal(ds.transferSyntaxUid, '1.2.840.10008.1.2.4.81');
    const px = await readPixelData(ds);
    assert.ok(px instanceof Uint16Array);
    const expected = syntheticSlice(spec, 0);
    let worst = 0;
    for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(px[k]! - expected[k]!));
    assert.ok(worst <= 2 && worst > 0, `max deviation ${worst}`);
  },
);

test('a dcmtk-encoded folder assembles to the same HU volume as the native folder', { skip: DCMTK }, async () => {
  const criteria = { minSlices: 1 };
  const native = await loadVolumeFromFolder(join(dir, 'A'), { criteria });
  for (const [tool, args] of [
    ['dcmcrle', []],
    ['dcmcjpls', []],
  ] as const) {
    const out = join(dir, `vol-${tool}`);
    encodeAll(src.A, tool, [...args], out);
    const encoded = await loadVolumeFromFolder(out, { criteria });
    assert.deepEqual(encoded.volume.shape, native.volume.shape);
    assert.deepEqual(encoded.volume.spacing, native.volume.spacing);
    assert.ok(Buffer.from(encoded.volume.data.buffer).equals(Buffer.from(native.volume.data.buffer)), tool);
  }
});

test(
  'multi-frame RLE and JPEG-LS from dcmtk: each frame found through the offset table and decoded',
  { skip: DCMTK },
  async () => {
    const frames = [0, 1, 2].map((i) => syntheticSlice(SPEC_B, i));
    const all = new Int16Array(frames.length * frames[0]!.length);
    frames.forEach((f, i) => all.set(f, i * f.length));
    const file = join(dir, 'multi.dcm');
    writeFileSync(
      file,
      writeCtSlice({
        rows: SPEC_B.rows,
        columns: SPEC_B.columns,
        pixels: all,
        position: [0, 0, 0],
        studyUid: newUid(),
        seriesUid: newUid(),
        instanceNumber: 1,
        extra: [{ tag: 0x00280008, vr: 'IS', value: '3' }],
      }),
    );
    for (const tool of ['dcmcrle', 'dcmcjpls']) {
      const out = join(dir, `multi-${tool}.dcm`);
      execFileSync(tool, [file, out], { stdio: 'pipe' });
      const ds = parseDicom(readFileSync(out));
      assert.equal(frameCount(ds), 3);
      for (let f = 0; f < 3; f++)
        assert.deepEqual([...(await readPixelData(ds, f))], [...frames[f]!], `${tool} frame ${f + 1}`);
    }
  },
);

test('OpenJPEG lossless JPEG 2000 codestreams decode bit-exact', { skip: OPENJPEG }, async () => {
  const out = join(dir, 'j2k');
  mkdirSync(out, { recursive: true });
  for (const [key, spec] of [
    ['A', SPEC_A],
    ['B', SPEC_B],
  ] as const) {
    for (let i = 0; i < spec.slices; i++) {
      const pixels = syntheticSlice(spec, i);
      const raw = join(out, `${key}${i}.rawl`);
      const j2k = join(out, `${key}${i}.j2k`);
      writeFileSync(raw, new Uint8Array(pixels.buffer));
      execFileSync('opj_compress', ['-i', raw, '-o', j2k, '-F', `${spec.columns},${spec.rows},1,16,s`, '-n', '3'], {
        stdio: 'pipe',
      });
      const bytes = writeCtSlice({
        rows: spec.rows,
        columns: spec.columns,
        pixels,
        position: [0, 0, i],
        studyUid: newUid(),
        seriesUid: newUid(),
        instanceNumber: i + 1,
        encapsulated: { transferSyntaxUid: '1.2.840.10008.1.2.4.90', frames: [new Uint8Array(readFileSync(j2k))] },
      });
      const ds = parseDicom(bytes);
      const px = await readPixelData(ds);
      assert.ok(px instanceof Int16Array);
      assert.deepEqual([...px], [...pixels], `${key} slice ${i}`);
    }
  }
  assert.ok(readdirSync(out).length > 0);
});

test(
  'a truncated JPEG Lossless or JPEG-LS frame from dcmtk is a PixelDataError, not garbage pixels',
  { skip: DCMTK },
  async () => {
    for (const [tool, args] of [
      ['dcmcjpeg', ['+e1']],
      ['dcmcjpls', []],
    ] as const) {
      const [file] = encodeAll(src.A.slice(0, 1), tool, [...args], join(dir, `trunc-${tool}`));
      const ds = parseDicom(readFileSync(file!));
      const frame = frameBytes(ds, 0);
      const decode = await decoderFor(ds.transferSyntaxUid);
      await assert.rejects(
        async () => decode(frame.subarray(0, frame.byteLength >> 1), frameInfo(ds)),
        PixelDataError,
        tool,
      );
    }
  },
);
