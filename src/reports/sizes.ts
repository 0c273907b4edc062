// Measurements in report text ("13x9.3 mm", "1.2 cm", "2.3 and 3 mm") and the size rules they drive (SARLE:
// nodule over 1 cm -> nodulegr1cm; lymph node over 1 cm or enlarged -> lymphadenopathy).
import type { Token } from './tokens.js';
import type { Vocabulary } from './vocabulary.js';

const NUMBER = /^\d+(?:[.,]\d+)?$/;
const JOINERS = new Set(['x', '*', 'and', ',', 'or', 'to', 'by']);
// A measurement of an earlier examination is not the current size: "previously 12 mm", "(12 mm in the previous
// examination)", "12 mm on prior". Linguistic, not vocabulary: the words are the same for every finding.
const PRIOR = new Set(['previously', 'previous', 'prior', 'formerly', 'earlier']);
const PRIOR_REACH = 4;

function isUnit(t: string): boolean {
  return t === 'mm' || t === 'cm';
}

/** Largest measurement in millimetres within tokens[from, to), skipping upper bounds ("smaller than 5 mm") and
 * sizes of a previous examination. An upper bound or "previously" covers only the next measurement of its phrase. */
export function largestMillimetres(tokens: readonly Token[], from: number, to: number, vocab: Vocabulary): number {
  let best = 0;
  const skipped = new Uint8Array(to - from);
  const skipNext = (at: number): void => {
    for (let i = at; i < Math.min(to, at + 6) && !tokens[i]!.punct; i++) {
      skipped[i - from] = 1;
      if (isUnit(tokens[i]!.text)) break;
    }
  };
  for (const m of vocab.smallerWords.matchAll(tokens, from, to)) skipNext(m.to);
  for (let i = from; i < to; i++) if (PRIOR.has(tokens[i]!.text)) skipNext(i + 1);
  for (let i = from; i < to; i++) {
    const unit = tokens[i]!.text;
    if (!isUnit(unit)) continue;
    // "74 mm in the previous examination": a prior word shortly after, before any punctuation or other number.
    let prior = false;
    for (let k = i + 1; k < Math.min(to, i + 1 + PRIOR_REACH); k++) {
      const t = tokens[k]!;
      if (t.punct || NUMBER.test(t.text)) break;
      if (PRIOR.has(t.text)) prior = true;
    }
    if (prior) continue;
    const factor = unit === 'cm' ? 10 : 1;
    // Walk back over a run of numbers joined by x / and / commas: "13 x 9.3 mm", "2.3 and 3 mm".
    for (let j = i - 1; j >= from; j--) {
      const t = tokens[j]!.text;
      if (NUMBER.test(t)) {
        if (!skipped[j - from]) best = Math.max(best, Number(t.replace(',', '.')) * factor);
      } else if (!JOINERS.has(t)) break;
    }
  }
  return best;
}
