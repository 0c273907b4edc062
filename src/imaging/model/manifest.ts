// Model manifest (models/<name>/model.json): what the ONNX file expects and means. Validated field by field at load;
// every problem is reported with its JSON path. Format documented in models/README.md.
import type { Preprocessing } from '../volume/preprocessing.js';
import { Checker, join } from './check.js';

export const MANIFEST_SCHEMA = 'ct-fhir.model/1';

/** Volume preprocessing the model was trained with: the volume module's Preprocessing (fields documented there). */
export type ManifestPreprocessing = Preprocessing;

export interface LabelMetrics {
  auroc: number | null;
  auroc95: [number, number] | null;
  averagePrecision: number | null;
  sensitivity: number | null;
  specificity: number | null;
  positives: number;
  negatives: number;
}

/** One model output, in output order. */
export interface ManifestLabel {
  /** Code of the ct-abnormality CodeSystem. */
  abnormality: string;
  /** Code of the ct-location CodeSystem, or null when the model gives no location. */
  location: string | null;
  /** Operating threshold on the probability: positive when probability >= threshold. */
  threshold: number;
  metrics?: LabelMetrics;
}

export interface ModelManifest {
  schema: typeof MANIFEST_SCHEMA;
  name: string;
  version: string;
  description: string;
  architecture: string;
  /** True when the model was trained (or generated) on synthetic data only. */
  synthetic: boolean;
  /** "trained": shipped weights; "random": untrained weights for timing; "not-shipped": bring your own. */
  weights: 'trained' | 'random' | 'not-shipped';
  /** ONNX file name inside the model folder. */
  file: string;
  input: { name: string; shape: number[]; dtype: 'float32' };
  /** activation: what the runtime applies to raw outputs; "sigmoid" = outputs are logits, "none" = probabilities. */
  output: { name: string; activation: 'sigmoid' | 'none' };
  preprocessing: ManifestPreprocessing;
  labels: ManifestLabel[];
  /** device: what the weights were trained on (e.g. "NVIDIA H100 80GB HBM3"), for the model card. */
  training: { data: string; synthetic: boolean; recipe?: string; cases?: Record<string, number>; device?: string };
  evaluation?: { data: string; cases: number };
  intendedUse: string;
  limitations: string[];
}

/** Code sets the labels must come from (the ct-abnormality and ct-location CodeSystems). */
export interface LabelVocabulary {
  abnormality: ReadonlySet<string>;
  location: ReadonlySet<string>;
}

export type ManifestResult = { ok: true; manifest: ModelManifest } | { ok: false; problems: string[] };

const TOP_KEYS = [
  'schema',
  'name',
  'version',
  'description',
  'architecture',
  'synthetic',
  'weights',
  'file',
  'input',
  'output',
  'preprocessing',
  'labels',
  'training',
  'evaluation',
  'intendedUse',
  'limitations',
  '$comment',
] as const;
const CODE = /^[a-z][a-z0-9_]*$/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/;
const VERSION = /^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

/** Validates a parsed model.json (format: models/README.md); returns the typed manifest or every problem found. */
export function validateManifest(doc: unknown, vocabulary?: LabelVocabulary): ManifestResult {
  const c = new Checker();
  const root = c.object('', doc);
  if (!root) return { ok: false, problems: c.problems };
  c.onlyKeys('', root, TOP_KEYS);
  if (root.schema !== MANIFEST_SCHEMA) c.fail('schema', `must be "${MANIFEST_SCHEMA}"`, root.schema);
  const name = c.string('name', root.name, NAME, 'lowercase letters, digits, ".", "_", "-"');
  const version = c.string('version', root.version, VERSION, 'semantic version MAJOR.MINOR.PATCH');
  const description = c.string('description', root.description);
  const architecture = c.string('architecture', root.architecture);
  const synthetic = c.boolean('synthetic', root.synthetic);
  const weights = c.oneOf('weights', root.weights, ['trained', 'random', 'not-shipped'] as const);
  const file = c.string('file', root.file, /^[^/\\]+\.onnx$/, 'a file name ending in .onnx, without folders');
  const preprocessing = readPreprocessing(c, root.preprocessing);
  const input = readInput(c, root.input, preprocessing?.shape);
  const output = readOutput(c, root.output);
  const labels = readLabels(c, root.labels, vocabulary);
  const training = readTraining(c, root.training);
  const evaluation = root.evaluation === undefined ? undefined : readEvaluation(c, root.evaluation);
  const intendedUse = c.string('intendedUse', root.intendedUse);
  const limitations = readStrings(c, 'limitations', root.limitations);
  if (synthetic === true && training && !training.synthetic) {
    c.fail('training.synthetic', 'must be true when the manifest says synthetic: true');
  }
  if (synthetic === true && intendedUse && !/not for clinical use/i.test(intendedUse)) {
    c.fail('intendedUse', 'must say "not for clinical use" for a model trained on synthetic data');
  }
  if (c.problems.length > 0) return { ok: false, problems: c.problems };
  const manifest: ModelManifest = {
    schema: MANIFEST_SCHEMA,
    name: name!,
    version: version!,
    description: description!,
    architecture: architecture!,
    synthetic: synthetic!,
    weights: weights!,
    file: file!,
    input: input!,
    output: output!,
    preprocessing: preprocessing!,
    labels: labels!,
    training: training!,
    intendedUse: intendedUse!,
    limitations: limitations!,
  };
  if (evaluation) manifest.evaluation = evaluation;
  return { ok: true, manifest };
}

