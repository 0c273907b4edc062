import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validateManifest } from '../../../src/imaging/model/manifest.js';
import type { LabelVocabulary } from '../../../src/imaging/model/manifest.js';

const GOOD = JSON.parse(readFileSync('test/fixtures/model/tiny/model.json', 'utf8')) as Record<string, unknown>;

/** A deep copy of the good manifest with `edit` applied. */
function broken(edit: (m: Record<string, unknown> & { [k: string]: never }) => void): unknown {
  const copy = structuredClone(GOOD) as Record<string, unknown> & { [k: string]: never };
  edit(copy);
  return copy;
}

function problems(doc: unknown, vocabulary?: LabelVocabulary): string[] {
  const r = validateManifest(doc, vocabulary);
  return r.ok ? [] : r.problems;
}

function assertProblem(doc: unknown, expected: RegExp): void {
  const found = problems(doc);
  assert.ok(found.length > 0, 'expected the manifest to be rejected');
  assert.ok(
    found.some((p) => expected.test(p)),
    `no problem matches ${expected}; got:\n${found.join('\n')}`,
  );
}

test('a complete manifest validates and keeps labels in output order', () => {
  const r = validateManifest(GOOD);
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  assert.deepEqual(
    r.manifest.labels.map((l) => l.abnormality),
    ['pleural_effusion', 'pneumothorax', 'nodule', 'mass'],
  );
  assert.equal(r.manifest.labels[0]!.location, 'left_lung');
  assert.equal(r.manifest.labels[3]!.metrics?.auroc, 0.9);
  assert.deepEqual(r.manifest.preprocessing.shape, [6, 8, 8]);
});

test('a non-object manifest is rejected at the root', () => {
  assert.deepEqual(problems([]), ['(root) must be an object, got []']);
  assert.deepEqual(problems(null), ['(root) must be an object, got null']);
});

const CASES: [string, (m: Record<string, never>) => void, RegExp][] = [
  [
    'wrong schema',
    (m) => ((m as Record<string, unknown>).schema = 'v2'),
    /^schema must be "ct-fhir.model\/1", got "v2"/,
  ],
  ['missing name', (m) => delete m.name, /^name must be a non-empty string, got nothing/],
  ['uppercase name', (m) => ((m as Record<string, unknown>).name = 'Tiny'), /^name must match lowercase/],
  [
    'non-semver version',
    (m) => ((m as Record<string, unknown>).version = '1.0'),
    /^version must match semantic version/,
  ],
  [
    'synthetic not boolean',
    (m) => ((m as Record<string, unknown>).synthetic = 'yes'),
    /^synthetic must be true or false/,
  ],
  ['unknown weights kind', (m) => ((m as Record<string, unknown>).weights = 'pretrained'), /^weights must be one of/],
  ['file with a folder', (m) => ((m as Record<string, unknown>).file = '../x.onnx'), /^file must match a file name/],
  ['unknown top-level field', (m) => ((m as Record<string, unknown>).treshold = 1), /^treshold is not a known field/],
  [
    'input shape not ending in preprocessing shape',
    (m) => set(m, ['input', 'shape'], [1, 6, 8, 9]),
    /^input.shape must end with preprocessing.shape \[6, 8, 8\]/,
  ],
  ['input batch not 1', (m) => set(m, ['input', 'shape'], [2, 6, 8, 8]), /^input.shape\[0\] must be 1/],
  [
    'input shape with a fraction',
    (m) => set(m, ['input', 'shape'], [1, 6, 8.5, 8]),
    /^input.shape\[2\] must be an integer/,
  ],
  ['input dtype not float32', (m) => set(m, ['input', 'dtype'], 'int16'), /^input.dtype must be one of "float32"/],
  [
    'output activation unknown',
    (m) => set(m, ['output', 'activation'], 'softmax'),
    /^output.activation must be one of "sigmoid", "none"/,
  ],
  ['output name missing', (m) => set(m, ['output', 'name'], ''), /^output.name must be a non-empty string/],
  [
    'spacing of two values',
    (m) => set(m, ['preprocessing', 'spacing'], [1, 1]),
    /^preprocessing.spacing must have exactly 3 items/,
  ],
  [
    'zero spacing',
    (m) => set(m, ['preprocessing', 'spacing'], [0, 1, 1]),
    /^preprocessing.spacing\[0\] must be a number in \[0.01, 100\]/,
  ],
  [
    'reversed clip range',
    (m) => set(m, ['preprocessing', 'inputClipHU'], [200, -1000]),
    /^preprocessing.inputClipHU must be \[low, high\] with low < high/,
  ],
  [
    'centre not a number',
    (m) => set(m, ['preprocessing', 'centre'], 'imagenet'),
    /^preprocessing.centre must be a number/,
  ],
  [
    'pad value a word other than min',
    (m) => set(m, ['preprocessing', 'padValue'], 'max'),
    /^preprocessing.padValue must be a number/,
  ],
  [
    'unknown preprocessing field',
    (m) => set(m, ['preprocessing', 'window'], 1),
    /^preprocessing.window is not a known field/,
  ],
  ['no labels', (m) => ((m as Record<string, unknown>).labels = []), /^labels must have at least 1 item/],
  [
    'label code not snake_case',
    (m) => set(m, ['labels', 0, 'abnormality'], 'Pleural Effusion'),
    /^labels\[0\].abnormality must match a snake_case code/,
  ],
  [
    'label location missing (must be null or a code)',
    (m) => del(m, ['labels', 1, 'location']),
    /^labels\[1\].location must be a non-empty string, got nothing/,
  ],
  [
    'threshold above 1',
    (m) => set(m, ['labels', 2, 'threshold'], 1.5),
    /^labels\[2\].threshold must be a number in \[0, 1\], got 1.5/,
  ],
  [
    'threshold misspelt',
    (m) => renameKey(m, ['labels', 2], 'threshold', 'treshold'),
    /^labels\[2\].treshold is not a known field/,
  ],
  ['repeated label', (m) => set(m, ['labels', 2, 'abnormality'], 'pneumothorax'), /^labels\[2\] repeats labels\[1\]/],
  [
    'metric out of range',
    (m) => set(m, ['labels', 3, 'metrics', 'auroc'], 1.2),
    /^labels\[3\].metrics.auroc must be a number in \[0, 1\]/,
  ],
  [
    'negative case count',
    (m) => set(m, ['labels', 3, 'metrics', 'positives'], -1),
    /^labels\[3\].metrics.positives must be an integer/,
  ],
  [
    'training without data description',
    (m) => del(m, ['training', 'data']),
    /^training.data must be a non-empty string/,
  ],
  [
    'a training device that is not a string',
    (m) => set(m, ['training', 'device'], 3),
    /^training.device must be a non-empty string/,
  ],
  [
    'synthetic model with real training data',
    (m) => set(m, ['training', 'synthetic'], false),
    /^training.synthetic must be true when the manifest says synthetic: true/,
  ],
  [
    'synthetic model without the clinical-use warning',
    (m) => ((m as Record<string, unknown>).intendedUse = 'Research.'),
    /^intendedUse must say "not for clinical use"/,
  ],
  [
    'empty limitations',
    (m) => ((m as Record<string, unknown>).limitations = []),
    /^limitations must have at least 1 item/,
  ],
];

