// Radiology report text of a phantom: FINDINGS (by organ, a sentence per present finding and a normal statement
// for every absent one) and IMPRESSION, with phrasing varied by the seed. Pure: placed findings in, text out.
import phrases from './report-phrases.json' with { type: 'json' };
import type { PlacedFinding } from './placement.js';
import type { Rng } from './prng.js';
import { FINDING_NAMES } from './spec.js';

type Table = Record<string, string[]>;
const PRESENT = phrases.present as Table;
const ABSENT = phrases.absent as Table;
const PAIRS = phrases.pairs as Table;
const IMPRESSION = phrases.impression as Table;
const LOCATIONS = phrases.locations as Record<string, string>;
const SIDES = phrases.sides as Record<string, string>;
const NODE_SITES = phrases.nodeSites as Record<string, string>;
const SECTIONS = phrases.sections as Record<string, string[]>;
const FIXED = phrases.fixedNormals as Record<string, string[]>;

const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function fill(template: string, f: PlacedFinding): string {
  const words: Record<string, string> = {
    loc: LOCATIONS[f.location] ?? f.location.replace(/_/g, ' '),
    size: String(f.spec.sizeMm ?? ''),
    sev: f.spec.severity ?? '',
    side: SIDES[f.location] ?? '',
    site: NODE_SITES[f.location] ?? '',
  };
  const out = template.replace(/\{([A-Za-z]+)\}/g, (_m, key: string) => {
    const value = words[key.toLowerCase()] ?? '';
    return key[0] === key[0]!.toUpperCase() ? capital(value) : value;
  });
  return capital(out.replace(/ {2,}/g, ' ').trim());
}

/** Sentences of one findings section: present findings first, then normal statements for absent ones. */
function section(rng: Rng, names: string[], present: PlacedFinding[]): string[] {
  const out: string[] = [];
  for (const name of names)
    for (const f of present.filter((p) => p.spec.abnormality === name)) out.push(fill(rng.pick(PRESENT[name]!), f));
  const absent = names.filter((n) => !present.some((p) => p.spec.abnormality === n));
  const done = new Set<string>();
  for (const [key, variants] of Object.entries(PAIRS)) {
    const [a, b] = key.split('+') as [string, string];
    if (absent.includes(a) && absent.includes(b)) {
      out.push(rng.pick(variants));
      done.add(a).add(b);
    }
  }
  for (const name of absent) if (!done.has(name)) out.push(rng.pick(ABSENT[name]!));
  return out;
}

/** The report text of a phantom (title, technique, findings by organ, numbered impression). */
export function phantomReport(findings: readonly PlacedFinding[], rng: Rng): string {
  const present = [...findings];
  const covered = new Set(Object.values(SECTIONS).flat());
  const missing = FINDING_NAMES.filter((n) => !covered.has(n));
  if (missing.length > 0) throw new Error(`report-phrases.json has no section for ${missing.join(', ')}`);
  const lines = [
    phrases.header.title,
    '',
    `TECHNIQUE: ${phrases.header.technique}`,
    '',
    `COMPARISON: ${phrases.header.comparison}`,
    '',
    'FINDINGS:',
  ];
  for (const [key, names] of Object.entries(SECTIONS)) {
    lines.push([...(FIXED[key] ?? []), ...section(rng, names, present)].join(' '));
  }
  lines.push('No acute osseous abnormality.', '', 'IMPRESSION:');
  if (present.length === 0) lines.push(`1. ${rng.pick(phrases.normalImpression)}`);
  else present.forEach((f, n) => lines.push(`${n + 1}. ${fill(rng.pick(IMPRESSION[f.spec.abnormality]!), f)}`));
  return lines.join('\n') + '\n';
}
