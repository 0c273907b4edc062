// Opens the real core (store, jobs, HL7 tables) over a test database. The core includes the HL7 module once the
// interface is wired into it; until then it is added here, so tests run against either state of src/core.ts.
import { openCore, type Core } from '../../../src/core.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { Hl7MessageEntity, hl7StoreModule } from '../../../src/hl7v2/store/schema.js';
import { fhirExecutor } from '../../../src/hl7v2/execute.js';
import { createInboundProcessor, Hl7MessageStore, MllpListener } from '../../../src/hl7v2/index.js';

/** openCore with the hl7_message table present. */
export async function openCoreWithHl7(databaseUrl: string): Promise<Core> {
  const config = loadConfig({ DATABASE_URL: databaseUrl });
  const core = await openCore(config, silentLogger);
  if (core.dataSource.hasMetadata(Hl7MessageEntity)) return core;
  await core.close();
  return openCore(config, silentLogger, { modules: [hl7StoreModule] });
}

/** A real MLLP listener on a free port whose messages run through the inbound pipeline into `core`'s FHIR store. */
export async function listenHl7(core: Core): Promise<{ listener: MllpListener; port: number }> {
  const proc = createInboundProcessor({ store: new Hl7MessageStore(core.dataSource), execute: fhirExecutor(core.ctx) });
  const listener = new MllpListener({ port: 0, handle: proc.handle });
  const { port } = await listener.start();
  return { listener, port };
}
