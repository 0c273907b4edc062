// Benchmark: retrieving a 512 x 512 x 400 phantom series from a real PACS (Orthanc + DICOMweb plugin) and
// preprocessing it from the stream into the model input (models/ctnet-full/model.json). Upload is excluded.
// Baseline in the same run: draining the same WADO-RS response as raw bytes (no parsing); every stage is reported
// as a ratio to it. Each stage runs in a fresh child process so its peak RSS is its own.
// Usage: node --import tsx bench/imaging/orthanc.ts [--size 512x512x400] [--spacing 0.7x0.7x0.8] [--runs 3]
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDicom } from '../../src/imaging/dicom/index.js';
import { DicomwebClient, openStudyAt } from '../../src/imaging/dicomweb/index.js';
import type { StudyRetrieval } from '../../src/imaging/dicomweb/index.js';
import { createPhantom, parseFindings, phantomIdentity, writePhantom } from '../../src/imaging/phantom/index.js';
import { assembleVolume, parsePreprocessing, preprocessVolume } from '../../src/imaging/volume/index.js';
import { startOrthanc } from '../../test/support/orthanc.js';

const STAGES = [
  'idle',
  'raw-http',
  'wado-stream',
  'qido+choice+stream',
  'stream->volume',
  'stream->model-input',
  'disk-read',
  'file->model-input',
] as const;
type Stage = (typeof STAGES)[number];

interface StageResult {
  ms: number;
  bytes: number;
  instances: number;
  maxRssMiB: number;
  detail?: Record<string, number>;
}

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '512x512x400' },
    spacing: { type: 'string', default: '0.7x0.7x0.8' },
    runs: { type: 'string', default: '3' },
    stage: { type: 'string' },
    url: { type: 'string' },
    study: { type: 'string' },
    series: { type: 'string' },
    dir: { type: 'string' },
  },
});

async function toVolume(
  study: StudyRetrieval,
): Promise<{ volume: Awaited<ReturnType<typeof assembleVolume>>; bytes: number }> {
  let bytes = 0;
  async function* datasets() {
    for await (const b of study.instances()) {
      bytes += b.length;
      yield parseDicom(b);
    }
  }
  return { volume: await assembleVolume(datasets(), { expectedSlices: study.choice.series.instanceCount }), bytes };
}

