// `ct-fhir serve`: the FHIR HTTP API with the embedded defaults (SQLite under ./data) unless configured otherwise.
import { startServer } from '../app.js';
import { commandConfig } from '../config.js';
import { createLogger } from '../log.js';

/** Runs until SIGINT/SIGTERM; returns the exit code. */
export async function serve(argv: string[]): Promise<number> {
  const { config } = commandConfig(argv);
  const logger = createLogger(config.logLevel, { service: 'ct-fhir' });
  const server = await startServer(config, logger);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info('shutting down', { signal });
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await server.close();
  return 0;
}
