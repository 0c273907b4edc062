// `ct-fhir migrate`: applies the pending database migrations (store, jobs, HL7 message store) and exits, so a
// deployment with many API and worker processes can migrate once before starting them (each would otherwise race to
// run them at open). Prints the migrations now applied.
import { commandConfig } from '../config.js';
import { hl7StoreModule } from '../hl7v2/store/schema.js';
import { jobsModule } from '../jobs/schema.js';
import { createLogger } from '../log.js';
import { openDataSource } from '../store/datasource.js';
import type { DataSource } from 'typeorm';
import { configHelp, startupFailed } from './startup.js';
import { assertNoRepeatedFlags } from './usage.js';

export const HELP = configHelp('migrate');

/** Returns 0 once every migration is applied; 1 with one line when the database cannot be opened or migrated. */
export async function migrate(argv: string[]): Promise<number> {
  assertNoRepeatedFlags(argv);
  const { config } = commandConfig(argv);
  const logger = createLogger(config.logLevel, { command: 'migrate' });
  let ds: DataSource;
  try {
    ds = await openDataSource(config.databaseUrl, { modules: [jobsModule, hl7StoreModule], logger });
  } catch (err) {
    return startupFailed('migrate', err, config, logger);
  }
  try {
    const applied = (await ds.query('SELECT name FROM migrations ORDER BY id')) as { name: string }[];
    process.stdout.write(`${applied.map((m) => m.name).join('\n')}\n`);
  } finally {
    await ds.destroy();
  }
  return 0;
}
