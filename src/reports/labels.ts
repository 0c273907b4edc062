// Label views of a report's findings: the 84 x 53 abnormality x location matrix, the 83-vector (CT-Net order) and
// the 18 CT-RATE labels through the ct-abnormality -> CT-RATE ConceptMap. The hedge policy applies here, at label
// time, so findings keep their 'uncertain' polarity for FHIR and the caller chooses how to count them.
import type { Finding, Polarity } from './extract.js';

/** How hedged findings ("possible", "cannot be excluded", "?") count as labels. SARLE's choice for CT: positive. */
export type HedgePolicy = 'positive' | 'uncertain' | 'negative';

/** Default hedge policy (SARLE counts ambiguous CT findings as positive). */
export const DEFAULT_HEDGE_POLICY: HedgePolicy = 'positive';

/** Whether a finding with this polarity counts as a positive label under the policy. With 'uncertain' the label
 * views report only certain findings; callers that want three states read `polarity` from the findings directly. */
export function countsAsPositive(polarity: Polarity, policy: HedgePolicy): boolean {
  if (polarity === 'present') return true;
  return polarity === 'uncertain' && policy === 'positive';
}

/** One ConceptMap target for an abnormality: the CT-RATE label, and the locations it requires (none = any). */
export interface LabelMapTarget {
  readonly label: string;
  readonly locations: ReadonlySet<string> | null;
}

/** ct-abnormality code -> CT-RATE targets, compiled from the ConceptMap by src/terminology. */
export interface LabelMap {
  readonly labels: readonly string[];
  readonly targets: ReadonlyMap<string, readonly LabelMapTarget[]>;
}

/** The abnormality x location matrix (row-major, rows = abnormality codes, columns = location codes). */
export interface LabelMatrix {
  readonly rows: readonly string[];
  readonly columns: readonly string[];
  readonly cells: Uint8Array;
}

/** Builds the 84 x 53 matrix (SARLE output) from findings. */
export function toMatrix(
  findings: readonly Finding[],
  rows: readonly string[],
  columns: readonly string[],
  policy: HedgePolicy = DEFAULT_HEDGE_POLICY,
): LabelMatrix {
  const cells = new Uint8Array(rows.length * columns.length);
  const r = new Map(rows.map((c, i) => [c, i]));
  const c = new Map(columns.map((l, i) => [l, i]));
  for (const f of findings) {
    if (!countsAsPositive(f.polarity, policy)) continue;
    const i = r.get(f.abnormality);
    const j = c.get(f.location);
    if (i !== undefined && j !== undefined) cells[i * columns.length + j] = 1;
  }
  return { rows, columns, cells };
}

/** The per-report vector over `labels` (e.g. the 83 abnormalities in CT-Net order): 1 where any location is positive. */
export function toVector(
  findings: readonly Finding[],
  labels: readonly string[],
  policy: HedgePolicy = DEFAULT_HEDGE_POLICY,
): Uint8Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = new Uint8Array(labels.length);
  for (const f of findings) {
    const i = index.get(f.abnormality);
    if (i !== undefined && countsAsPositive(f.polarity, policy)) out[i] = 1;
  }
  return out;
}

/** The CT-RATE label vector (in `map.labels` order) through the ConceptMap, honouring location dependencies. */
export function toMappedLabels(
  findings: readonly Finding[],
  map: LabelMap,
  policy: HedgePolicy = DEFAULT_HEDGE_POLICY,
): Uint8Array {
  const index = new Map(map.labels.map((l, i) => [l, i]));
  const out = new Uint8Array(map.labels.length);
  for (const f of findings) {
    if (!countsAsPositive(f.polarity, policy)) continue;
    for (const t of map.targets.get(f.abnormality) ?? []) {
      if (t.locations && !t.locations.has(f.location)) continue;
      const i = index.get(t.label);
      if (i !== undefined) out[i] = 1;
    }
  }
  return out;
}
