// Inference benchmark (issue 7 "Speed"): per-stage CPU times of the whole image path on one default-size series
// (512 x 512 x 300, 0.7 x 0.7 x 1.25 mm), for the demo model (baseline) and the full-size CT-Net (random weights),
// each in its own child process so peak RSS is per model; studies per hour per worker; ratio full / demo.
// Usage: node --import tsx bench/inference/run.ts [--runs 3] [--full-runs 2] [--models demo,full]
// The full-size ONNX file is exported first if missing (training/export_ctnet_full.py, ~1 min, needs python3-torch).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log.js';
import { openModel } from '../../src/imaging/model/open.js';
import { seriesInput, tensorDims } from '../../src/imaging/model/series-input.js';
import { writeSyntheticSeries } from '../../test/support/ct-series.js';
import { printTable, saveResults, type Row } from '../support/report.js';

const MODELS: Record<string, string> = { demo: 'models/ctnet-phantom', full: 'models/ctnet-full' };

interface ChildResult {
  model: string;
  version: string;
  provider: string;
  runs: number;
  /** Median milliseconds per stage over the timed runs. */
  stages: { readParse: number; decodeAssemble: number; preprocess: number; infer: number; write: number };
  totalMs: number;
  firstInferMs: number;
  loadModelMs: number;
  peakRssMiB: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Child mode: load one model, run the image path `runs` times (after one warm-up), print JSON. */
async function child(modelDir: string, series: string, runs: number): Promise<void> {
  const t0 = performance.now();
  const model = await openModel(modelDir, createLogger('warn'));
  const loadModelMs = performance.now() - t0;
  const out = mkdtempSync(join(tmpdir(), 'ctfhir-bench-out-'));
  const samples: ChildResult['stages'][] = [];
  let firstInferMs = 0;
  for (let r = 0; r <= runs; r++) {
    const input = await seriesInput(series, model.manifest.preprocessing);
    const p = await model.run(input.data, tensorDims(model.manifest.input.shape, input.shape));
    const tw = performance.now();
    writeFileSync(
      join(out, 'findings.json'),
      JSON.stringify({ model: p.model, version: p.version, findings: p.findings }),
    );
    const write = performance.now() - tw;
    if (r === 0) {
      firstInferMs = p.inferenceMs; // warm-up: includes ONNX Runtime's first-run allocations
      continue;
    }
    const t = input.timings;
    samples.push({
      readParse: t.readMs,
      decodeAssemble: t.loadMs - t.readMs,
      preprocess: t.preprocessMs,
      infer: p.inferenceMs,
      write,
    });
  }
  rmSync(out, { recursive: true, force: true });
  const stages = {
    readParse: median(samples.map((s) => s.readParse)),
    decodeAssemble: median(samples.map((s) => s.decodeAssemble)),
    preprocess: median(samples.map((s) => s.preprocess)),
    infer: median(samples.map((s) => s.infer)),
    write: median(samples.map((s) => s.write)),
  };
  const result: ChildResult = {
    model: model.manifest.name,
    version: model.manifest.version,
    provider: model.provider,
    runs,
    stages,
    totalMs: Object.values(stages).reduce((a, b) => a + b, 0),
    firstInferMs,
    loadModelMs,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  await model.close();
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

function ensureFullModel(): boolean {
  if (existsSync(join(MODELS.full!, 'model.onnx'))) return true;
  console.error('exporting models/ctnet-full/model.onnx (random weights) with training/export_ctnet_full.py ...');
  const r = spawnSync('/usr/bin/python3', ['training/export_ctnet_full.py'], { stdio: 'inherit' });
  return r.status === 0;
}

async function parent(): Promise<void> {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2)
    args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
  const runs = Number(args.get('runs') ?? 3);
  const fullRuns = Number(args.get('full-runs') ?? 2);
  const names = (args.get('models') ?? 'demo,full').split(',');
  const work = mkdtempSync(join(tmpdir(), 'ctfhir-bench-inference-'));
  const series = join(work, 'series');
  const tg = performance.now();
  writeSyntheticSeries(series, { rows: 512, columns: 512, slices: 300, pixelSpacing: [0.7, 0.7], sliceSpacing: 1.25 });
  console.error(`wrote a 512 x 512 x 300 series in ${((performance.now() - tg) / 1000).toFixed(1)} s`);
  const results: ChildResult[] = [];
  const skipped: string[] = [];
  for (const name of names) {
    if (name === 'full' && !ensureFullModel()) {
      skipped.push('full: models/ctnet-full/model.onnx missing and export failed');
      continue;
    }
    const n = name === 'full' ? fullRuns : runs;
    console.error(`running ${name} (${n} timed runs after one warm-up) ...`);
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/inference/run.ts', '--child', MODELS[name]!, series, String(n)],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    );
    const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) {
      skipped.push(`${name}: child failed (${r.stderr.trim().split('\n').slice(-1)[0]})`);
      continue;
    }
    results.push(JSON.parse(line.slice(7)) as ChildResult);
  }
  rmSync(work, { recursive: true, force: true });
  const ms = (v: number) => (v >= 100 ? Math.round(v) : Number(v.toFixed(1)));
  const rows: Row[] = results.map((r) => ({
    model: `${r.model} ${r.version}`,
    provider: r.provider,
    'read+parse ms': ms(r.stages.readParse),
    'decode+assemble ms': ms(r.stages.decodeAssemble),
    'resample+prep ms': ms(r.stages.preprocess),
    'infer ms': ms(r.stages.infer),
    'write ms': ms(r.stages.write),
    'total ms': ms(r.totalMs),
    'first infer ms': ms(r.firstInferMs),
    'peak RSS MiB': r.peakRssMiB,
    'studies/h/worker': Math.round(3_600_000 / r.totalMs),
  }));
  printTable('Inference on CPU, one 512 x 512 x 300 series (median of timed runs)', rows);
  const demo = results.find((r) => r.model === 'ctnet-phantom');
  const full = results.find((r) => r.model === 'ctnet-full');
  const ratio =
    demo && full
      ? { fullOverDemoTotal: full.totalMs / demo.totalMs, fullOverDemoInfer: full.stages.infer / demo.stages.infer }
      : null;
  if (ratio)
    console.log(
      `\nbaseline = demo model: full-size CT-Net takes ${ratio.fullOverDemoTotal.toFixed(1)}x the time per study (${ratio.fullOverDemoInfer.toFixed(0)}x in inference)`,
    );
  for (const k of skipped) console.log(`skipped ${k}`);
  saveResults('inference', {
    series: { shape: [300, 512, 512], spacingMm: [1.25, 0.7, 0.7], generator: 'test/support/ct-series.ts' },
    threads: 'ONNX Runtime defaults (intra-op = cores); INFERENCE_* variables as set',
    env: {
      INFERENCE_PROVIDERS: process.env.INFERENCE_PROVIDERS ?? 'cpu',
      INFERENCE_INTRA_OP_THREADS: process.env.INFERENCE_INTRA_OP_THREADS ?? '',
    },
    baseline: 'ctnet-phantom (demo model)',
    ratio,
    results,
    skipped,
  });
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]));
else await parent();
