// Where one message goes in the database: messages sent one at a time through the real inbound processor (raw store,
// mapping, FHIR transaction, outbox, Task mirror), then per message the wall time, this process's CPU time and the
// SQL statements by text with their time. Printed, not asserted; a diagnostic for the end-to-end rate of bench/hl7.
//   --message oru           a new ORU^R01 each time (bench/hl7/messages.ts)
//   --message repeated-a08  the same ADT^A08 again and again (a new control id each time): after the first, its
//                           Patient and Encounter are unchanged, so this is what an unchanged update costs
// Usage: node --import tsx bench/hl7/statements.ts [--db sqlite|postgres] [--messages 300] [--message oru]
import pg from 'pg';
import { BetterSqlite3QueryRunner } from 'typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner.js';
import { fhirExecutor } from '../../src/hl7v2/execute.js';
import { createInboundProcessor } from '../../src/hl7v2/inbound.js';
import { Hl7MessageStore } from '../../src/hl7v2/store/message-store.js';
import { openCoreWithHl7 } from '../../test/integration/hl7v2/open-core.js';
import { postgresDatabase, sqliteDatabase } from '../../test/support/databases.js';
import { adtA08Repeated, oruR01 } from './messages.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const kind = arg('db', 'sqlite');
const messages = Number(arg('messages', '300'));
const kindOfMessage = arg('message', 'oru');
const next: () => string = kindOfMessage === 'repeated-a08' ? adtA08Repeated : oruR01;
const label = kindOfMessage === 'repeated-a08' ? 'repeated ADT^A08' : 'ORU^R01';

/** Statement text (whitespace collapsed, first 100 characters) -> count and milliseconds. */
const statements = new Map<string, { count: number; ms: number }>();

type QueryFn = (this: unknown, ...args: unknown[]) => unknown;

/** Wraps a driver's query method to count and time statements by text. */
function instrument(proto: { query: unknown }): void {
  const original = proto.query as QueryFn;
  proto.query = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const first = args[0];
    const text = typeof first === 'string' ? first : ((first as { text?: string } | undefined)?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').slice(0, 100);
    const started = performance.now();
    try {
      return await original.apply(this, args);
    } finally {
      const s = statements.get(key) ?? { count: 0, ms: 0 };
      s.count++;
      s.ms += performance.now() - started;
      statements.set(key, s);
    }
  };
}
instrument(pg.Client.prototype as unknown as { query: unknown });
instrument(BetterSqlite3QueryRunner.prototype as unknown as { query: unknown });

const db = kind === 'postgres' ? await postgresDatabase() : sqliteDatabase();
const core = await openCoreWithHl7(db.url);
try {
  const store = new Hl7MessageStore(core.dataSource);
  const inbound = createInboundProcessor({ store, execute: fhirExecutor(core.ctx) });
  for (let i = 0; i < 50; i++) await inbound.processFrame(next()); // warm-up: caches, prepared statements, JIT
  await core.queue.idle();
  statements.clear();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    const acks = await inbound.processFrame(next());
    if (!acks.every((a) => a.includes('MSA|AA|'))) throw new Error(`not accepted: ${acks.join(' ')}`);
  }
  await core.queue.idle();
  const wallMs = (performance.now() - started) / messages;
  const used = process.cpuUsage(cpu);
  const total = [...statements.values()].reduce((n, s) => n + s.count, 0);
  console.log(
    `${kind}: ${messages} ${label} one at a time: ${wallMs.toFixed(2)} ms per message, CPU user ` +
      `${(used.user / 1000 / messages).toFixed(2)} ms + system ${(used.system / 1000 / messages).toFixed(2)} ms, ` +
      `${(total / messages).toFixed(1)} statements`,
  );
  console.log('| per message | ms per message | statement |\n|---|---|---|');
  for (const [text, s] of [...statements.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`| ${(s.count / messages).toFixed(2)} | ${(s.ms / messages).toFixed(3)} | \`${text}\` |`);
  }
} finally {
  await core.close();
  await db.drop();
}
