// Shared by the batch commands: a UsageError (cli.ts prints it and exits 1), strict flag parsing that turns
// node:util parseArgs errors into UsageErrors with the command's help appended, and the checks every command makes
// on its numbers, input files, folders and output files, so each reports a user error as one line, never a stack.
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs, TextDecoder, type ParseArgsConfig } from 'node:util';
import type { Level } from '../log.js';

/** A user error in a command's arguments or input files: its message on stderr, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `--flags` strictly (no positionals); an unknown, malformed or repeated flag is a UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O, help?: string) {
  const fail = (message: string): UsageError => new UsageError(help ? `${message}\n${help}` : message);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, strict: true, allowPositionals: false, options, tokens: true });
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }
  // parseArgs keeps the last of a repeated string flag; a silently dropped value (two --dicom) is a mistake.
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    if (t.kind !== 'option' || options[t.name]?.type !== 'string' || options[t.name]?.multiple) continue;
    if (seen.has(t.name)) throw fail(`--${t.name} given more than once`);
    seen.add(t.name);
  }
  return { values: parsed.values };
}

/** The same check for the configuration commands (serve, worker, migrate), whose flags config.ts parses. */
export function assertNoRepeatedFlags(argv: readonly string[]): void {
  const seen = new Set<string>();
  for (const arg of argv) {
    const name = /^--([a-z][a-z0-9-]*)(?:=|$)/.exec(arg)?.[1];
    if (!name) continue;
    if (seen.has(name)) throw new UsageError(`--${name} given more than once`);
    seen.add(name);
  }
}

/** A whole decimal number in [min, max]: no "1e3", "0x10", "" or "2.0" (Number() would take each of them). */
export function intFlag(flag: string, raw: string, min: number, max: number): number {
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) throw new UsageError(`--${flag} must be an integer ${min}..${max}, got "${raw}"`);
  return n;
}

/** Why a path given for `--flag` cannot be used, in words (the errno code alone is not a message). */
export function fileProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or folder';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EISDIR':
      return 'is a folder';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}

/** Checks that `--flag <dir>` names an existing folder before any work starts. */
export async function requireFolder(flag: string, dir: string): Promise<void> {
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    throw new UsageError(`--${flag} ${dir}: ${fileProblem(err)}`);
  }
  if (!isDir) throw new UsageError(`--${flag} ${dir}: not a folder`);
}

/**
 * Decodes a text input: UTF-8 (a leading byte-order mark dropped, as spreadsheets write one) or, with `encoding`
 * latin1, Windows-1252 (which never fails). Bytes that are not UTF-8 are a UsageError naming the offset rather than U+FFFD in the output.
 */
export function decodeText(bytes: Uint8Array, where: string, encoding?: TextEncoding): string {
  const decoder = new StrictDecoder(where, encoding);
  return decoder.push(bytes) + decoder.end();
}

export type TextEncoding = 'utf8' | 'latin1';
export const TEXT_ENCODINGS: readonly TextEncoding[] = ['utf8', 'latin1'];

/** Incremental form of decodeText for streamed input. */
export class StrictDecoder {
  private readonly decoder: TextDecoder;
  private offset = 0;

  constructor(
    private readonly where: string,
    /** Undefined: the command has no --encoding flag (UTF-8 only). */
    private readonly encoding?: TextEncoding,
  ) {
    // ignoreBOM false: the decoder drops a leading UTF-8 byte-order mark itself.
    this.decoder = new TextDecoder(encoding === 'latin1' ? 'windows-1252' : 'utf-8', { fatal: true, ignoreBOM: false });
  }

  push(bytes: Uint8Array): string {
    const text = this.decode(bytes, true);
    this.offset += bytes.length;
    return text;
  }

  end(): string {
    return this.decode(new Uint8Array(0), false);
  }

  private decode(bytes: Uint8Array, stream: boolean): string {
    try {
      return this.decoder.decode(bytes, { stream });
    } catch {
      const at = stream ? firstInvalidUtf8(bytes) : -1;
      const where = at >= 0 ? `at byte ${this.offset + at}` : `near byte ${this.offset}`;
      const hint = this.encoding ? ', or pass --encoding latin1 if it is Latin-1/Windows-1252' : '';
      throw new UsageError(`${this.where} is not valid UTF-8 (${where}); convert it to UTF-8${hint}`);
    }
  }
}

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence (-1 when none is found). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (n < 0) return i;
    for (let k = 1; k <= n; k++) {
      if (i + k >= b.length) return -1; // cut by the chunk end: decided by the next chunk
      if ((b[i + k]! & 0xc0) !== 0x80) return i;
    }
    i += n + 1;
  }
  return -1;
}

/**
 * Writes `text` to `path` under a temporary name and renames it, so a failed run leaves no half-written file; a
 * path that cannot be written (no such folder, a folder, read-only) is a one-line UsageError and nothing is left.
 */
export async function writeOutput(flag: string, path: string, text: string | Uint8Array): Promise<void> {
  await checkWritable(flag, path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new UsageError(`cannot write --${flag} ${path}: ${fileProblem(err)}`);
  }
}

/** Checks, before the work is done, that `--flag <file>` can be created: its folder exists and it is no folder. */
export async function checkWritable(flag: string, path: string): Promise<void> {
  const target = await stat(path).catch(() => null);
  if (target?.isDirectory()) throw new UsageError(`cannot write --${flag} ${path}: is a folder`);
  let parent;
  try {
    parent = await stat(dirname(path));
  } catch (err) {
    throw new UsageError(`cannot write --${flag} ${path}: ${fileProblem(err)} (${dirname(path)})`);
  }
  if (!parent.isDirectory()) throw new UsageError(`cannot write --${flag} ${path}: ${dirname(path)} is not a folder`);
}

/** Creates the output folder `--flag <dir>` (and its parents); a path that cannot be one is a UsageError. */
export async function makeOutputFolder(flag: string, dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e?.code === 'EEXIST' || e?.code === 'ENOTDIR' ? 'a file is in the way' : fileProblem(err);
    throw new UsageError(`cannot create --${flag} ${dir}: ${why}`);
  }
}

/** Records whose field count differs from the header's: an unquoted comma in a report splits it and shifts the rest. */
export function checkWidth(row: readonly string[], width: number, where: string, record: number): void {
  if (row.length !== width)
    throw new UsageError(
      `${where}: record ${record} has ${row.length} fields, the header has ${width} (an unquoted comma or a missing field?)`,
    );
}

/** Names that occur more than once in a header. */
export function repeated(header: readonly string[]): string[] {
  return [...new Set(header.filter((h, i) => header.indexOf(h) !== i))];
}

const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

/** LOG_LEVEL of a batch command (default warn: its own output is the point); a typo is an error, as for serve. */
export function batchLogLevel(env: NodeJS.ProcessEnv = process.env): Level {
  const raw = env.LOG_LEVEL;
  if (raw === undefined || raw === '') return 'warn';
  if (!(LEVELS as readonly string[]).includes(raw))
    throw new UsageError(`LOG_LEVEL must be debug, info, warn or error, got "${raw}"`);
  return raw as Level;
}
