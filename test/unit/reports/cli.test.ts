// The extract and eval-labels commands end to end through the CLI entry (a child process per run).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliResult } from '../../support/cli.js';

const run = (args: string[]): CliResult => runCli(args);

const dir = mkdtempSync(join(tmpdir(), 'ctfhir-extract-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const REPORTS =
  'AccessionNo,report_text\n' +
  'a1,"Small right pleural effusion.\nNo pneumothorax or consolidation. ""Stable"" appearance."\n' +
  'a2,"Calcified plaques in the coronary arteries. Hiatal hernia."\n' +
  'a3,Normal study.\n';

test('extract writes one CSV row per report with the 18 CT-RATE columns', () => {
  const input = join(dir, 'reports.csv');
  const out = join(dir, 'labels.csv');
  writeFileSync(input, REPORTS);
  const r = run(['extract', '--in', input, '--out', out, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.length, 4);
  const header = lines[0]!.split(',');
  assert.equal(header[0], 'AccessionNo');
  assert.equal(header.length, 19);
  const row = (id: string): Record<string, string> => {
    const cells = lines.find((l) => l.startsWith(`${id},`))!.split(',');
    return Object.fromEntries(header.map((h, i) => [h, cells[i]!]));
  };
  assert.equal(row('a1')['Pleural effusion'], '1');
  assert.equal(row('a1')['Consolidation'], '0');
  assert.equal(row('a2')['Coronary artery wall calcification'], '1');
  assert.equal(row('a2')['Hiatal hernia'], '1');
  assert.ok(Object.entries(row('a3')).every(([k, v]) => k === 'AccessionNo' || v === '0'));
});

test('extract --labels rad-chestct-83 names the 83 columns; --labels matrix writes findings with evidence as JSON lines', () => {
  const input = join(dir, 'reports.csv');
  writeFileSync(input, REPORTS);
  const r83 = run(['extract', '--in', input, '--labels', 'rad-chestct-83', '--quiet']);
  assert.equal(r83.code, 0, r83.stderr);
  assert.equal(r83.stdout.split('\n')[0]!.split(',').length, 84);
  const m = run(['extract', '--in', input, '--labels', 'matrix', '--quiet']);
  assert.equal(m.code, 0, m.stderr);
  const first = JSON.parse(m.stdout.split('\n')[0]!) as {
    id: string;
    findings: { abnormality: string; polarity: string; evidence: { text: string } }[];
  };
  assert.equal(first.id, 'a1');
  const effusion = first.findings.find((f) => f.abnormality === 'pleural_effusion');
  assert.equal(effusion?.polarity, 'present');
  assert.equal(effusion?.evidence.text, 'pleural effusion');
  assert.equal(first.findings.find((f) => f.abnormality === 'pneumothorax')?.polarity, 'absent');
});

test('extract: bad input is a one-line error and exit 1, leaving no output file', () => {
  const out = join(dir, 'never.csv');
  const missing = run(['extract', '--in', join(dir, 'nope.csv'), '--out', out]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^ct-fhir extract: cannot read/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  const badColumn = join(dir, 'cols.csv');
  writeFileSync(badColumn, 'id,text\n1,x\n');
  const r = run(['extract', '--in', badColumn, '--out', out]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /column "AccessionNo" \(--id-column\) not in the header/);
  const broken = join(dir, 'broken.csv');
  writeFileSync(broken, 'AccessionNo,report_text\n1,"unterminated\n');
  const b = run(['extract', '--in', broken, '--out', out]);
  assert.equal(b.code, 1);
  assert.match(b.stderr, /unterminated quoted field/);
  assert.equal(existsSync(out), false);
  assert.equal(run(['extract', '--in', broken, '--labels', 'nope']).code, 1);
  assert.equal(run(['extract']).code, 1);
});

test('eval-labels prints per-label scores and macro/micro F1; --json for machines', () => {
  const pred = join(dir, 'pred.csv');
  const gold = join(dir, 'gold.csv');
  writeFileSync(pred, 'AccessionNo,Emphysema,Atelectasis\na,1,0\nb,1,1\n');
  writeFileSync(gold, 'AccessionNo,report_text,Emphysema,Atelectasis\na,x,1,0\nb,y,0,1\n');
  const text = run(['eval-labels', '--pred', pred, '--gold', gold]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Emphysema\s+0\.500\s+1\.000\s+0\.667\s+1/);
  assert.match(text.stdout, /macro F1/);
  const json = JSON.parse(run(['eval-labels', '--pred', pred, '--gold', gold, '--json']).stdout) as { macroF1: number };
  assert.equal(json.macroF1, (2 / 3 + 1) / 2);
});

test('eval-labels: an id missing from gold or a non-binary value is a one-line error', () => {
  const pred = join(dir, 'pred2.csv');
  const gold = join(dir, 'gold2.csv');
  writeFileSync(gold, 'AccessionNo,Emphysema\na,1\n');
  writeFileSync(pred, 'AccessionNo,Emphysema\nz,1\n');
  const r = run(['eval-labels', '--pred', pred, '--gold', gold]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /id "z" is not in --gold/);
  writeFileSync(pred, 'AccessionNo,Emphysema\na,maybe\n');
  assert.match(run(['eval-labels', '--pred', pred, '--gold', gold]).stderr, /expected 0 or 1, got "maybe"/);
  assert.equal(run(['eval-labels', '--pred', pred]).code, 1);
});

/** Exit 1 with one line on stderr matching `message`, and no stack trace. */
function refused(r: ReturnType<typeof run>, message: RegExp): void {
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, message);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
}

test('extract reads a spreadsheet CSV (byte-order mark, CRLF); text that is not UTF-8 is refused or read as Latin-1', () => {
  const bom = join(dir, 'bom.csv');
  writeFileSync(bom, '\ufeffAccessionNo,report_text\r\na1,"Small right pleural effusion."\r\na2,Normal.\r\n');
  const r = run(['extract', '--in', bom, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^AccessionNo,/);
  assert.equal(r.stdout.trim().split('\n').length, 3);
  const latin1 = join(dir, 'latin1.csv');
  writeFileSync(latin1, Buffer.from('AccessionNo,report_text\na1,"Pleural effusion, caf\xe9."\n', 'latin1'));
  refused(
    run(['extract', '--in', latin1, '--quiet']),
    /^ct-fhir extract: .*latin1\.csv is not valid UTF-8 \(at byte 49\); .*--encoding latin1/,
  );
  const ok = run(['extract', '--in', latin1, '--quiet', '--labels', 'matrix', '--encoding', 'latin1']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /café/);
});

test('extract: a record with more or fewer fields than the header is an error (an unquoted comma shifts the text)', () => {
  const long = join(dir, 'long.csv');
  writeFileSync(long, 'AccessionNo,report_text\na1,Pleural effusion, right side.\n');
  refused(run(['extract', '--in', long, '--quiet']), /long\.csv: record 2 has 3 fields, the header has 2/);
  const short = join(dir, 'short.csv');
  writeFileSync(short, 'AccessionNo,report_text,site\na1,Pleural effusion.\n');
  refused(run(['extract', '--in', short, '--quiet']), /short\.csv: record 2 has 2 fields, the header has 3/);
});

test('extract: an --out that cannot be written is one line and leaves nothing behind; empty reports are counted', () => {
  const input = join(dir, 'reports-out.csv');
  writeFileSync(input, 'AccessionNo,report_text\na1,\na2,"  "\na3,Hiatal hernia.\n');
  refused(run(['extract', '--in', input, '--out', dir]), /^ct-fhir extract: cannot write --out .*: is a folder\n$/);
  refused(
    run(['extract', '--in', input, '--out', join(dir, 'no-such-dir', 'x.csv')]),
    /^ct-fhir extract: cannot write --out .*no-such-dir\/x\.csv: no such file or folder/,
  );
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
  );
  const r = run(['extract', '--in', input, '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^extract: 2 of 3 reports have no text; their labels are all 0\n$/);
});

test('eval-labels: byte-order mark and CRLF read; ragged records, repeated ids or columns and no records refused', () => {
  const pred = join(dir, 'p3.csv');
  const gold = join(dir, 'g3.csv');
  writeFileSync(pred, 'AccessionNo,Emphysema,Atelectasis,Atelectasi\na,1,0,0\nb,1,1,1\n');
  writeFileSync(gold, '\ufeffAccessionNo,Emphysema,Atelectasis\r\na,1,0\r\nb,0,1\r\n');
  const ok = run(['eval-labels', '--pred', pred, '--gold', gold]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Atelectasis\s+1\.000\s+1\.000\s+1\.000\s+1/);
  assert.match(ok.stderr, /--pred columns not in --gold, not scored: Atelectasi\n/);
  const bad = join(dir, 'g4.csv');
  const cases: [string, RegExp][] = [
    ['AccessionNo,Emphysema\na,1\nb\n', /g4\.csv: record 3 has 1 fields, the header has 2/],
    ['AccessionNo,Emphysema\na,1\na,0\n', /--gold: id "a" is in more than one record/],
    ['AccessionNo,Emphysema,Emphysema\na,1,1\n', /g4\.csv names column "Emphysema" twice/],
  ];
  for (const [csv, message] of cases) {
    writeFileSync(bad, csv);
    refused(run(['eval-labels', '--pred', pred, '--gold', bad]), message);
  }
  writeFileSync(bad, 'AccessionNo,Emphysema\n');
  refused(run(['eval-labels', '--pred', bad, '--gold', gold]), /--pred .*g4\.csv has no records/);
  writeFileSync(bad, Buffer.from('AccessionNo,Emphysema\n\xe9,1\n', 'latin1'));
  refused(run(['eval-labels', '--pred', bad, '--gold', gold]), /--pred .*g4\.csv is not valid UTF-8/);
});
