// `ct-fhir eval-model --dicom-root <dir> --labels labels.csv --out <dir> [--model <dir>] [--resamples N]
// [--update-manifest]`: classifies every study folder listed in labels.csv through the whole image path and writes
// per-label AUROC with bootstrap 95% CI, average precision, sensitivity/specificity at the manifest's operating point
// (metrics.json, metrics.md, predictions.csv, roc-<label>.png). --update-manifest stores the metrics in model.json.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../log.js';
import type { Level } from '../log.js';
import { formatTable, labelKey, meanAuroc, readTruth } from '../imaging/model/eval-report.js';
import { evaluateLabel, rocCurve } from '../imaging/model/metrics.js';
import type { LabelEvaluation } from '../imaging/model/metrics.js';
import { DEFAULT_MODEL_DIR, openModel } from '../imaging/model/open.js';
import { encodePng } from '../imaging/model/png.js';
import { plotRoc } from '../imaging/model/roc-plot.js';
import { seriesInput, tensorDims } from '../imaging/model/series-input.js';
import { parseCsv, csvRow } from '../reports/csv.js';
import { isExpectedFailure } from './classify.js';
import { parseFlags, UsageError } from './usage.js';

const HELP =
  'usage: ct-fhir eval-model --dicom-root <dir> --labels labels.csv --out <dir> [--model <dir>] [--resamples 1000] [--update-manifest] [--quiet]\n';

function options(argv: string[]) {
  const { values } = parseFlags(
    argv,
    {
      'dicom-root': { type: 'string' },
      labels: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
      resamples: { type: 'string', default: '1000' },
      'update-manifest': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
    },
    HELP,
  );
  if (!values['dicom-root'] || !values.labels || !values.out) {
    throw new UsageError(`--dicom-root, --labels and --out are required\n${HELP}`);
  }
  const resamples = Number(values.resamples);
  if (!Number.isInteger(resamples) || resamples < 0 || resamples > 100000) {
    throw new UsageError(`--resamples must be an integer 0..100000, got "${values.resamples}"`);
  }
  return {
    root: values['dicom-root'],
    labels: values.labels,
    out: values.out,
    model: values.model ?? process.env.MODEL ?? DEFAULT_MODEL_DIR,
    resamples,
    update: values['update-manifest'],
    progress: !values.quiet,
  };
}

/** Entry point of `ct-fhir eval-model`. */
export async function evalModel(argv: string[]): Promise<number> {
  const o = options(argv);
  const logger = createLogger((process.env.LOG_LEVEL as Level | undefined) ?? 'warn', { command: 'eval-model' });
  let truthText: string;
  try {
    truthText = await readFile(o.labels, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --labels ${o.labels}: ${(err as Error).message}`);
  }
  try {
    const model = await openModel(o.model, logger);
    const { manifest } = model;
    const truth = readTruth(parseCsv(truthText), manifest.labels);
    const scores: (number[] | null)[] = [];
    const failures: { study: string; error: string }[] = [];
    const started = Date.now();
    for (const [n, study] of truth.studies.entries()) {
      try {
        const input = await seriesInput(join(o.root, study), manifest.preprocessing);
        const p = await model.run(input.data, tensorDims(manifest.input.shape, input.shape));
        scores.push(p.findings.map((f) => f.probability));
      } catch (err) {
        if (!isExpectedFailure(err)) throw err;
        scores.push(null);
        failures.push({ study, error: err.message.split('\n')[0]! });
      }
      if (o.progress && ((n + 1) % 10 === 0 || n + 1 === truth.studies.length)) {
        process.stderr.write(`\reval-model: ${n + 1}/${truth.studies.length} studies (${failures.length} failed)`);
      }
    }
    if (o.progress) process.stderr.write('\n');
    await model.close();
    await mkdir(o.out, { recursive: true });
    const evals: LabelEvaluation[] = [];
    for (const [k, label] of manifest.labels.entries()) {
      const column = truth.columns[k];
      if (!column) continue;
      const s: number[] = [];
      const y: number[] = [];
      column.forEach((v, i) => {
        const row = scores[i];
        if (v === null || !row) return;
        s.push(row[k]!);
        y.push(v);
      });
      const e = evaluateLabel(label, s, y, { resamples: o.resamples });
      evals.push(e);
      const at =
        e.sensitivity !== null && e.specificity !== null ? { fpr: 1 - e.specificity, tpr: e.sensitivity } : undefined;
      const file = `roc-${labelKey(label).replace(/[^a-z0-9_@-]/g, '_')}.png`;
      await writeFile(join(o.out, file), encodePng(plotRoc(rocCurve(s, y), at)));
    }
    const missing = manifest.labels.filter((_, k) => !truth.columns[k]).map(labelKey);
    const evaluated = scores.filter((s) => s !== null).length;
    const summary = {
      model: manifest.name,
      version: manifest.version,
      studies: truth.studies.length,
      evaluated,
      failures,
      meanAuroc: meanAuroc(evals),
      labels: evals,
      notInLabelsCsv: missing,
      resamples: o.resamples,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    await writeFile(join(o.out, 'metrics.json'), JSON.stringify(summary, null, 2) + '\n');
    const table = formatTable(evals);
    await writeFile(
      join(o.out, 'metrics.md'),
      `# ${manifest.name} ${manifest.version}: ${evaluated} studies\n\n${table}`,
    );
    const header = csvRow(['study', ...manifest.labels.map(labelKey)]);
    const lines = truth.studies.map((st, i) => csvRow([st, ...(scores[i]?.map((v) => v.toFixed(6)) ?? [])]));
    await writeFile(join(o.out, 'predictions.csv'), header + lines.join(''));
    if (o.progress) process.stdout.write(table);
    if (missing.length) process.stderr.write(`eval-model: labels.csv has no column for ${missing.join(', ')}\n`);
    if (evaluated === 0) {
      // Nothing was measured: the manifest keeps the metrics it has (a served model reloads from it).
      if (o.update) process.stderr.write('eval-model: no study could be evaluated; model.json left unchanged\n');
      return truth.studies.length > 0 ? 1 : 0;
    }
    if (o.update) await updateManifest(o.model, evals, `${evaluated} studies under ${o.root}`, evaluated);
    return 0;
  } catch (err) {
    if (!isExpectedFailure(err) && !(err instanceof Error && /^labels\.csv/.test(err.message))) throw err;
    process.stderr.write(`ct-fhir eval-model: ${err.message.split('\n')[0]}\n`);
    return 1;
  }
}

/** Writes per-label metrics and the evaluation description into `<dir>/model.json`, keeping everything else. */
async function updateManifest(dir: string, evals: LabelEvaluation[], data: string, cases: number): Promise<void> {
  const path = join(dir, 'model.json');
  const doc = JSON.parse(await readFile(path, 'utf8')) as {
    labels: { abnormality: string; location: string | null; metrics?: unknown }[];
    evaluation?: unknown;
  };
  for (const e of evals) {
    const label = doc.labels.find((l) => l.abnormality === e.abnormality && l.location === e.location);
    if (!label) continue;
    label.metrics = {
      auroc: e.auroc,
      auroc95: e.auroc95,
      averagePrecision: e.averagePrecision,
      sensitivity: e.sensitivity,
      specificity: e.specificity,
      positives: e.positives,
      negatives: e.negatives,
    };
  }
  doc.evaluation = { data, cases };
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(doc, null, 2) + '\n');
  await rename(tmp, path);
}