function readPreprocessing(c: Checker, value: unknown): ManifestPreprocessing | undefined {
  const p = c.object('preprocessing', value);
  if (!p) return undefined;
  c.onlyKeys('preprocessing', p, ['spacing', 'clipHU', 'inputClipHU', 'scale', 'centre', 'shape', 'padValue']);
  const positive = (path: string, v: unknown) => c.number(path, v, 0.01, 100);
  const spacing = c.numbers('preprocessing.spacing', p.spacing, 3, positive);
  const clipHU = c.range('preprocessing.clipHU', p.clipHU, -4096, 32767);
  const inputClipHU = c.range('preprocessing.inputClipHU', p.inputClipHU, -4096, 32767);
  const scale = c.range('preprocessing.scale', p.scale, -1000, 1000);
  const centre = c.number('preprocessing.centre', p.centre, -1000, 1000);
  const shape = c.numbers('preprocessing.shape', p.shape, 3, (path, v) => c.integer(path, v, 1, 4096));
  const padValue =
    p.padValue === 'min' ? ('min' as const) : c.number('preprocessing.padValue', p.padValue, -4096, 32767);
  if (!spacing || !clipHU || !inputClipHU || !scale || centre === undefined || !shape || padValue === undefined) {
    return undefined;
  }
  return {
    spacing: [spacing[0]!, spacing[1]!, spacing[2]!],
    clipHU,
    inputClipHU,
    scale,
    centre,
    shape: [shape[0]!, shape[1]!, shape[2]!],
    padValue,
  };
}

function readInput(c: Checker, value: unknown, volume?: number[]): ModelManifest['input'] | undefined {
  const i = c.object('input', value);
  if (!i) return undefined;
  c.onlyKeys('input', i, ['name', 'shape', 'dtype']);
  const name = c.string('input.name', i.name);
  const dtype = c.oneOf('input.dtype', i.dtype, ['float32'] as const);
  const arr = c.array('input.shape', i.shape, 4);
  const shape = arr?.map((v, k) => c.integer(`input.shape[${k}]`, v, 1, 4096));
  if (!name || !dtype || !shape || shape.some((v) => v === undefined)) return undefined;
  const dims = shape as number[];
  if (dims[0] !== 1) c.fail('input.shape[0]', 'must be 1 (one volume per run)', dims[0]);
  if (volume && dims.slice(-3).join() !== volume.join()) {
    c.fail('input.shape', `must end with preprocessing.shape [${volume.join(', ')}]`, dims);
  }
  if (volume && dims.length === 5 && dims[1] !== 1) c.fail('input.shape[1]', 'must be 1 (one channel)', dims[1]);
  if (dims.length > 5) c.fail('input.shape', 'must be [1, z, y, x] or [1, 1, z, y, x]', dims);
  return { name, shape: dims, dtype };
}

function readOutput(c: Checker, value: unknown): ModelManifest['output'] | undefined {
  const o = c.object('output', value);
  if (!o) return undefined;
  c.onlyKeys('output', o, ['name', 'activation']);
  const name = c.string('output.name', o.name);
  const activation = c.oneOf('output.activation', o.activation, ['sigmoid', 'none'] as const);
  return name && activation ? { name, activation } : undefined;
}

