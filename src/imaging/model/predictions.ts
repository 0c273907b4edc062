// Pure post-processing of one model run: raw outputs -> activation -> per-label probability and positive flag at
// the manifest's operating threshold. Non-finite values are an error, never a finding.
import { ModelError } from './errors.js';
import type { ModelManifest } from './manifest.js';

/** One model output as a finding (the `classify` contract, issue 7). */
export interface Finding {
  abnormality: string;
  location: string | null;
  probability: number;
  positive: boolean;
}

/** Logistic function, numerically stable for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Maps raw outputs to findings in label order; throws ModelError on a wrong length or NaN/Inf outputs. */
export function toFindings(manifest: ModelManifest, raw: ArrayLike<number>): Finding[] {
  const labels = manifest.labels;
  if (raw.length !== labels.length) {
    throw new ModelError(
      'model-broken',
      `model ${manifest.name} ${manifest.version} produced ${raw.length} outputs, its manifest lists ${labels.length} labels`,
    );
  }
  const bad: string[] = [];
  const findings = labels.map((label, i) => {
    const value = raw[i]!;
    if (!Number.isFinite(value)) bad.push(`${label.abnormality}=${value}`);
    const probability = manifest.output.activation === 'sigmoid' ? sigmoid(value) : value;
    if (Number.isFinite(value) && (probability < 0 || probability > 1)) bad.push(`${label.abnormality}=${value}`);
    return {
      abnormality: label.abnormality,
      location: label.location,
      probability,
      positive: probability >= label.threshold,
    };
  });
  if (bad.length > 0) {
    const what =
      manifest.output.activation === 'none' ? 'non-finite or out-of-range probabilities' : 'non-finite outputs';
    throw new ModelError(
      'non-finite-output',
      `model ${manifest.name} ${manifest.version} produced ${what} (${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ', ...' : ''}); nothing was written`,
    );
  }
  return findings;
}

/** Checks a model input tensor against the manifest: exact dims, matching length, finite values. */
export function checkInput(manifest: ModelManifest, data: Float32Array, dims: readonly number[]): void {
  const want = manifest.input.shape;
  if (dims.length !== want.length || dims.some((d, i) => d !== want[i])) {
    throw new ModelError(
      'input-shape',
      `model ${manifest.name} expects input [${want.join(', ')}], got [${dims.join(', ')}]`,
    );
  }
  const n = want.reduce((a, b) => a * b, 1);
  if (data.length !== n) {
    throw new ModelError('input-shape', `model ${manifest.name} expects ${n} input values, got ${data.length}`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new ModelError('input-invalid', `input value ${i} is ${data[i]}; the preprocessed volume must be finite`);
    }
  }
}
