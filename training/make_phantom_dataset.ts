// Builds the demo model's data set from phantoms, through the product's own pipelines (method: reports -> labels ->
// classifier): each seed's phantom is written as a DICOM series, read back and preprocessed by src/imaging/volume
// exactly as `classify` does, and labelled by running the report extractor (src/reports) on the phantom's generated
// report. The phantom's ground truth (labels.json) is only used to report how well the extracted labels agree.
//
// Usage: node --import tsx training/make_phantom_dataset.ts --split train|validation|test --out <dir>
//          [--recipe training/phantom_recipe.json] [--keep-dicom <root>] [--count N] [--first SEED]
// --first/--count pick a sub-range of the split's seeds, so that shards of one split can be built in parallel
// (each shard in its own --out; train_phantom.py takes several --data folders and concatenates them).
// --max-seconds stops drawing new seeds after that long and writes the phantoms made so far (a time-boxed GPU lease
// builds as many as it can); meta.json lists the seeds actually used.
// Writes <out>/<split>-volumes.npy (float16 [N, z, y, x]), <out>/<split>-labels.npy (uint8 [N, L]) and
// <out>/<split>-meta.json. With --keep-dicom the series stay under <root>/<seed>/ with <root>/labels.csv (for eval-model).
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seriesInput } from '../src/imaging/model/series-input.js';
import {
  createPhantom,
  createRng,
  phantomIdentity,
  randomFindings,
  writePhantom,
} from '../src/imaging/phantom/index.js';
import type { PhantomGeometry } from '../src/imaging/phantom/index.js';
import { extractFindings } from '../src/reports/extract.js';
import { toVector } from '../src/reports/labels.js';
import { parsePreprocessing } from '../src/imaging/volume/preprocessing.js';
import { getTerminology } from '../src/terminology/load.js';

interface Recipe {
  geometry: PhantomGeometry;
  preprocessing: unknown;
  labels: string[];
  seeds: Record<string, [number, number]>;
}

/**
 * .npy v1.0 header (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), padded with spaces to
 * `length` bytes when given (a multiple of 64), else to the next multiple of 64.
 */
function npyHeader(descr: string, shape: number[], length?: number): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + header.length + 1;
  const total = length ?? Math.ceil(unpadded / 64) * 64;
  if (unpadded > total) throw new Error(`npy header for shape ${shape.join(' x ')} does not fit ${total} bytes`);
  header += ' '.repeat(total - unpadded) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1;
  pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1')]);
}

/** Room for the volumes' header, written last at offset 0 when the count is known (any 32-bit shape fits). */
const VOLUME_HEADER_BYTES = 128;

