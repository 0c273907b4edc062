// Per-label precision, recall, F1 and support of binary predictions against gold labels, with macro F1 (mean of the
// labels' F1) and micro F1 (pooled counts).

export interface LabelScore {
  readonly label: string;
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Gold positives. */
  readonly support: number;
}

export interface Evaluation {
  readonly reports: number;
  readonly labels: readonly LabelScore[];
  readonly macroF1: number;
  readonly microF1: number;
  readonly microPrecision: number;
  readonly microRecall: number;
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** Scores `pred` against `gold` (same report order, one 0/1 array per report in `labels` order). A label with no
 * gold positives and no predicted positives scores F1 = 1 (nothing to find, nothing wrongly found). */
export function evaluate(
  labels: readonly string[],
  gold: readonly ArrayLike<number>[],
  pred: readonly ArrayLike<number>[],
): Evaluation {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} reports, predictions ${pred.length}`);
  const scores = labels.map((label, j) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < gold.length; i++) {
      const g = gold[i]![j] === 1;
      const p = pred[i]![j] === 1;
      if (g && p) tp++;
      else if (p) fp++;
      else if (g) fn++;
    }
    const empty = tp + fp + fn === 0;
    const precision = empty ? 1 : ratio(tp, tp + fp);
    const recall = empty ? 1 : ratio(tp, tp + fn);
    return { label, tp, fp, fn, precision, recall, f1: empty ? 1 : f1(precision, recall), support: tp + fn };
  });
  const tp = scores.reduce((s, x) => s + x.tp, 0);
  const fp = scores.reduce((s, x) => s + x.fp, 0);
  const fn = scores.reduce((s, x) => s + x.fn, 0);
  const microPrecision = ratio(tp, tp + fp);
  const microRecall = ratio(tp, tp + fn);
  return {
    reports: gold.length,
    labels: scores,
    macroF1: scores.length === 0 ? 0 : scores.reduce((s, x) => s + x.f1, 0) / scores.length,
    microF1: f1(microPrecision, microRecall),
    microPrecision,
    microRecall,
  };
}

/** Formats an evaluation as a fixed-width text table. */
export function formatEvaluation(e: Evaluation): string {
  const width = Math.max(5, ...e.labels.map((l) => l.label.length));
  const num = (x: number): string => x.toFixed(3).padStart(9);
  const lines = [
    `${'label'.padEnd(width)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'f1'.padStart(9)} ${'support'.padStart(8)}`,
  ];
  for (const l of e.labels) {
    lines.push(
      `${l.label.padEnd(width)} ${num(l.precision)} ${num(l.recall)} ${num(l.f1)} ${String(l.support).padStart(8)}`,
    );
  }
  lines.push('');
  lines.push(
    `${'macro F1'.padEnd(width)} ${''.padStart(9)} ${''.padStart(9)} ${num(e.macroF1)} ${String(e.reports).padStart(8)}`,
  );
  lines.push(`${'micro F1'.padEnd(width)} ${num(e.microPrecision)} ${num(e.microRecall)} ${num(e.microF1)}`);
  return `${lines.join('\n')}\n`;
}
