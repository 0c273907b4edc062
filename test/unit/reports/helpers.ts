// Shared helpers for the report-extraction tests: the real terminology (no mocks) and a compact view of findings.
import { extractFindings, type Finding } from '../../../src/reports/extract.js';
import { getTerminology } from '../../../src/terminology/load.js';

export const terminology = getTerminology();
export const vocab = terminology.vocabulary;

/** Findings as "abnormality@location=polarity" strings, sorted. */
export function summary(text: string): string[] {
  return extractFindings(text, vocab)
    .map((f) => `${f.abnormality}@${f.location}=${f.polarity}`)
    .sort();
}

/** The polarity of an abnormality in any location (strongest), or undefined when not mentioned. */
export function polarity(text: string, abnormality: string): Finding['polarity'] | undefined {
  const order = { present: 3, uncertain: 2, absent: 1 } as const;
  let best: Finding['polarity'] | undefined;
  for (const f of extractFindings(text, vocab)) {
    if (f.abnormality === abnormality && (!best || order[f.polarity] > order[best])) best = f.polarity;
  }
  return best;
}

/** Locations at which an abnormality is present or uncertain. */
export function locations(text: string, abnormality: string): string[] {
  return extractFindings(text, vocab)
    .filter((f) => f.abnormality === abnormality && f.polarity !== 'absent')
    .map((f) => f.location)
    .sort();
}
