// What the commands configured like the server (serve, worker, migrate) share without loading the server: their
// --help text and the one-line report of a failure to start.
import { CONFIG_KEYS, type Config, redactDatabaseUrl } from '../config.js';
import type { Logger } from '../log.js';

/** Help of the commands configured like the server: every setting of README "Configuration" as a --flag. */
export function configHelp(command: string, extraKeys: readonly string[] = []): string {
  const flags = [...CONFIG_KEYS, ...extraKeys].map((k) => `--${k.toLowerCase().replace(/_/g, '-')}`);
  const lines: string[] = [];
  for (const f of flags) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last]!.length + f.length < 100) lines[last] += ` ${f}`;
    else lines.push(`  ${f}`);
  }
  return (
    `usage: ct-fhir ${command} [--flag value ...]\n` +
    'Each flag sets the environment variable of the same name (--database-url: DATABASE_URL); flags win.\n' +
    `${lines.join('\n')}\n`
  );
}

/** Whether a startup error came from the database: network failures, PostgreSQL SQLSTATEs (3D000), SQLite codes. */
function fromDatabase(err: unknown): boolean {
  const { syscall, code } = (err ?? {}) as { syscall?: unknown; code?: unknown };
  if (syscall === 'connect' || syscall === 'getaddrinfo') return true;
  return typeof code === 'string' && (/^(?=.*\d)[0-9A-Z]{5}$/.test(code) || code.startsWith('SQLITE_'));
}

/**
 * Prints a failure to start as one line, naming the database (its URL without credentials) when it came from there:
 * "database postgres://***@db:5432/ctfhir: database "ctfhir" does not exist". The stack goes to the debug log.
 */
export function startupFailed(command: string, err: unknown, config: Config, logger: Logger): number {
  const e = err as { message?: string; code?: string; errors?: { message?: string }[] } | undefined;
  // A connection to a name with several addresses fails as an AggregateError whose own message is empty.
  let text = (e?.message || e?.errors?.[0]?.message || e?.code || String(err)).replace(/\s+/g, ' ').trim();
  if (fromDatabase(err)) text = `database ${redactDatabaseUrl(config.databaseUrl)}: ${text}`;
  process.stderr.write(`ct-fhir ${command}: cannot start: ${text}\n`);
  logger.debug('startup failed', { stack: String((err as Error)?.stack ?? err) });
  return 1;
}
