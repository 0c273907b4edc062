// Command-line entry: `ct-fhir <command> [--flags]`. Each command lives in its own module, loaded on demand so a
// batch command does not load the server. Contract: ../shared/design.md "CLI".
import { ConfigError } from './config.js';

/** A command: receives the arguments after its name; returns the process exit code. */
export type Command = (argv: string[]) => Promise<number>;

interface Loaded {
  run: Command;
  /** `ct-fhir <command> --help`, also printed after a flag error. */
  help: string;
}

/** A command module's `name` export and its HELP. */
async function loaded<K extends string>(
  module: Promise<Record<K, Command> & { HELP: string }>,
  name: K,
): Promise<Loaded> {
  const m = await module;
  return { run: m[name], help: m.HELP };
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<Loaded> }> = {
  serve: {
    summary: 'serve FHIR (HTTP), MLLP and in-process workers',
    load: () => loaded(import('./commands/serve.js'), 'serve'),
  },
  worker: {
    summary: 'run background jobs from the shared queue (scale mode)',
    load: () => loaded(import('./commands/worker.js'), 'worker'),
  },
  migrate: {
    summary: 'apply pending database migrations and exit (before starting many processes)',
    load: () => loaded(import('./commands/migrate.js'), 'migrate'),
  },
  extract: {
    summary: 'report CSV -> labels',
    load: () => loaded(import('./commands/extract.js'), 'extract'),
  },
  'eval-labels': {
    summary: 'label P/R/F1',
    load: () => loaded(import('./commands/eval-labels.js'), 'evalLabels'),
  },
  phantom: {
    summary: 'write a synthetic chest CT series, report.txt and labels.json',
    load: () => loaded(import('./commands/phantom.js'), 'phantom'),
  },
  inspect: {
    summary: 'load a DICOM folder as the worker does; print series choice, geometry, HU range, problems',
    load: () => loaded(import('./commands/inspect.js'), 'inspect'),
  },
  classify: {
    summary: 'classify a local DICOM series -> findings.json',
    load: () => loaded(import('./commands/classify.js'), 'classify'),
  },
  'eval-model': {
    summary: 'per-label AUROC (95% CI), AP, sens/spec, ROC PNGs',
    load: () => loaded(import('./commands/eval-model.js'), 'evalModel'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return (
    `usage: ct-fhir <command> [--flags]    (ct-fhir <command> --help for its flags)\n\ncommands:\n${lines.join('\n')}\n\n` +
    'exit codes: 0 done, 1 bad arguments, bad input or failure to start\n'
  );
}

const HELP_FLAGS = new Set(['--help', '-h']);

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the text goes to stderr so a pipeline's stdout stays clean.
    process.stderr.write(usage());
    return 1;
  }
  if (HELP_FLAGS.has(name) || name === 'help') {
    process.stdout.write(usage());
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ct-fhir: unknown command "${name}"\n${usage()}`);
    return 1;
  }
  const { run, help } = await command.load();
  if (rest.some((a) => HELP_FLAGS.has(a))) {
    process.stdout.write(help);
    return 0;
  }
  try {
    return await run(rest);
  } catch (err) {
    const message = userError(err);
    if (message === undefined) throw err;
    process.stderr.write(`ct-fhir ${name}: ${message.trimEnd()}\n`);
    return 1;
  }
}

/**
 * The message of an error the user can fix: a bad flag or input file (UsageError), bad configuration, or a file
 * system refusal no command turned into its own message (a full disk, a path it cannot write). Anything else is a
 * bug and keeps its stack.
 */
function userError(err: unknown): string | undefined {
  if (err instanceof ConfigError || (err instanceof Error && err.name === 'UsageError')) return err.message;
  const e = err as NodeJS.ErrnoException | null;
  if (e instanceof Error && typeof e.code === 'string' && typeof e.syscall === 'string') {
    return e.message.replace(/\s+/g, ' ');
  }
  return undefined;
}
