// The CLI's conventions: usage on stderr and exit 1 for a missing or unknown command, --help for every command,
// repeated flags, flags without a value and numbers that are not plain integers refused, and never a stack trace
// for a user error. The entry point runs as a child process where the process matters, else in-process (main(), its
// output captured), which is the same code without a node start per case.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type CliResult } from '../../support/cli.js';

const COMMANDS = [
  'serve',
  'worker',
  'migrate',
  'extract',
  'eval-labels',
  'phantom',
  'inspect',
  'classify',
  'eval-model',
];

const run = (args: string[], env: NodeJS.ProcessEnv = {}): CliResult => runCli(args, env, 60_000);

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

/**
 * Runs main() once per argument list in ONE child process (one node start for many cases), each call's stdout and
 * stderr captured there; a rejection, which the bin would print as a stack trace, comes back as exit -1 with it.
 */
function cli(cases: string[][], env: NodeJS.ProcessEnv = {}): CliResult[] {
  const script = `
    const { main } = await import(${JSON.stringify(CLI)});
    const results = [];
    const out = process.stdout.write.bind(process.stdout);
    for (const args of JSON.parse(process.env.CASES)) {
      const r = { code: 0, stdout: '', stderr: '' };
      process.stdout.write = (c) => ((r.stdout += c), true);
      process.stderr.write = (c) => ((r.stderr += c), true);
      try { r.code = await main(args); } catch (e) { r.code = -1; r.stderr += String(e && e.stack); }
      results.push(r);
    }
    out(JSON.stringify(results));
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: '', ...env, CASES: JSON.stringify(cases) },
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as CliResult[];
}

/** A user error: exit 1, the message on the first stderr line, no stack frame anywhere. */
function userError(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 1, `${message}: ${r.stderr}`);
  assert.match(r.stderr.split('\n')[0]!, message);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

const dir = mkdtempSync(join(tmpdir(), 'ctfhir-cli-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('no command: usage on stderr (stdout stays empty), exit 1; --help and -h: usage on stdout, exit 0', () => {
  const none = run([]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /^usage: ct-fhir <command>/);
  assert.match(none.stderr, /exit codes: 0 .*, 1 /);
  for (const flag of ['--help', '-h']) {
    const r = run([flag]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^usage: ct-fhir <command>/);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`\\n  ${c} `));
  }
  const unknown = run(['clasify']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^ct-fhir: unknown command "clasify"\nusage: ct-fhir <command>/);
});

test('every command answers --help (and -h) with its usage on stdout and exit 0, starting nothing', () => {
  const results = cli([...COMMANDS.map((c) => [c, '--help']), ['worker', '-h'], ['serve', '--port', '1', '-h']]);
  for (const [i, c] of COMMANDS.entries()) {
    const r = results[i]!;
    assert.equal(r.code, 0, `${c}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: ct-fhir ${c} `), c);
    assert.equal(r.stderr, '', c);
  }
  assert.match(results[COMMANDS.length]!.stdout, /--job-lease-ms/);
  assert.match(results[COMMANDS.length + 1]!.stdout, /--database-url/);
});

test('user errors in flags: repeated, without a value, unknown, numbers that are not plain integers', () => {
  const unknownFlag = ['extract', 'eval-labels', 'inspect', 'eval-model', 'phantom'];
  const evalBase = ['eval-model', '--dicom-root', dir, '--labels', join(dir, 'l.csv'), '--out', join(dir, 'o')];
  const badResamples = ['', '1e3', '0x10', '2.5', '-1'];
  const cases: [string[], RegExp][] = [
    // a flag given twice is an error, not "the last one wins"
    [
      ['classify', '--dicom', dir, '--dicom', join(dir, 'b'), '--out', join(dir, 'f.json')],
      /^ct-fhir classify: --dicom given more than once$/,
    ],
    [['serve', '--port', '0', '--port', '1'], /^ct-fhir serve: --port given more than once$/],
    [['migrate', '--database-url=sqlite::memory:', '--database-url', 'x'], /--database-url given more than once/],
    [['classify', '--dicom', dir, '--out'], /^ct-fhir classify: Option '--out <value>' argument missing/],
    ...unknownFlag.map((c): [string[], RegExp] => [[c, '--bogus'], new RegExp(`^ct-fhir ${c}: Unknown option`)]),
    ...badResamples.map((v): [string[], RegExp] => [
      [...evalBase, `--resamples=${v}`],
      /--resamples must be an integer/,
    ]),
    [['inspect', '--dicom', dir, '--max-voxels', '0x10'], /--max-voxels must be a positive integer/],
    [['phantom', '--out', dir, '--size', '1e2x64x64'], /--size must be three integers/],
    [['phantom', '--out', dir, '--count', '2.0', '--random-findings'], /--count must be an integer/],
  ];
  const results = cli(cases.map(([args]) => args));
  for (const [i, [, message]] of cases.entries()) userError(results[i]!, message);
  // a flag problem is followed by the command's usage
  assert.match(results[3]!.stderr, /\nusage: ct-fhir classify --dicom/);
  for (const [k, c] of unknownFlag.entries()) {
    assert.match(results[4 + k]!.stderr, new RegExp(`\\nusage: ct-fhir ${c} `), c);
  }
});

test('a LOG_LEVEL typo is refused by the batch commands as by the server', () => {
  userError(
    run(['classify', '--dicom', dir, '--out', join(dir, 'f.json')], { LOG_LEVEL: 'verbose' }),
    /^ct-fhir classify: LOG_LEVEL must be debug, info, warn or error, got "verbose"$/,
  );
});