function readLabels(c: Checker, value: unknown, vocabulary?: LabelVocabulary): ManifestLabel[] | undefined {
  const arr = c.array('labels', value, 1);
  if (!arr) return undefined;
  const seen = new Map<string, number>();
  const out = arr.map((item, k) => {
    const path = join('labels', k);
    const l = c.object(path, item);
    if (!l) return undefined;
    c.onlyKeys(path, l, ['abnormality', 'location', 'threshold', 'metrics']);
    const abnormality = c.string(join(path, 'abnormality'), l.abnormality, CODE, 'a snake_case code');
    const location = l.location === null ? null : c.string(join(path, 'location'), l.location, CODE, 'a code or null');
    if (abnormality && vocabulary && !vocabulary.abnormality.has(abnormality)) {
      c.fail(join(path, 'abnormality'), 'is not a code of the ct-abnormality CodeSystem', abnormality);
    }
    if (location && vocabulary && !vocabulary.location.has(location)) {
      c.fail(join(path, 'location'), 'is not a code of the ct-location CodeSystem', location);
    }
    const threshold = c.number(join(path, 'threshold'), l.threshold, 0, 1);
    const metrics = l.metrics === undefined ? undefined : readMetrics(c, join(path, 'metrics'), l.metrics);
    if (abnormality === undefined || location === undefined || threshold === undefined) return undefined;
    const key = `${abnormality}@${location ?? ''}`;
    const first = seen.get(key);
    if (first !== undefined) c.fail(path, `repeats labels[${first}] (${abnormality}, ${location ?? 'no location'})`);
    seen.set(key, k);
    const label: ManifestLabel = { abnormality, location, threshold };
    if (metrics) label.metrics = metrics;
    return label;
  });
  return out.every((l) => l !== undefined) ? (out as ManifestLabel[]) : undefined;
}

function readMetrics(c: Checker, path: string, value: unknown): LabelMetrics | undefined {
  const m = c.object(path, value);
  if (!m) return undefined;
  const keys = ['auroc', 'auroc95', 'averagePrecision', 'sensitivity', 'specificity', 'positives', 'negatives'];
  c.onlyKeys(path, m, keys);
  const unit = (k: string) => (m[k] === null ? null : c.number(join(path, k), m[k], 0, 1));
  const auroc95 = m.auroc95 === null ? null : c.range(join(path, 'auroc95'), m.auroc95, 0, 1, true);
  const out = {
    auroc: unit('auroc'),
    auroc95,
    averagePrecision: unit('averagePrecision'),
    sensitivity: unit('sensitivity'),
    specificity: unit('specificity'),
    positives: c.integer(join(path, 'positives'), m.positives, 0),
    negatives: c.integer(join(path, 'negatives'), m.negatives, 0),
  };
  return Object.values(out).some((v) => v === undefined) ? undefined : (out as LabelMetrics);
}

function readTraining(c: Checker, value: unknown): ModelManifest['training'] | undefined {
  const t = c.object('training', value);
  if (!t) return undefined;
  c.onlyKeys('training', t, ['data', 'synthetic', 'recipe', 'cases', 'device']);
  const data = c.string('training.data', t.data);
  const synthetic = c.boolean('training.synthetic', t.synthetic);
  const recipe = t.recipe === undefined ? undefined : c.string('training.recipe', t.recipe);
  const device = t.device === undefined ? undefined : c.string('training.device', t.device);
  let cases: Record<string, number> | undefined;
  if (t.cases !== undefined) {
    const obj = c.object('training.cases', t.cases);
    if (obj) {
      cases = {};
      for (const [k, v] of Object.entries(obj)) {
        const n = c.integer(join('training.cases', k), v, 0);
        if (n !== undefined) cases[k] = n;
      }
    }
  }
  if (!data || synthetic === undefined) return undefined;
  const out: ModelManifest['training'] = { data, synthetic };
  if (recipe) out.recipe = recipe;
  if (cases) out.cases = cases;
  if (device) out.device = device;
  return out;
}

function readEvaluation(c: Checker, value: unknown): ModelManifest['evaluation'] | undefined {
  const e = c.object('evaluation', value);
  if (!e) return undefined;
  c.onlyKeys('evaluation', e, ['data', 'cases']);
  const data = c.string('evaluation.data', e.data);
  const cases = c.integer('evaluation.cases', e.cases, 0);
  return data && cases !== undefined ? { data, cases } : undefined;
}

function readStrings(c: Checker, path: string, value: unknown): string[] | undefined {
  const arr = c.array(path, value, 1);
  if (!arr) return undefined;
  const out = arr.map((v, k) => c.string(join(path, k), v));
  return out.every((v) => v !== undefined) ? (out as string[]) : undefined;
}