/** IEEE half precision, round to nearest (values here lie in [-1, 1]). */
function toHalf(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let i = 0; i < src.length; i++) {
    f[0] = src[i]!;
    const x = u[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = ((x >>> 23) & 0xff) - 127 + 15;
    const mant = x & 0x7fffff;
    if (exp <= 0) out[i] = sign | (exp < -10 ? 0 : (mant | 0x800000) >> (1 - exp + 13));
    else if (exp >= 31) out[i] = sign | 0x7c00;
    else out[i] = sign | (exp << 10) | ((mant + 0x1000) >> 13);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      split: { type: 'string' },
      out: { type: 'string' },
      recipe: { type: 'string', default: 'training/phantom_recipe.json' },
      'keep-dicom': { type: 'string' },
      count: { type: 'string' },
      first: { type: 'string' },
      'max-seconds': { type: 'string' },
    },
  });
  const recipe = JSON.parse(await readFile(values.recipe!, 'utf8')) as Recipe;
  const split = values.split ?? '';
  const range = recipe.seeds[split];
  if (!range || !values.out) throw new Error('usage: --split train|validation|test --out <dir> (see file header)');
  const [recipeFirst, recipeCount] = range;
  const first = values.first ? Number(values.first) : recipeFirst;
  const count = values.count ? Number(values.count) : recipeFirst + recipeCount - first;
  if (!Number.isInteger(first) || !Number.isInteger(count) || count < 1)
    throw new Error(`--first ${values.first} --count ${values.count}: expected integers, count >= 1`);
  if (first < recipeFirst || first + count > recipeFirst + recipeCount)
    throw new Error(
      `seeds ${first}..${first + count - 1} leave the ${split} split's ${recipeFirst}..${recipeFirst + recipeCount - 1}`,
    );
  const preprocessing = parsePreprocessing(recipe.preprocessing);
  const terminology = getTerminology();
  const [nz, ny, nx] = preprocessing.shape;
  const voxels = nz * ny * nx;
  const L = recipe.labels.length;
  // Volumes stream to their file as they are made (a shard of thousands is tens of GB, more than one typed array
  // may hold); the header, which holds the count, is written over the reserved room at the end.
  await mkdir(values.out, { recursive: true });
  const volumeFile = await open(join(values.out, `${split}-volumes.npy`), 'w');
  await volumeFile.write(npyHeader('<f2', [0, nz, ny, nx], VOLUME_HEADER_BYTES));
  const labels = new Uint8Array(count * L);
  const agree = recipe.labels.map(() => ({ tp: 0, fp: 0, fn: 0 }));
  const seeds: number[] = [];
  const skipped: { seed: number; reason: string }[] = [];
  const keep = values['keep-dicom'];
  const csv: string[] = [['study', ...recipe.labels].join(',')];
  const started = Date.now();
  const deadline = values['max-seconds'] ? Date.now() + Number(values['max-seconds']) * 1000 : Infinity;
  for (let n = 0; n < count; n++) {
    if (Date.now() > deadline) {
      process.stderr.write(`\n${split}: --max-seconds reached after ${n} seeds\n`);
      break;
    }
    const seed = first + n;
    const findings = randomFindings(createRng(seed).fork('random-findings'));
    let phantom;
    try {
      phantom = createPhantom({ seed, geometry: recipe.geometry, findings });
    } catch (err) {
      // Some random draws cannot be placed (e.g. a large mass in a small lobe): skip the seed, say so.
      skipped.push({ seed, reason: (err as Error).message });
      continue;
    }
    const dir = keep ? join(keep, String(seed)) : await mkdtemp(join(tmpdir(), 'ctfhir-phantom-'));
    const written = await writePhantom(phantom, phantomIdentity(seed, 'training'), dir);
    const input = await seriesInput(dir, preprocessing);
    if (!keep) await rm(dir, { recursive: true, force: true });
    const m = seeds.length;
    if (input.data.length !== voxels) throw new Error(`seed ${seed}: ${input.data.length} voxels, expected ${voxels}`);
    const half = toHalf(input.data);
    await volumeFile.write(new Uint8Array(half.buffer, half.byteOffset, half.byteLength));
    const vector = toVector(extractFindings(written.report, terminology.vocabulary), recipe.labels);
    labels.set(vector, m * L);
    recipe.labels.forEach((code, i) => {
      const truth = (written.labels.labels[code]?.length ?? 0) > 0;
      const got = vector[i] === 1;
      if (got && truth) agree[i]!.tp++;
      else if (got) agree[i]!.fp++;
      else if (truth) agree[i]!.fn++;
    });
    csv.push([String(seed), ...vector].join(','));
    seeds.push(seed);
    if ((n + 1) % 10 === 0 || n + 1 === count) {
      const rate = (Date.now() - started) / 1000 / (n + 1);
      process.stderr.write(`\r${split}: ${n + 1}/${count} phantoms (${rate.toFixed(2)} s each)`);
    }
  }
  process.stderr.write('\n');
  const out = values.out;
  const kept = seeds.length;
  await volumeFile.write(npyHeader('<f2', [kept, nz, ny, nx], VOLUME_HEADER_BYTES), 0, VOLUME_HEADER_BYTES, 0);
  await volumeFile.close();
  const labelBytes = labels.subarray(0, kept * L);
  await writeFile(join(out, `${split}-labels.npy`), Buffer.concat([npyHeader('|u1', [kept, L]), labelBytes]));
  const prevalence = recipe.labels.map((_, i) => {
    let p = 0;
    for (let n = 0; n < kept; n++) p += labels[n * L + i]!;
    return p;
  });
  const meta = {
    split,
    seeds,
    skipped,
    labels: recipe.labels,
    shape: preprocessing.shape,
    positives: Object.fromEntries(recipe.labels.map((c, i) => [c, prevalence[i]])),
    extractorVsTruth: Object.fromEntries(recipe.labels.map((c, i) => [c, agree[i]])),
    seconds: Math.round((Date.now() - started) / 1000),
  };
  await writeFile(join(out, `${split}-meta.json`), JSON.stringify(meta, null, 2) + '\n');
  if (keep) await writeFile(join(keep, 'labels.csv'), csv.join('\n') + '\n');
  process.stderr.write(
    `${split}: wrote ${kept} volumes (${skipped.length} seeds skipped) to ${out} in ${meta.seconds} s\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`make_phantom_dataset: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
