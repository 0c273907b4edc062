// `ct-fhir eval-labels --pred labels.csv --gold gold.csv [--json]`: per-label precision, recall, F1 and support of
// predicted 0/1 labels against gold labels, matched by the id column, with macro and micro F1.
import { readFileSync } from 'node:fs';
import { CsvError, parseCsv } from '../reports/csv.js';
import { evaluate, formatEvaluation } from '../reports/metrics.js';
import {
  checkWidth,
  decodeText,
  fileProblem,
  parseFlags,
  repeated,
  TEXT_ENCODINGS,
  UsageError,
  type TextEncoding,
} from './usage.js';

export const HELP = `usage: ct-fhir eval-labels --pred labels.csv --gold gold.csv [--id-column NAME] [--json] [--encoding ${TEXT_ENCODINGS.join('|')}]
  Label columns are matched by name; rows by the id column (default: the first column of --pred).
`;

interface Table {
  header: string[];
  rows: string[][];
}

function readTable(path: string, flag: string, encoding: TextEncoding): Table {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new UsageError(`cannot read --${flag} ${path}: ${fileProblem(err)}`);
  }
  const where = `--${flag} ${path}`;
  let rows: string[][];
  try {
    rows = parseCsv(decodeText(bytes, where, encoding)).filter((r) => !(r.length === 1 && r[0] === ''));
  } catch (err) {
    if (err instanceof CsvError) throw new UsageError(`${where}: ${err.message}`);
    throw err;
  }
  const [header, ...body] = rows;
  if (!header) throw new UsageError(`${where} is empty`);
  const twice = repeated(header);
  if (twice.length) throw new UsageError(`${where} names column ${twice.map((c) => `"${c}"`).join(', ')} twice`);
  // A short record would read as 0 in its missing columns, a long one means a shifted row: both are errors.
  body.forEach((row, i) => checkWidth(row, header.length, where, i + 2));
  return { header, rows: body };
}

/** Rows by id; an id given twice is an error (which of the two would count?). */
function byId(table: Table, column: number, flag: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const row of table.rows) {
    const id = row[column] ?? '';
    if (rows.has(id)) throw new UsageError(`--${flag}: id "${id}" is in more than one record`);
    rows.set(id, row);
  }
  return rows;
}

function binary(value: string | undefined, where: string): number {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '1' || v === '1.0' || v === 'true') return 1;
  if (v === '0' || v === '0.0' || v === 'false' || v === '') return 0;
  throw new UsageError(`${where}: expected 0 or 1, got "${value}"`);
}

/** Runs `ct-fhir eval-labels`; returns the exit code. */
export async function evalLabels(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      pred: { type: 'string' },
      gold: { type: 'string' },
      json: { type: 'boolean' },
      'id-column': { type: 'string' },
      encoding: { type: 'string' },
    },
    HELP,
  );
  if (!values.pred || !values.gold)
    throw new UsageError(`--pred <labels.csv> and --gold <gold.csv> are required\n${HELP}`);
  const encoding = values.encoding ?? 'utf8';
  if (!(TEXT_ENCODINGS as readonly string[]).includes(encoding))
    throw new UsageError(`--encoding must be one of ${TEXT_ENCODINGS.join(', ')}, got "${encoding}"`);
  const pred = readTable(values.pred, 'pred', encoding as TextEncoding);
  const gold = readTable(values.gold, 'gold', encoding as TextEncoding);
  if (pred.rows.length === 0) throw new UsageError(`--pred ${values.pred} has no records`);
  const idName = values['id-column'] ?? pred.header[0]!;
  const pid = pred.header.indexOf(idName);
  const gid = gold.header.indexOf(idName);
  if (pid < 0) throw new UsageError(`--pred has no id column "${idName}"`);
  if (gid < 0) throw new UsageError(`--gold has no id column "${idName}"`);
  const labels = pred.header.filter((h, i) => i !== pid && gold.header.includes(h));
  if (labels.length === 0) throw new UsageError('--pred and --gold share no label column');
  const unscored = pred.header.filter((h, i) => i !== pid && !gold.header.includes(h));
  byId(pred, pid, 'pred');
  const goldById = byId(gold, gid, 'gold');
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
  if (unscored.length) {
    // Gold files carry other columns (report text); a predicted label gold lacks is worth a word (a renamed label?).
    process.stderr.write(`eval-labels: --pred columns not in --gold, not scored: ${unscored.join(', ')}\n`);
  }
  const result = evaluate(labels, g, p);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatEvaluation(result));
  return 0;
}
