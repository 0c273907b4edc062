// Shared by the batch commands: a UsageError (cli.ts prints it as one line and exits 1) and strict flag parsing
// that turns node:util parseArgs errors into UsageErrors, with an optional help text appended.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A user error in a command's arguments or input files: one line on stderr, exit code 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses `--flags` strictly (no positionals); an unknown or malformed flag is a UsageError. */
export function parseFlags<O extends Options>(argv: string[], options: O, help?: string) {
  try {
    return parseArgs({ args: argv, strict: true, allowPositionals: false, options });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(help ? `${message}\n${help}` : message);
  }
}
