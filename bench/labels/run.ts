// Report-label extraction benchmark: reports/s on one core (this process, single-threaded) over the CT-RATE gold
// reports repeated to 50,000, with peak memory, against a naive baseline measured in the same run: keyword presence
// (the same synonyms, matched anywhere in the text) with no sections, negation, hedges, locations or sizes. Both
// are also scored on the 800 gold reports so the speed ratio comes with the quality it buys.
// Usage: node --import tsx bench/labels/run.ts [--data ../shared/data/ctrate-gold-train.csv] [--reports 50000]
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseCsv } from '../../src/reports/csv.js';
import { extractFindings } from '../../src/reports/extract.js';
import { toMappedLabels } from '../../src/reports/labels.js';
import { evaluate } from '../../src/reports/metrics.js';
import { getTerminology, type Terminology } from '../../src/terminology/load.js';
import { printTable, saveResults } from '../support/report.js';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
}

const DATA = arg('data', '../shared/data/ctrate-gold-train.csv');
const TOTAL = Number(arg('reports', '50000'));
if (!existsSync(DATA)) {
  console.error(`bench/labels: ${DATA} not found (pass --data <ctrate-gold-train.csv>)`);
  process.exit(1);
}

// Term syntax -> regular expression ("pleural effusion*" -> \bpleural\s+effusion\w*).
function termRegex(term: string): string {
  return term
    .toLowerCase()
    .split(/\s+/)
    .map((p) =>
      p.endsWith('*')
        ? `${p.slice(0, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\w*`
        : `${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\w*`,
    )
    .join('[\\s-]+');
}

/** The naive baseline: one regex per CT-RATE label from the synonyms of the abnormalities mapped to it. */
function naiveLabeller(t: Terminology): (text: string) => Uint8Array {
  const terms = t.vocabulary.source.abnormalityTerms.abnormalities;
  const patterns = t.ctRate18.labels.map((label) => {
    const codes = [...t.ctRate18.targets.entries()]
      .filter(([, ts]) => ts.some((x) => x.label === label))
      .map(([c]) => c);
    const alts = codes
      .flatMap((c) => [...(terms[c]?.any ?? []), ...(terms[c]?.pairs ?? []).map((p) => p[0])])
      .map(termRegex);
    return new RegExp(`\\b(?:${alts.join('|')})`, 'i');
  });
  return (text) => Uint8Array.from(patterns, (p) => (p.test(text) ? 1 : 0));
}

function measure(
  name: string,
  reports: string[],
  label: (text: string) => Uint8Array,
): Record<string, string | number> {
  for (let i = 0; i < Math.min(reports.length, 400); i++) label(reports[i]!); // warm-up (JIT, memoised vocabulary)
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  let peakRss = process.memoryUsage().rss;
  let positives = 0;
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let n = 0; n < TOTAL; n++) {
    const v = label(reports[n % reports.length]!);
    for (const x of v) positives += x;
    if (n % 2000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  const wall = (performance.now() - wall0) / 1000;
  const cpuUse = process.cpuUsage(cpu0);
  const cpu = (cpuUse.user + cpuUse.system) / 1e6;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return {
    method: name,
    reports: TOTAL,
    wallSeconds: Number(wall.toFixed(2)),
    reportsPerSecWall: Math.round(TOTAL / wall),
    reportsPerSecCpu: Math.round(TOTAL / cpu),
    peakRssMiB: Math.round(peakRss / 2 ** 20),
    positives,
  };
}

const t = getTerminology();
const [header, ...rows] = parseCsv(readFileSync(DATA, 'utf8'));
const textCol = header!.indexOf('report_text');
const columns = t.ctRate18.labels.map((l) => header!.indexOf(l));
const reports = rows.map((r) => r[textCol]!);
const gold = rows.map((r) => columns.map((c) => Number(r[c])));

const extractor = (text: string): Uint8Array => toMappedLabels(extractFindings(text, t.vocabulary), t.ctRate18);
const naive = naiveLabeller(t);

const quality = [
  { method: 'ct-fhir extractor', ...summary(evaluate(t.ctRate18.labels, gold, reports.map(extractor))) },
  { method: 'naive keywords', ...summary(evaluate(t.ctRate18.labels, gold, reports.map(naive))) },
];
function summary(e: ReturnType<typeof evaluate>): { macroF1: number; microF1: number; minLabelF1: number } {
  return {
    macroF1: Number(e.macroF1.toFixed(3)),
    microF1: Number(e.microF1.toFixed(3)),
    minLabelF1: Number(Math.min(...e.labels.map((l) => l.f1)).toFixed(3)),
  };
}

const load = loadavg()[0]!;
const speed = [measure('naive keywords', reports, naive), measure('ct-fhir extractor', reports, extractor)];
const ratio = Number(speed[1]!.reportsPerSecCpu as number) / Number(speed[0]!.reportsPerSecCpu as number);

printTable(
  `Label extraction, ${reports.length} CT-RATE reports repeated to ${TOTAL} (one thread; load average ${load.toFixed(1)})`,
  speed,
);
printTable('Quality on the 800 gold reports (CT-RATE 18 labels)', quality);
console.log(`\nextractor / naive speed (CPU time): ${ratio.toFixed(3)}; target >= 2000 reports/s`);
saveResults('labels', {
  data: DATA,
  reportsDistinct: reports.length,
  reportsTotal: TOTAL,
  loadAverage1m: load,
  speed,
  quality,
  extractorOverNaiveSpeed: Number(ratio.toFixed(3)),
  note: 'reportsPerSecCpu divides by this process CPU time, which is robust to other load on a shared machine; reportsPerSecWall is wall clock.',
});
