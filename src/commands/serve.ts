// `ct-fhir serve`: the FHIR HTTP API with the embedded defaults (SQLite under ./data) unless configured otherwise.
import { type RunningServer, startServer } from '../app.js';
import { commandConfig } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { configHelp, startupFailed } from './startup.js';
import { assertNoRepeatedFlags } from './usage.js';

export const HELP = configHelp('serve');

export interface StopSignals {
  /** The first SIGINT or SIGTERM's name. */
  received: Promise<NodeJS.Signals>;
  /** Startup finished: a signal from now on is an ordinary stop. */
  started(): void;
  /** Startup failed: signals get their default action again. */
  dispose(): void;
}

/**
 * Catches SIGINT and SIGTERM from now on, so a stop asked for during startup (migrations, model loading) is logged
 * and done once startup finishes, instead of the default instant kill. Startup cannot be aborted midway, so one that
 * has not finished `giveUpMs` after the signal (a database that never answers) exits the process. After the first
 * signal a second one kills as usual.
 */
export function stopSignals(logger: Logger, giveUpMs: number): StopSignals {
  let starting = true;
  let giveUp: NodeJS.Timeout | undefined;
  let resolve: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((r) => (resolve = r));
  const on = (signal: NodeJS.Signals): void => {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
    resolve(signal);
    if (!starting) return;
    logger.info('stop requested while starting; stopping once started', { signal, timeoutMs: giveUpMs });
    giveUp = setTimeout(() => {
      logger.error('startup did not finish in time after the stop request; exiting', { timeoutMs: giveUpMs });
      process.exit(1);
    }, giveUpMs);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  const started = (): void => {
    starting = false;
    clearTimeout(giveUp);
  };
  return {
    received,
    started,
    dispose: () => {
      started();
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    },
  };
}

/** Runs until SIGINT/SIGTERM; returns the exit code. */
export async function serve(argv: string[]): Promise<number> {
  assertNoRepeatedFlags(argv);
  const { config } = commandConfig(argv);
  const logger = createLogger(config.logLevel, { service: 'ct-fhir' });
  const signals = stopSignals(logger, config.shutdownTimeoutMs);
  logger.info('starting', { pid: process.pid });
  let server: RunningServer;
  try {
    server = await startServer(config, logger);
  } catch (err) {
    signals.dispose();
    return startupFailed('serve', err, config, logger);
  }
  signals.started();
  const signal = await signals.received;
  logger.info('shutting down', { signal });
  await server.close();
  logger.info('stopped');
  return 0;
}
