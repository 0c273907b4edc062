// Child process of bench/imaging/run.ts: preprocesses one series folder from disk as the worker does and reports
// stage times and this process's peak RSS (so the parent's data generation does not count). Writes the raw HU
// volume and the resampled volume for the scipy reference.
// Usage: node --import tsx bench/imaging/preprocess.ts <series-dir> <manifest.json> <work-dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadVolumeFromFolder,
  parsePreprocessing,
  prepareModelInput,
  resampleForModel,
  type Volume,
} from '../../src/imaging/volume/index.js';

const [dir, manifestPath, work] = process.argv.slice(2);
if (!dir || !manifestPath || !work) throw new Error('usage: preprocess.ts <series-dir> <manifest.json> <work-dir>');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { preprocessing?: unknown };
const pre = parsePreprocessing(manifest.preprocessing);
const mb = (bytes: number): number => Math.round(bytes / 2 ** 20);

const readTimings = { readMs: 0 };
const assembleTimings = { decodeMs: 0, orderMs: 0 };
let t = performance.now();
const loaded = await loadVolumeFromFolder(dir, { timings: readTimings, assemble: { timings: assembleTimings } });
const loadMs = performance.now() - t;
let volume: Volume | undefined = loaded.volume;
const rawBytes = volume.data.byteLength;
const shape = volume.shape;
const spacing = volume.spacing;
writeFileSync(join(work, 'volume.raw'), volume.data);

t = performance.now();
const resampled = resampleForModel(volume, pre);
const resampleMs = performance.now() - t;
volume = undefined; // the HU volume is not needed past resampling; its memory can go

t = performance.now();
const input = prepareModelInput(resampled, pre);
const inputMs = performance.now() - t;
const peakRss = process.resourceUsage().maxRSS * 1024;

// Extra resampling runs for a stable time (after the RSS reading, which they would inflate).
const hu = { ...loaded.volume, data: new Int16Array(readFileSync(join(work, 'volume.raw')).buffer.slice(0)) };
const repeats = [resampleMs];
for (let i = 0; i < 2; i++) {
  const r0 = performance.now();
  resampleForModel(hu, pre);
  repeats.push(performance.now() - r0);
}
writeFileSync(join(work, 'resampled.raw'), resampled.data);

const result = {
  series: { shape, spacing, instances: shape[0], transferSyntaxes: loaded.volume.transferSyntaxes },
  resampled: { shape: resampled.shape, spacing: resampled.spacing },
  input: { shape: input.shape, offset: input.offset, padValueHU: input.padValueHU },
  ms: {
    loadTotal: loadMs,
    readParse: readTimings.readMs,
    decodeHU: assembleTimings.decodeMs,
    orderChecks: assembleTimings.orderMs,
    scanHeaders: loadMs - readTimings.readMs - assembleTimings.decodeMs - assembleTimings.orderMs,
    resample: resampleMs,
    resampleBest: Math.min(...repeats),
    resampleRuns: repeats,
    modelInput: inputMs,
  },
  memory: {
    rawVolumeMiB: mb(rawBytes),
    resampledMiB: mb(resampled.data.byteLength),
    modelInputMiB: mb(input.data.byteLength),
    peakRssMiB: mb(peakRss),
    peakRssOverRaw: peakRss / rawBytes,
  },
};
process.stdout.write(JSON.stringify(result) + '\n');
