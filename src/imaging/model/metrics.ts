// Per-label classifier metrics (pure): AUROC (Mann-Whitney, ties count half), percentile-bootstrap 95% interval,
// average precision (step-wise, as scikit-learn's average_precision_score), sensitivity / specificity at an operating
// threshold, and the ROC curve points to plot. Labels are 0/1; scores any finite numbers.

export interface RocPoint {
  fpr: number;
  tpr: number;
  threshold: number;
}

/** Positives and negatives of a 0/1 label vector. */
export function counts(labels: ArrayLike<number>): { positives: number; negatives: number } {
  let positives = 0;
  for (let i = 0; i < labels.length; i++) positives += labels[i] === 1 ? 1 : 0;
  return { positives, negatives: labels.length - positives };
}

function check(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores (${scores.length}) and labels (${labels.length}) differ in length`);
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new RangeError(`label ${i} is ${labels[i]}, must be 0 or 1`);
    if (!Number.isFinite(scores[i]!)) throw new RangeError(`score ${i} is ${scores[i]}, must be finite`);
  }
}

/** Indices sorted by descending score. */
function byScoreDesc(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
}

/** Area under the ROC curve = P(score of a positive > score of a negative) + 0.5 P(tie); null without both classes. */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  check(scores, labels);
  const { positives, negatives } = counts(labels);
  if (positives === 0 || negatives === 0) return null;
  // Rank-sum with average ranks for ties (Mann-Whitney U).
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!] === 1) rankSum += avgRank;
    i = j + 1;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** ROC curve from (0,0) to (1,1), one point per distinct threshold (descending). */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  check(scores, labels);
  const { positives, negatives } = counts(labels);
  const order = byScoreDesc(scores);
  const points: RocPoint[] = [{ fpr: 0, tpr: 0, threshold: Infinity }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]!] === 1) tp++;
    else fp++;
    const next = order[i + 1];
    if (next !== undefined && scores[next] === scores[order[i]!]) continue;
    points.push({
      fpr: negatives ? fp / negatives : 0,
      tpr: positives ? tp / positives : 0,
      threshold: scores[order[i]!]!,
    });
  }
  return points;
}

/** Average precision: sum over thresholds of (recall step) x precision, null without positives. */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number | null {
  check(scores, labels);
  const { positives } = counts(labels);
  if (positives === 0) return null;
  const order = byScoreDesc(scores);
  let tp = 0;
  let fp = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]!] === 1) tp++;
    else fp++;
    const next = order[i + 1];
    if (next !== undefined && scores[next] === scores[order[i]!]) continue;
    const recall = tp / positives;
    ap += (recall - prevRecall) * (tp / (tp + fp));
    prevRecall = recall;
  }
  return ap;
}

/** Sensitivity and specificity when positive means score >= threshold; null for a class that is absent. */
export function atThreshold(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): { sensitivity: number | null; specificity: number | null } {
  check(scores, labels);
  let tp = 0;
  let tn = 0;
  let p = 0;
  for (let i = 0; i < labels.length; i++) {
    const positive = scores[i]! >= threshold;
    if (labels[i] === 1) {
      p++;
      if (positive) tp++;
    } else if (!positive) tn++;
  }
  const n = labels.length - p;
  return { sensitivity: p ? tp / p : null, specificity: n ? tn / n : null };
}

/** Deterministic PRNG (mulberry32) so a bootstrap interval is reproducible from its seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Percentile bootstrap 95% interval of the AUROC (cases resampled with replacement; resamples lacking a class
 * are skipped); null when fewer than half the resamples have both classes. */
export function aurocBootstrapCI(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  resamples = 1000,
  seed = 1,
): [number, number] | null {
  check(scores, labels);
  const n = labels.length;
  const random = mulberry32(seed);
  const s = new Float64Array(n);
  const l = new Uint8Array(n);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) {
      const k = Math.floor(random() * n);
      s[i] = scores[k]!;
      l[i] = labels[k]!;
    }
    const a = auroc(s, l);
    if (a !== null) values.push(a);
  }
  if (values.length === 0 || values.length < resamples / 2) return null;
  values.sort((a, b) => a - b);
  return [quantile(values, 0.025), quantile(values, 0.975)];
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('quantile of no values');
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface LabelEvaluation {
  abnormality: string;
  location: string | null;
  positives: number;
  negatives: number;
  auroc: number | null;
  auroc95: [number, number] | null;
  averagePrecision: number | null;
  threshold: number;
  sensitivity: number | null;
  specificity: number | null;
}

/** All metrics of one label at its operating threshold. */
export function evaluateLabel(
  label: { abnormality: string; location: string | null; threshold: number },
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  options: { resamples?: number; seed?: number } = {},
): LabelEvaluation {
  const { positives, negatives } = counts(labels);
  return {
    abnormality: label.abnormality,
    location: label.location,
    positives,
    negatives,
    auroc: auroc(scores, labels),
    auroc95: aurocBootstrapCI(scores, labels, options.resamples ?? 1000, options.seed ?? 1),
    averagePrecision: averagePrecision(scores, labels),
    threshold: label.threshold,
    ...atThreshold(scores, labels, label.threshold),
  };
}
