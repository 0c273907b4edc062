// `ct-fhir eval-model --dicom-root <dir> --labels labels.csv --out <dir> [--model <dir>] [--resamples N]
// [--update-manifest]`: classifies every study folder listed in labels.csv through the whole image path and writes
// per-label AUROC with bootstrap 95% CI, average precision, sensitivity/specificity at the manifest's operating point
// (metrics.json, metrics.md, predictions.csv, roc-<label>.png). --update-manifest stores the metrics in model.json.
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger } from '../log.js';
import { formatTable, labelKey, meanAuroc, readTruth, type TruthTable } from '../imaging/model/eval-report.js';
import type { ManifestLabel } from '../imaging/model/manifest.js';
import { evaluateLabel, rocCurve } from '../imaging/model/metrics.js';
import type { LabelEvaluation } from '../imaging/model/metrics.js';
import { DEFAULT_MODEL_DIR, openModel } from '../imaging/model/open.js';
import { encodePng } from '../imaging/model/png.js';
import { plotRoc } from '../imaging/model/roc-plot.js';
import { seriesInput, tensorDims } from '../imaging/model/series-input.js';
import { CsvError, parseCsv, csvRow } from '../reports/csv.js';
import { isExpectedFailure } from './classify.js';
import {
  batchLogLevel,
  checkWidth,
  decodeText,
  fileProblem,
  intFlag,
  makeOutputFolder,
  parseFlags,
  repeated,
  requireFolder,
  UsageError,
} from './usage.js';

export const HELP =
  'usage: ct-fhir eval-model --dicom-root <dir> --labels labels.csv --out <dir> [--model <dir>] [--resamples 1000] [--update-manifest] [--quiet]\n' +
  '  labels.csv: a "study" column (a folder under --dicom-root) and a 0/1 column per model label, named\n' +
  "  abnormality or abnormality@location as in the model's model.json; an empty cell leaves that study out of that label\n";

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
  const resamples = intFlag('resamples', values.resamples, 0, 100000);
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

/** Reads labels.csv as text: UTF-8 (a byte-order mark dropped), one line on a file that cannot be read. */
async function readLabels(path: string): Promise<string> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read --labels ${path}: ${fileProblem(err)}`);
  }
  return decodeText(bytes, `--labels ${path}`);
}

/**
 * Checks labels.csv against the model and the folders before anything runs: well-formed CSV, one field per header
 * column in every record, no repeated or unknown column (a typo would drop a label silently), at least one label
 * column and one study, and a folder under --dicom-root for every study.
 */
async function readTruthTable(text: string, o: ReturnType<typeof options>, labels: readonly ManifestLabel[]) {
  let rows: string[][];
  try {
    rows = parseCsv(text).filter((r) => r.some((c) => c.trim() !== ''));
  } catch (err) {
    if (err instanceof CsvError) throw new UsageError(`--labels ${o.labels}: ${err.message}`);
    throw err;
  }
  const header = rows[0]?.map((h) => h.trim()) ?? [];
  const twice = repeated(header);
  if (twice.length) throw new UsageError(`labels.csv names column ${twice.map((c) => `"${c}"`).join(', ')} twice`);
  if (header.length && !header.includes('study'))
    throw new UsageError(`labels.csv needs a "study" column (header: ${header.join(', ')})`);
  const keys = labels.map(labelKey);
  const unknown = header.filter((h) => h !== 'study' && !keys.includes(h));
  if (unknown.length) {
    throw new UsageError(
      `labels.csv column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => `"${c}"`).join(', ')} ` +
        `name${unknown.length > 1 ? '' : 's'} no label of model ${o.model} (its labels: ${keys.join(', ')})`,
    );
  }
  rows.forEach((row, r) => checkWidth(row, header.length, 'labels.csv', r + 1));
  let truth: TruthTable;
  try {
    truth = readTruth(rows, labels);
  } catch (err) {
    // readTruth's own errors name labels.csv, a row and a column
    if (err instanceof Error && /^labels\.csv/.test(err.message)) throw new UsageError(err.message);
    throw err;
  }
  if (header.length < 2) throw new UsageError(`labels.csv has no label column (its labels: ${keys.join(', ')})`);
  if (truth.studies.length === 0) throw new UsageError('labels.csv lists no study');
  await requireFolder('dicom-root', o.root);
  const missing: string[] = [];
  for (const study of truth.studies) {
    const isDir = await stat(join(o.root, study)).then(
      (st) => st.isDirectory(),
      () => false,
    );
    if (!isDir) missing.push(study);
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).map((m) => `"${m}"`);
    throw new UsageError(
      `labels.csv does not match the folders: ${missing.length} of ${truth.studies.length} studies have no folder ` +
        `under ${o.root} (${shown.join(', ')}${missing.length > 5 ? ', ...' : ''})`,
    );
  }
  return truth;
}

/** Entry point of `ct-fhir eval-model`. */
export async function evalModel(argv: string[]): Promise<number> {
  const o = options(argv);
  const logger = createLogger(batchLogLevel(), { command: 'eval-model' });
  const truthText = await readLabels(o.labels);
  try {
    const model = await openModel(o.model, logger);
    const { manifest } = model;
    const truth = await readTruthTable(truthText, o, manifest.labels);
    await makeOutputFolder('out', o.out);
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
    // Shown with --quiet too: a study left out changes what the metrics mean.
    for (const f of failures.slice(0, 5))
      process.stderr.write(`eval-model: study ${f.study} not evaluated: ${f.error}\n`);
    if (failures.length > 5) process.stderr.write(`eval-model: ${failures.length - 5} more in metrics.json\n`);
    const evals: LabelEvaluation[] = [];
    const undefinedAuroc: string[] = [];
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
      if (e.auroc === null) {
        // One class only, or no study: no ROC curve exists, so none is drawn (a flat line would read as AUROC 0).
        undefinedAuroc.push(`${labelKey(label)} (${e.positives} positive, ${e.negatives} negative)`);
        continue;
      }
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
    const undefinedNote = undefinedAuroc.length
      ? `\nAUROC undefined (needs positive and negative studies; n/a above, no ROC curve): ${undefinedAuroc.join(', ')}\n`
      : '';
    const table = formatTable(evals) + undefinedNote;
    await writeFile(
      join(o.out, 'metrics.md'),
      `# ${manifest.name} ${manifest.version}: ${evaluated} studies\n\n${table}`,
    );
    const header = csvRow(['study', ...manifest.labels.map(labelKey)]);
    const blank = manifest.labels.map(() => '');
    const lines = truth.studies.map((st, i) => csvRow([st, ...(scores[i]?.map((v) => v.toFixed(6)) ?? blank)]));
    await writeFile(join(o.out, 'predictions.csv'), header + lines.join(''));
    if (o.progress) process.stdout.write(table);
    if (missing.length) process.stderr.write(`eval-model: labels.csv has no column for ${missing.join(', ')}\n`);
    if (undefinedAuroc.length) {
      process.stderr.write(
        `eval-model: AUROC undefined (needs positive and negative studies): ${undefinedAuroc.join(', ')}\n`,
      );
    }
    if (evaluated === 0) {
      // Nothing was measured: the manifest keeps the metrics it has (a served model reloads from it).
      process.stderr.write(`ct-fhir eval-model: none of the ${truth.studies.length} studies could be evaluated\n`);
      if (o.update) process.stderr.write('eval-model: model.json left unchanged\n');
      return 1;
    }
    if (o.update) await updateManifest(o.model, evals, `${evaluated} studies under ${o.root}`, evaluated);
    return 0;
  } catch (err) {
    if (!isExpectedFailure(err)) throw err;
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
