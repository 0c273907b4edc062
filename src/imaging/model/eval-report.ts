// Pure parts of `eval-model`: reading labels.csv against a manifest's labels, and formatting the per-label table.
// labels.csv: a `study` column (sub-folder of --dicom-root) and one 0/1 column per label, named by its abnormality
// code or `abnormality@location`; an empty cell means "unknown" and leaves that study out of that label.
import type { ManifestLabel } from './manifest.js';
import type { LabelEvaluation } from './metrics.js';

export interface TruthTable {
  studies: string[];
  /** Per manifest label (same order): 0/1/null per study, or null when labels.csv has no column for it. */
  columns: ((0 | 1 | null)[] | null)[];
}

/** Column name of a manifest label in labels.csv. */
export function labelKey(label: Pick<ManifestLabel, 'abnormality' | 'location'>): string {
  return label.location ? `${label.abnormality}@${label.location}` : label.abnormality;
}

/** Maps labels.csv rows (header first) onto the manifest labels; throws Error with row/column on bad cells. */
export function readTruth(rows: string[][], labels: readonly ManifestLabel[]): TruthTable {
  const [header, ...body] = rows.filter((r) => r.some((c) => c.trim() !== ''));
  if (!header) throw new Error('labels.csv is empty');
  const names = header.map((h) => h.trim());
  const studyCol = names.indexOf('study');
  if (studyCol < 0) throw new Error(`labels.csv needs a "study" column (header: ${names.join(', ')})`);
  const index = labels.map((l) => names.indexOf(labelKey(l)));
  const studies: string[] = [];
  const columns: ((0 | 1 | null)[] | null)[] = index.map((i) => (i < 0 ? null : []));
  const seen = new Set<string>();
  body.forEach((row, r) => {
    const study = (row[studyCol] ?? '').trim();
    if (!study) throw new Error(`labels.csv row ${r + 2}: empty study`);
    if (seen.has(study)) throw new Error(`labels.csv row ${r + 2}: study "${study}" repeated`);
    seen.add(study);
    studies.push(study);
    index.forEach((c, k) => {
      if (c < 0) return;
      const cell = (row[c] ?? '').trim();
      if (cell !== '' && cell !== '0' && cell !== '1') {
        throw new Error(`labels.csv row ${r + 2}, column ${names[c]}: "${cell}" must be 0, 1 or empty`);
      }
      columns[k]!.push(cell === '' ? null : cell === '1' ? 1 : 0);
    });
  });
  return { studies, columns };
}

const fmt = (v: number | null, digits = 3): string => (v === null ? 'n/a' : v.toFixed(digits));

/** Mean of the non-null AUROCs (null when none). */
export function meanAuroc(evals: readonly LabelEvaluation[]): number | null {
  const values = evals.map((e) => e.auroc).filter((v): v is number => v !== null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

/** Markdown table: one row per label, then the mean AUROC. */
export function formatTable(evals: readonly LabelEvaluation[]): string {
  const head = '| label | pos | neg | AUROC | 95% CI | AP | threshold | sensitivity | specificity |';
  const rule = '|---|---:|---:|---:|---|---:|---:|---:|---:|';
  const rows = evals.map(
    (e) =>
      `| ${labelKey(e)} | ${e.positives} | ${e.negatives} | ${fmt(e.auroc)} | ${e.auroc95 ? `${fmt(e.auroc95[0])}-${fmt(e.auroc95[1])}` : 'n/a'} | ${fmt(e.averagePrecision)} | ${fmt(e.threshold, 4)} | ${fmt(e.sensitivity)} | ${fmt(e.specificity)} |`,
  );
  return [
    head,
    rule,
    ...rows,
    '',
    `mean AUROC over ${evals.filter((e) => e.auroc !== null).length} labels: ${fmt(meanAuroc(evals))}`,
    '',
  ].join('\n');
}