for (const [name, edit, expected] of CASES) {
  test(`rejects a manifest with ${name}`, () => assertProblem(broken(edit), expected));
}

test('the training device is kept for the model card', () => {
  const r = validateManifest(broken((m) => set(m, ['training', 'device'], 'NVIDIA H100 80GB HBM3')));
  assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
  assert.equal(r.manifest.training.device, 'NVIDIA H100 80GB HBM3');
});

test('a confidence interval may be a single point but not reversed', () => {
  const point = broken((m) => set(m, ['labels', 3, 'metrics', 'auroc95'], [1, 1]));
  assert.deepEqual(problems(point), []);
  assertProblem(
    broken((m) => set(m, ['labels', 3, 'metrics', 'auroc95'], [0.9, 0.8])),
    /^labels\[3\].metrics.auroc95 must be \[low, high\] with low <= high/,
  );
});

test('reports every problem of a manifest at once', () => {
  const doc = broken((m) => {
    set(m, ['labels', 0, 'threshold'], 2);
    set(m, ['output', 'activation'], 'relu');
    delete m.version;
  });
  assert.equal(problems(doc).length, 3);
});

test('checks label codes against the ct-abnormality and ct-location code systems when given', () => {
  const vocabulary: LabelVocabulary = {
    abnormality: new Set(['pleural_effusion', 'pneumothorax', 'nodule']),
    location: new Set(['lung']),
  };
  const found = problems(GOOD, vocabulary);
  assert.deepEqual(found, [
    'labels[0].location is not a code of the ct-location CodeSystem, got "left_lung"',
    'labels[3].abnormality is not a code of the ct-abnormality CodeSystem, got "mass"',
  ]);
});

type Path = (string | number)[];
function parentOf(root: unknown, path: Path): Record<string | number, unknown> {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  return node;
}
function set(root: unknown, path: Path, value: unknown): void {
  parentOf(root, path)[path[path.length - 1]!] = value;
}
function del(root: unknown, path: Path): void {
  delete parentOf(root, path)[path[path.length - 1]!];
}
function renameKey(root: unknown, path: Path, from: string, to: string): void {
  const obj = parentOf(root, [...path, from]);
  obj[to] = obj[from];
  delete obj[from];
}
