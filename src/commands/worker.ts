// `ct-fhir worker`: runs job workers against DATABASE_URL (scale mode: any number of these share the queue with the
// API processes). Settings: WORKERS (jobs at once, >= 1), JOB_TYPES (comma list; default every registered type),
// JOB_LIMITS (per-type limits, see jobs/limits.ts; read by serve too), JOB_LEASE_MS (30000), JOB_POLL_MS (1000), JOB_STOP_TIMEOUT_MS
// (25000, under docker's default 30 s stop grace). Each also as a --flag. SIGTERM/SIGINT: graceful stop.
import { commandConfig, ConfigError } from '../config.js';
import { createLogger } from '../log.js';
import { type Core, openCore, workerLimits } from '../core.js';
import type { HandlerRegistry } from '../jobs/types.js';
import { Worker } from '../jobs/worker.js';
import { stopSignals } from './serve.js';
import { configHelp, startupFailed } from './startup.js';
import { assertNoRepeatedFlags } from './usage.js';

// The worker's own settings, as listed to commandConfig below (test/unit/config/ops-config.test.ts reads that list).
export const HELP = configHelp('worker', ['JOB_LEASE_MS', 'JOB_POLL_MS', 'JOB_STOP_TIMEOUT_MS', 'JOB_TYPES']);

function ms(env: Record<string, string | undefined>, key: string, dflt: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 10 || n > 3_600_000) {
    throw new ConfigError(`${key} must be an integer number of milliseconds in [10, 3600000], got "${raw}"`);
  }
  return n;
}

/** The handlers selected by JOB_TYPES (all when unset); unknown names are a ConfigError. */
export function selectHandlers(all: HandlerRegistry, types: string | undefined): HandlerRegistry {
  if (!types || types.trim() === '') return all;
  const selected: HandlerRegistry = {};
  for (const type of types.split(',').map((t) => t.trim())) {
    const handler = all[type];
    if (!handler)
      throw new ConfigError(`JOB_TYPES names "${type}", which has no handler (known: ${Object.keys(all).join(', ')})`);
    selected[type] = handler;
  }
  return selected;
}

/** Entry point of `ct-fhir worker`; resolves with the exit code after a graceful stop. */
export async function worker(argv: string[]): Promise<number> {
  assertNoRepeatedFlags(argv);
  const { config, env } = commandConfig(argv, ['JOB_LEASE_MS', 'JOB_POLL_MS', 'JOB_STOP_TIMEOUT_MS', 'JOB_TYPES']);
  if (config.workers < 1) throw new ConfigError('WORKERS must be at least 1 for ct-fhir worker');
  const limits = workerLimits(config);
  const leaseMs = ms(env, 'JOB_LEASE_MS', 30_000);
  const pollMs = ms(env, 'JOB_POLL_MS', 1000);
  const stopTimeoutMs = ms(env, 'JOB_STOP_TIMEOUT_MS', 25_000);
  const logger = createLogger(config.logLevel, { command: 'worker' });

  // Caught from here: a stop during startup lets it finish and then stops cleanly, rather than killing it midway.
  const signals = stopSignals(logger, stopTimeoutMs);
  // The same core as `serve`: repository with outbox triggers, Task mirror, and every pipeline's handlers.
  let core: Core;
  try {
    core = await openCore(config, logger);
  } catch (err) {
    signals.dispose();
    return startupFailed('worker', err, config, logger);
  }
  let handlers: HandlerRegistry;
  try {
    handlers = selectHandlers(core.handlers, env.JOB_TYPES);
  } catch (err) {
    // Close what is open, or the process would stay up after printing the ConfigError.
    signals.dispose();
    await core.close();
    throw err;
  }
  const w = new Worker(core.queue, { handlers, concurrency: config.workers, limits, leaseMs, pollMs, logger });
  w.start();
  signals.started();
  await signals.received;
  logger.info('stopping: no new jobs; waiting for running ones', { timeoutMs: stopTimeoutMs, running: w.active });
  await w.stop(stopTimeoutMs);
  await core.close();
  return 0;
}