/** Runs one stage in this process and prints its result as JSON. */
async function runStage(stage: Stage): Promise<StageResult> {
  const url = values.url!;
  const study = values.study!;
  const series = values.series!;
  const started = performance.now();
  let bytes = 0;
  let instances = 0;
  const detail: Record<string, number> = {};
  const location = (u: string) => ({ studyUid: study, url: u, from: { config: 'DICOMWEB_URL' as const } });
  if (stage === 'idle') {
    // Node + tsx with nothing loaded: the RSS floor every other stage includes.
  } else if (stage === 'raw-http') {
    const res = await fetch(`${url}/studies/${study}/series/${series}`, {
      headers: { accept: 'multipart/related; type="application/dicom"; transfer-syntax=*' },
    });
    for await (const chunk of res.body!) bytes += chunk.length;
  } else if (stage === 'wado-stream') {
    for await (const b of new DicomwebClient(url).retrieveSeries(study, series)) {
      bytes += b.length;
      instances++;
    }
  } else if (stage === 'qido+choice+stream') {
    const s = await openStudyAt(location(url));
    detail.openMs = performance.now() - started;
    for await (const b of s.instances()) {
      bytes += b.length;
      instances++;
    }
  } else if (stage === 'disk-read') {
    const files = (await readdir(values.dir!)).filter((f) => f.endsWith('.dcm')).sort();
    for (const f of files) {
      bytes += (await readFile(join(values.dir!, f))).length;
      instances++;
    }
  } else {
    const s = await openStudyAt(location(stage.startsWith('file') ? pathToFileURL(values.dir!).href : url));
    const t0 = performance.now();
    const { volume, bytes: b } = await toVolume(s);
    bytes = b;
    instances = volume.shape[0];
    detail.retrieveAndAssembleMs = performance.now() - t0;
    if (stage !== 'stream->volume') {
      const manifest = JSON.parse(await readFile('models/ctnet-full/model.json', 'utf8')) as { preprocessing: unknown };
      const t1 = performance.now();
      // As the worker does (classifyVolume): the volume is consumed, the model input written over it.
      const { input } = preprocessVolume(volume, parsePreprocessing(manifest.preprocessing), { consume: true });
      detail.preprocessMs = performance.now() - t1;
      detail.inputValues = input.data.length;
    }
  }
  return {
    ms: performance.now() - started,
    bytes,
    instances,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    detail,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const [nx, ny, nz] = values.size.split('x').map(Number) as [number, number, number];
  const [dx, dy, dz] = values.spacing.split('x').map(Number) as [number, number, number];
  const runs = Number(values.runs);
  const work = await mkdtemp(join(tmpdir(), 'ctfhir-bench-orthanc-'));
  const dir = join(work, 'series');
  const pacs = await startOrthanc();
  try {
    const id = phantomIdentity(2026, 'bench');
    const t0 = performance.now();
    const written = await writePhantom(
      createPhantom({
        seed: 2026,
        geometry: { nx, ny, nz, dx, dy, dz },
        findings: parseFindings('nodule@right_upper:12mm,pleural_effusion@left_lung'),
      }),
      id,
      dir,
    );
    const generateMs = performance.now() - t0;
    const t1 = performance.now();
    for (const f of written.files) await pacs.upload(await readFile(f));
    const uploadMs = performance.now() - t1;
    process.stderr.write(
      `generated ${nz} slices in ${(generateMs / 1000).toFixed(1)} s, uploaded in ${(uploadMs / 1000).toFixed(1)} s\n`,
    );
    const results: Record<string, StageResult & { runsMs: number[] }> = {};
    for (const stage of STAGES) {
      const all: StageResult[] = [];
      for (let r = 0; r < runs; r++) {
        const child = spawnSync(
          process.execPath,
          [
            '--import',
            'tsx',
            'bench/imaging/orthanc.ts',
            '--stage',
            stage,
            '--url',
            pacs.dicomweb,
            '--study',
            id.studyInstanceUid,
            '--series',
            id.seriesInstanceUid,
            '--dir',
            dir,
          ],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        if (child.status !== 0) throw new Error(`stage ${stage} failed: ${child.stderr}`);
        all.push(JSON.parse(child.stdout.trim().split('\n').pop()!) as StageResult);
      }
      const ms = median(all.map((a) => a.ms));
      const best = all.find((a) => a.ms === ms)!;
      results[stage] = {
        ...best,
        maxRssMiB: Math.max(...all.map((a) => a.maxRssMiB)),
        runsMs: all.map((a) => Math.round(a.ms)),
      };
    }
    const base = results['raw-http']!.ms;
    const rawVolumeMiB = (nx * ny * nz * 2) / 1048576;
    const idleMiB = results.idle!.maxRssMiB;
    const rows = STAGES.map((s) => {
      const r = results[s]!;
      return {
        stage: s,
        ms: Math.round(r.ms),
        'MiB/s': Math.round(r.bytes / 1048576 / (r.ms / 1000)),
        instances: r.instances,
        'peak RSS MiB': Math.round(r.maxRssMiB),
        'RSS / int16 volume': Number((r.maxRssMiB / rawVolumeMiB).toFixed(2)),
        '(RSS - idle) / int16 volume': Number(((r.maxRssMiB - idleMiB) / rawVolumeMiB).toFixed(2)),
        'x raw-http': Number((r.ms / base).toFixed(2)),
        ...Object.fromEntries(
          Object.entries(r.detail ?? {})
            .filter(([k]) => k.endsWith('Ms'))
            .map(([k, v]) => [k, Math.round(v)]),
        ),
      };
    });
    console.table(rows);
    const version = (await (await fetch(`${pacs.url}/system`)).json()) as { Version?: string };
    const out = {
      name: 'imaging-orthanc',
      date: new Date().toISOString(),
      command: `node --import tsx bench/imaging/orthanc.ts --size ${values.size} --spacing ${values.spacing} --runs ${runs}`,
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        loadavg: loadavg().map((l) => Number(l.toFixed(1))),
        node: process.version,
      },
      orthanc: version.Version,
      series: {
        size: [nx, ny, nz],
        spacingMm: [dx, dy, dz],
        bytes: results['raw-http']!.bytes,
        rawInt16MiB: rawVolumeMiB,
      },
      baseline: 'raw-http: the same WADO-RS response drained as bytes, no multipart or DICOM parsing',
      generateMs: Math.round(generateMs),
      uploadMsExcluded: Math.round(uploadMs),
      stages: rows,
      runsMs: Object.fromEntries(STAGES.map((s) => [s, results[s]!.runsMs])),
    };
    await mkdir('bench/results', { recursive: true });
    await writeFile('bench/results/imaging-orthanc.json', JSON.stringify(out, null, 2) + '\n');
    process.stderr.write('wrote bench/results/imaging-orthanc.json\n');
  } finally {
    await pacs.stop();
    await rm(work, { recursive: true, force: true });
  }
}

if (values.stage) {
  if (!(STAGES as readonly string[]).includes(values.stage)) throw new Error(`unknown stage ${values.stage}`);
  process.stdout.write(JSON.stringify(await runStage(values.stage as Stage)) + '\n');
} else {
  await main();
}
