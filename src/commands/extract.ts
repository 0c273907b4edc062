// `ct-fhir extract`: report CSV in, labels out (CSV 0/1 columns, or JSON lines with findings and evidence). Streams
// records one at a time so memory stays flat for any number of reports; progress goes to stderr; the output file
// is written under a temporary name and renamed at the end, so a failed run leaves nothing half-written.
import { createReadStream, createWriteStream, renameSync, rmSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { CsvError, CsvParser, csvRow } from '../reports/csv.js';
import { extractFindings, type Finding } from '../reports/extract.js';
import { toMappedLabels, toVector, type HedgePolicy } from '../reports/labels.js';
import { getTerminology, type Terminology } from '../terminology/load.js';
import { TerminologyError } from '../terminology/validate.js';
import {
  checkWidth,
  checkWritable,
  fileProblem,
  parseFlags,
  StrictDecoder,
  TEXT_ENCODINGS,
  UsageError,
  type TextEncoding,
} from './usage.js';

const LABEL_SETS = ['ct-rate-18', 'rad-chestct-83', 'matrix'] as const;
const FORMATS = ['csv', 'jsonl'] as const;
const POLICIES = ['positive', 'uncertain', 'negative'] as const;
type LabelSet = (typeof LABEL_SETS)[number];

export const HELP = `usage: ct-fhir extract --in reports.csv [--out labels.csv|-] [--labels ${LABEL_SETS.join('|')}]
                       [--format ${FORMATS.join('|')}] [--hedge-policy ${POLICIES.join('|')}]
                       [--id-column AccessionNo] [--text-column report_text] [--encoding ${TEXT_ENCODINGS.join('|')}] [--quiet]
  --in: RFC 4180 CSV with a header row (LF or CRLF, a UTF-8 byte-order mark is fine); --out defaults to stdout
`;

interface Options {
  input: string;
  output: string | null;
  textColumn: string;
  idColumn: string;
  labels: LabelSet;
  format: (typeof FORMATS)[number];
  policy: HedgePolicy;
  encoding: TextEncoding;
  progress: boolean;
}

function choice<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

function options(argv: string[]): Options {
  const { values } = parseFlags(
    argv,
    {
      in: { type: 'string' },
      out: { type: 'string' },
      'text-column': { type: 'string' },
      'id-column': { type: 'string' },
      labels: { type: 'string' },
      format: { type: 'string' },
      'hedge-policy': { type: 'string' },
      encoding: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    HELP,
  );
  if (!values.in) throw new UsageError(`--in <reports.csv> is required\n${HELP}`);
  const labels = choice('labels', values.labels, LABEL_SETS, 'ct-rate-18');
  return {
    input: values.in,
    output: values.out && values.out !== '-' ? values.out : null,
    textColumn: values['text-column'] ?? 'report_text',
    idColumn: values['id-column'] ?? 'AccessionNo',
    labels,
    format: choice('format', values.format, FORMATS, labels === 'matrix' ? 'jsonl' : 'csv'),
    policy: choice('hedge-policy', values['hedge-policy'], POLICIES, 'positive'),
    encoding: choice('encoding', values.encoding, TEXT_ENCODINGS, 'utf8'),
    progress: !values.quiet,
  };
}

function labelNames(set: LabelSet, t: Terminology): readonly string[] {
  return set === 'ct-rate-18' ? t.ctRate18.labels : t.rad83;
}

function labelValues(set: LabelSet, findings: readonly Finding[], t: Terminology, policy: HedgePolicy): Uint8Array {
  return set === 'ct-rate-18' ? toMappedLabels(findings, t.ctRate18, policy) : toVector(findings, t.rad83, policy);
}

function jsonFinding(f: Finding, text: string): Record<string, unknown> {
  const { section, start, end, sentenceStart } = f.evidence;
  return {
    abnormality: f.abnormality,
    location: f.location,
    polarity: f.polarity,
    evidence: { section, sentence: f.evidence.sentence, sentenceStart, start, end, text: text.slice(start, end) },
  };
}

/** Formats one report's output. */
function formatRecord(o: Options, t: Terminology, id: string, text: string): string {
  const findings = extractFindings(text, t.vocabulary);
  if (o.labels === 'matrix') {
    if (o.format === 'jsonl') return `${JSON.stringify({ id, findings: findings.map((f) => jsonFinding(f, text)) })}\n`;
    return findings
      .map((f) =>
        csvRow([
          id,
          f.abnormality,
          f.location,
          f.polarity,
          f.evidence.section,
          String(f.evidence.start),
          String(f.evidence.end),
          text.slice(f.evidence.start, f.evidence.end),
        ]),
      )
      .join('');
  }
  const names = labelNames(o.labels, t);
  const values = labelValues(o.labels, findings, t, o.policy);
  if (o.format === 'csv') return csvRow([id, ...Array.from(values, String)]);
  const labels = Object.fromEntries(names.map((n, i) => [n, values[i]]));
  return `${JSON.stringify({ id, labels, findings: findings.map((f) => jsonFinding(f, text)) })}\n`;
}

function header(o: Options, t: Terminology): string {
  if (o.format === 'jsonl') return '';
  if (o.labels === 'matrix')
    return csvRow([o.idColumn, 'abnormality', 'location', 'polarity', 'section', 'start', 'end', 'evidence']);
  return csvRow([o.idColumn, ...labelNames(o.labels, t)]);
}

async function write(out: WriteStream | NodeJS.WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

function terminology(): Terminology {
  try {
    return getTerminology();
  } catch (err) {
    if (err instanceof TerminologyError) throw new UsageError(err.message);
    throw err;
  }
}

/** Runs `ct-fhir extract`; returns the exit code. */
export async function extract(argv: string[]): Promise<number> {
  const o = options(argv);
  const t = terminology();
  if (o.output) await checkWritable('out', o.output);
  const tmp = o.output ? `${o.output}.${process.pid}.tmp` : null;
  const out = tmp ? createWriteStream(tmp) : process.stdout;
  // A write that fails (the folder went away, a full disk) is reported when the output is finished, not as an
  // unhandled 'error' event.
  let writeError: unknown = null;
  if (tmp) out.on('error', (err) => (writeError ??= err));
  const started = Date.now();
  let count = 0;
  let empty = 0;
  let lastReport = started;
  try {
    const parser = new CsvParser();
    let cols: { id: number; text: number; width: number } | null = null;
    let buffer = header(o, t);
    const handle = async (row: string[], record: number): Promise<void> => {
      if (!cols) {
        cols = columns(o, row);
        return;
      }
      if (row.length === 1 && row[0] === '') return; // blank line
      checkWidth(row, cols.width, o.input, record);
      const text = row[cols.text]!;
      if (text.trim() === '') empty++;
      buffer += formatRecord(o, t, row[cols.id]!, text);
      count++;
      if (buffer.length > 1 << 16) {
        await write(out, buffer);
        buffer = '';
      }
      const now = Date.now();
      if (o.progress && now - lastReport > 1000) {
        lastReport = now;
        process.stderr.write(`extract: ${count} reports (${Math.round((count * 1000) / (now - started))}/s)\n`);
      }
    };
    let record = 0;
    const decoder = new StrictDecoder(o.input, o.encoding);
    const input = createReadStream(o.input, { highWaterMark: 1 << 16 });
    try {
      for await (const chunk of input) {
        for (const row of parser.push(decoder.push(chunk as Buffer))) await handle(row, ++record);
      }
    } catch (err) {
      if (err instanceof Error && 'code' in err && typeof err.code === 'string' && 'syscall' in err)
        throw new UsageError(`cannot read --in ${o.input}: ${fileProblem(err)}`);
      throw err;
    }
    for (const row of parser.push(decoder.end())) await handle(row, ++record);
    for (const row of parser.end()) await handle(row, ++record);
    if (!cols) throw new UsageError(`${o.input} is empty (no header row)`);
    await write(out, buffer);
    if (tmp) {
      (out as WriteStream).end();
      await once(out, 'finish');
      renameSync(tmp, o.output!);
    }
  } catch (err) {
    if (tmp) {
      (out as WriteStream).destroy();
      rmSync(tmp, { force: true });
    }
    throw failure(err, o, writeError);
  }
  if (empty > 0) {
    // Not an error (a cancelled exam may have no text), but every label of such a report is 0 for want of text.
    process.stderr.write(`extract: ${empty} of ${count} reports have no text; their labels are all 0\n`);
  }
  if (o.progress) {
    const secs = (Date.now() - started) / 1000;
    process.stderr.write(
      `extract: ${count} reports in ${secs.toFixed(1)} s (${Math.round(count / Math.max(secs, 1e-3))}/s)\n`,
    );
  }
  return 0;
}

/** The id and text columns of the header row; each must be there, once. */
function columns(o: Options, header: string[]): { id: number; text: number; width: number } {
  const find = (name: string, flag: string): number => {
    const at = header.indexOf(name);
    if (at < 0) throw new UsageError(`column "${name}" (--${flag}) not in the header of ${o.input}`);
    if (header.indexOf(name, at + 1) >= 0)
      throw new UsageError(`column "${name}" is in the header of ${o.input} twice`);
    return at;
  };
  return { id: find(o.idColumn, 'id-column'), text: find(o.textColumn, 'text-column'), width: header.length };
}

/** What a failed run reports: CSV syntax and output-file errors as one line, anything else as it is. */
function failure(err: unknown, o: Options, writeError: unknown): unknown {
  if (err instanceof CsvError) return new UsageError(`${o.input}: ${err.message}`);
  if (err instanceof UsageError) return err;
  const fsError = err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string';
  if (o.output && (writeError || fsError))
    return new UsageError(`cannot write --out ${o.output}: ${fileProblem(writeError ?? err)}`);
  return err;
}
