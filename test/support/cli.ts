// `ct-fhir <command>` as a user runs it: a child process through bin/ct-fhir.js, its exit code and both streams.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/ct-fhir.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI with `args` and waits for it (at most `timeoutMs`). LOG_LEVEL is cleared so that the default applies
 * whatever the test runner's environment says; `env` adds to or overrides the environment.
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LOG_LEVEL: '', ...env },
    timeout: timeoutMs,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
