// Command-line entry: `ct-fhir <command> [--flags]`. Each command lives in its own module, loaded on demand so a
// batch command does not load the server. Contract: ../shared/design.md "CLI".
import { ConfigError } from './config.js';

/** A command: receives the arguments after its name; returns the process exit code. */
export type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: {
    summary: 'serve FHIR (HTTP), MLLP and in-process workers',
    load: async () => (await import('./commands/serve.js')).serve,
  },
  worker: {
    summary: 'run background jobs from the shared queue (scale mode)',
    load: async () => (await import('./commands/worker.js')).worker,
  },
  migrate: {
    summary: 'apply pending database migrations and exit (before starting many processes)',
    load: async () => (await import('./commands/migrate.js')).migrate,
  },
  extract: { summary: 'report CSV -> labels', load: async () => (await import('./commands/extract.js')).extract },
  'eval-labels': { summary: 'label P/R/F1', load: async () => (await import('./commands/eval-labels.js')).evalLabels },
  phantom: {
    summary: 'write a synthetic chest CT series, report.txt and labels.json',
    load: async () => (await import('./commands/phantom.js')).phantom,
  },
  inspect: {
    summary: 'load a DICOM folder as the worker does; print series choice, geometry, HU range, problems',
    load: async () => (await import('./commands/inspect.js')).inspect,
  },
  classify: {
    summary: 'classify a local DICOM series -> findings.json',
    load: async () => (await import('./commands/classify.js')).classify,
  },
  'eval-model': {
    summary: 'per-label AUROC (95% CI), AP, sens/spec, ROC PNGs',
    load: async () => (await import('./commands/eval-model.js')).evalModel,
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`);
  return `usage: ct-fhir <command> [--flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ct-fhir: unknown command "${name}"\n${usage()}`);
    return 1;
  }
  try {
    return await (
      await command.load()
    )(rest);
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.name === 'UsageError')) {
      process.stderr.write(`ct-fhir ${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
