// Generated radiology-style summary of an AI run (DiagnosticReport.conclusion). Plain, structured language: it lists
// what the model flagged, says how many findings it assessed (a model assesses a fixed set, so "no abnormality" would
// claim more than it checked), and that it is preliminary and machine-generated. Outputs below their threshold are
// not called absent: a score under the operating point does not exclude the finding.
import type { AiFindingInput } from './types.js';

/** A score as the summary shows it: two decimals, but never rounded up to certainty or down to nothing. */
function score(p: number): string {
  if (p > 0.99 && p < 1) return '>0.99';
  if (p > 0 && p < 0.01) return '<0.01';
  return p.toFixed(2);
}

/**
 * "Preliminary machine-generated findings by M 1.0; not reviewed by a radiologist. Above the operating threshold
 * (2 of 14 findings assessed): Pleural effusion (left lung): probability 0.91 (threshold 0.17). ..."
 */
export function summaryText(
  outputs: readonly AiFindingInput[],
  display: (code: string) => string,
  model: string,
): string {
  const head = `Preliminary machine-generated findings by ${model}; not reviewed by a radiologist.`;
  const assessed = `${outputs.length} ${outputs.length === 1 ? 'finding' : 'findings'} assessed`;
  const positives = outputs.filter((f) => f.positive);
  if (positives.length === 0) {
    const none = `None of the ${assessed} is above its operating threshold`;
    return `${head} ${none}; this does not exclude them, and other findings are not assessed.`;
  }
  const lines = [...positives]
    .sort((a, b) => b.probability - a.probability)
    .map((f) => {
      const where = f.location ? ` (${display(f.location).toLowerCase()})` : '';
      return `${display(f.abnormality)}${where}: probability ${score(f.probability)} (threshold ${f.threshold}).`;
    });
  return `${head} Above the operating threshold (${positives.length} of ${assessed}): ${lines.join(' ')}`;
}
