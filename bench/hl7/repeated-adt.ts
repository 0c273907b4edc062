// The same ADT^A08 sent again and again (a new control id each time), one at a time through the real inbound
// processor: after the first, the Patient and the Encounter it carries are unchanged, so this measures what an
// unchanged update costs (conditional match, no validation, no write). Printed, not asserted; a diagnostic beside
// bench/hl7/statements.ts. Usage: node --import tsx bench/hl7/repeated-adt.ts [sqlite|postgres] [messages]
import { fhirExecutor } from '../../src/hl7v2/execute.js';
import { createInboundProcessor } from '../../src/hl7v2/inbound.js';
import { Hl7MessageStore } from '../../src/hl7v2/store/message-store.js';
import { openCoreWithHl7 } from '../../test/integration/hl7v2/open-core.js';
import { postgresDatabase, sqliteDatabase } from '../../test/support/databases.js';
import { fixture } from '../../test/unit/hl7v2/fixtures.js';
const kind = process.argv[2] ?? 'sqlite';
const n = Number(process.argv[3] ?? 500);
const db = kind === 'postgres' ? await postgresDatabase() : sqliteDatabase();
const core = await openCoreWithHl7(db.url);
const inbound = createInboundProcessor({
  store: new Hl7MessageStore(core.dataSource),
  execute: fhirExecutor(core.ctx),
});
const text = fixture('adt-a01.hl7').replace('ADT^A01^ADT_A01', 'ADT^A08^ADT_A01');
let i = 0;
const send = async () => {
  const acks = await inbound.processFrame(text.replace('MSG00701', `R${i++}`));
  if (!acks[0]!.includes('MSA|AA|')) throw new Error(acks[0]);
};
for (let k = 0; k < 100; k++) await send();
const cpu = process.cpuUsage();
const t0 = performance.now();
for (let k = 0; k < n; k++) await send();
const ms = (performance.now() - t0) / n;
const c = process.cpuUsage(cpu);
console.log(
  `${kind}: ${n} repeated A08: ${ms.toFixed(2)} ms per message, CPU user ${(c.user / 1000 / n).toFixed(2)} ms`,
);
await core.close();
await db.drop();
