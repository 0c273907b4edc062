// Child process of bench/imaging/run.ts: preprocesses one series folder from disk as the worker does and reports
// stage times and this process's peak RSS (so the parent's data generation does not count): load, then the
// streamed resample + model input of the worker (which consumes the volume: the model input is written over it).
// Then, for the table and the scipy comparison, the series is loaded again for resampling alone and the model input
// from it (checked equal to the streamed one); writes both volumes for the scipy reference.
// Usage: node --import tsx bench/imaging/preprocess.ts <series-dir> <manifest.json> <work-dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadVolumeFromFolder,
  parsePreprocessing,
  prepareModelInput,
  preprocessVolume,
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
const volume: Volume = loaded.volume;
const rawBytes = volume.data.byteLength;
const shape = volume.shape;
const spacing = volume.spacing;

// Production path: resampling and model input in one streamed pass (the worker's preprocessVolume, as
// classifyVolume calls it).
t = performance.now();
const { input } = preprocessVolume(volume, pre, { consume: true });
const fusedMs = performance.now() - t;
const peakRss = process.resourceUsage().maxRSS * 1024;

// Stage by stage, after the RSS reading (these hold the resampled volume too): resampling alone, best of 3, as
// compared with scipy; then the model input from the resampled volume.
const again = (await loadVolumeFromFolder(dir)).volume;
const runs: number[] = [];
const cpuRuns: number[] = [];
let resampled = resampleForModel(again, pre);
for (let i = 0; i < 3; i++) {
  const r0 = performance.now();
  const c0 = process.cpuUsage();
  resampled = resampleForModel(again, pre);
  const c1 = process.cpuUsage(c0);
  runs.push(performance.now() - r0);
  cpuRuns.push((c1.user + c1.system) / 1000);
}
t = performance.now();
const staged = prepareModelInput(resampled, pre);
const inputMs = performance.now() - t;
const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
if (!bytes(staged.data).equals(bytes(input.data))) throw new Error('streamed and staged model inputs differ');
writeFileSync(join(work, 'volume.raw'), again.data);
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
    resampleBest: Math.min(...runs),
    resampleRuns: runs,
    resampleCpuBest: Math.min(...cpuRuns),
    modelInputFromResampled: inputMs,
    resampleAndModelInputStreamed: fusedMs,
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
