// Generated radiology-style summary of positive AI findings (DiagnosticReport.conclusion). Plain, structured
// language: it lists what the model flagged and says that it is preliminary and machine-generated.
import type { AiFindingInput } from './types.js';

/** "AI findings (model 1.0, preliminary, not reviewed): Pleural effusion (left lung), probability 0.91. ..." */
export function summaryText(
  positives: readonly AiFindingInput[],
  display: (code: string) => string,
  model: string,
): string {
  const head = `Preliminary machine-generated findings by ${model}; not reviewed by a radiologist.`;
  if (positives.length === 0) return `${head} No abnormality above the operating thresholds.`;
  const lines = [...positives]
    .sort((a, b) => b.probability - a.probability)
    .map((f) => {
      const where = f.location ? ` (${display(f.location).toLowerCase()})` : '';
      return `${display(f.abnormality)}${where}: probability ${f.probability.toFixed(2)}.`;
    });
  return `${head} Positive: ${lines.join(' ')}`;
}
