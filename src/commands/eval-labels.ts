// `ct-fhir eval-labels --pred labels.csv --gold gold.csv [--json]`: per-label precision, recall, F1 and support of
// predicted 0/1 labels against gold labels, matched by the id column, with macro and micro F1.
import { readFileSync } from 'node:fs';
import { CsvError, parseCsv } from '../reports/csv.js';
import { evaluate, formatEvaluation } from '../reports/metrics.js';
import { parseFlags, UsageError } from './usage.js';

interface Table {
  header: string[];
  rows: string[][];
}

function readTable(path: string, flag: string): Table {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let rows: string[][];
  try {
    rows = parseCsv(text).filter((r) => !(r.length === 1 && r[0] === ''));
  } catch (err) {
    if (err instanceof CsvError) throw new UsageError(`--${flag} ${path}: ${err.message}`);
    throw err;
  }
  const [header, ...body] = rows;
  if (!header) throw new UsageError(`--${flag} ${path} is empty`);
  return { header, rows: body };
}

function binary(value: string | undefined, where: string): number {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '1' || v === '1.0' || v === 'true') return 1;
  if (v === '0' || v === '0.0' || v === 'false' || v === '') return 0;
  throw new UsageError(`${where}: expected 0 or 1, got "${value}"`);
}

/** Runs `ct-fhir eval-labels`; returns the exit code. */
export async function evalLabels(argv: string[]): Promise<number> {
  const { values } = parseFlags(argv, {
    pred: { type: 'string' },
    gold: { type: 'string' },
    json: { type: 'boolean' },
    'id-column': { type: 'string' },
  });
  if (!values.pred || !values.gold) throw new UsageError('--pred <labels.csv> and --gold <gold.csv> are required');
  const pred = readTable(values.pred, 'pred');
  const gold = readTable(values.gold, 'gold');
  const idName = values['id-column'] ?? pred.header[0]!;
  const pid = pred.header.indexOf(idName);
  const gid = gold.header.indexOf(idName);
  if (pid < 0) throw new UsageError(`--pred has no id column "${idName}"`);
  if (gid < 0) throw new UsageError(`--gold has no id column "${idName}"`);
  const labels = pred.header.filter((h, i) => i !== pid && gold.header.includes(h));
  if (labels.length === 0) throw new UsageError('--pred and --gold share no label column');
  const goldById = new Map(gold.rows.map((r) => [r[gid] ?? '', r]));
  const g: number[][] = [];
  const p: number[][] = [];
  for (const [n, row] of pred.rows.entries()) {
    const id = row[pid] ?? '';
    const goldRow = goldById.get(id);
    if (!goldRow) throw new UsageError(`--pred record ${n + 2}: id "${id}" is not in --gold`);
    p.push(labels.map((l) => binary(row[pred.header.indexOf(l)], `--pred record ${n + 2} column "${l}"`)));
    g.push(labels.map((l) => binary(goldRow[gold.header.indexOf(l)], `--gold id "${id}" column "${l}"`)));
  }
  if (p.length < gold.rows.length) {
    process.stderr.write(
      `eval-labels: ${gold.rows.length - p.length} gold reports have no prediction and are not scored\n`,
    );
  }
  const result = evaluate(labels, g, p);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatEvaluation(result));
  return 0;
}
