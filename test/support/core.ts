// The real core (store, FHIR context, job queue) over a test database, without workers or listeners: tests drive
// the jobs themselves.
import { loadConfig } from '../../src/config.js';
import { openCore, type Core } from '../../src/core.js';
import { silentLogger } from '../../src/log.js';

/** openCore on `databaseUrl` with no in-process workers and no HTTP or MLLP listener; `env` adds settings. */
export function openIdleCore(databaseUrl: string, env: Record<string, string> = {}): Promise<Core> {
  return openCore(
    loadConfig({ DATABASE_URL: databaseUrl, WORKERS: '0', PORT: '0', MLLP_PORT: '0', ...env }),
    silentLogger,
  );
}
