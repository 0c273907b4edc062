// Opens the real core (store, jobs, HL7 tables) over a test database. The core includes the HL7 module once the
// interface is wired into it; until then it is added here, so tests run against either state of src/core.ts.
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Bundle, Resource } from 'fhir/r4.js';
import { openCore, type Core } from '../../../src/core.js';
import { dispatch } from '../../../src/fhir/router.js';
import { loadConfig } from '../../../src/config.js';
import { silentLogger } from '../../../src/log.js';
import { Hl7MessageEntity, hl7StoreModule } from '../../../src/hl7v2/store/schema.js';
import { fhirExecutor } from '../../../src/hl7v2/execute.js';
import { createInboundProcessor, Hl7MessageStore, MllpListener } from '../../../src/hl7v2/index.js';
import type { TestDatabase } from '../../support/databases.js';

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

/** The resources a search of `core`'s FHIR store returns (first page), asserting it answered 200. */
export async function searchStore<T = Resource>(core: Core, type: string, query: string): Promise<T[]> {
  const res = await dispatch(core.ctx, { method: 'GET', path: type, query: new URLSearchParams(query) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as T);
}

/** A suite's core with the HL7 tables and an MLLP listener into it: opened before its tests, closed after them. */
export interface Hl7Suite {
  core: Core;
  port: number;
}

/** Registers the suite's before and after hooks; the fields are set once `before` has run. */
export function hl7Suite(make: () => Promise<TestDatabase>): Hl7Suite {
  const suite = {} as Hl7Suite;
  let db: TestDatabase | undefined;
  let listener: MllpListener | undefined;
  before(async () => {
    db = await make();
    suite.core = await openCoreWithHl7(db.url);
    ({ listener, port: suite.port } = await listenHl7(suite.core));
  });
  after(async () => {
    await listener?.close();
    await suite.core?.close();
    await db?.drop();
  });
  return suite;
}
