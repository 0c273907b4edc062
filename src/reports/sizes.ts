// Measurements in report text ("13x9.3 mm", "1.2 cm", "2.3 and 3 mm") and the size rules they drive (SARLE:
// nodule over 1 cm -> nodulegr1cm; lymph node over 1 cm or enlarged -> lymphadenopathy).
import type { Token } from './tokens.js';
import type { Vocabulary } from './vocabulary.js';

const NUMBER = /^\d+(?:[.,]\d+)?$/;
const JOINERS = new Set(['x', '*', 'and', ',', 'or', 'to', 'by']);

/** Largest measurement in millimetres within tokens[from, to), skipping upper bounds ("smaller than 5 mm"). */
export function largestMillimetres(tokens: readonly Token[], from: number, to: number, vocab: Vocabulary): number {
  let best = 0;
  const bounded = new Uint8Array(to - from);
  for (const m of vocab.smallerWords.matchAll(tokens, from, to)) {
    for (let i = m.to; i < Math.min(to, m.to + 6); i++) bounded[i - from] = 1;
  }
  for (let i = from; i < to; i++) {
    const unit = tokens[i]!.text;
    if (unit !== 'mm' && unit !== 'cm') continue;
    const factor = unit === 'cm' ? 10 : 1;
    // Walk back over a run of numbers joined by x / and / commas: "13 x 9.3 mm", "2.3 and 3 mm".
    for (let j = i - 1; j >= from; j--) {
      const t = tokens[j]!.text;
      if (NUMBER.test(t)) {
        if (!bounded[j - from]) best = Math.max(best, Number(t.replace(',', '.')) * factor);
      } else if (!JOINERS.has(t)) break;
    }
  }
  return best;
}
