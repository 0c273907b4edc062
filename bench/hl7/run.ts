// HL7 v2 listener benchmark: ORU^R01 messages/s and ACK latency with 1, 4 and 16 connections, each connection a
// RIS that sends one message and waits for its ACK before the next (original mode). Compared in the same run:
//   baseline   the MLLP listener answering AA without parsing or storing (framing + socket cost only)
//   <db> parse+store+map     raw message stored, mapped to a transaction Bundle, marked processed, then AA
//   <db> end to end          the same plus the Bundle executed through the FHIR transaction interaction and the
//                            store (openCore: validation, search index, outbox triggers), AA after commit:
//                            "one transaction per message", and "group commit" (messages arriving together share
//                            one raw INSERT, one FHIR transaction and one UPDATE; inbound.ts `executeBatch`)
// Each cell also reports how long the core's job-transition listeners (the Task mirror) still ran after the last
// ACK (backgroundDrainMs): work the ACKed messages caused that the ACK rate alone does not show.
// on SQLite and PostgreSQL, both opened through the store's openCore as `ct-fhir serve` does.
// Usage: node --import tsx bench/hl7/run.ts [--seconds 3]
import net from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { MllpListener, type MessageHandler } from '../../src/hl7v2/listener.js';
import { MllpDecoder, frame } from '../../src/hl7v2/mllp.js';
import { buildAck, salvageAckSource } from '../../src/hl7v2/ack.js';
import { createInboundProcessor } from '../../src/hl7v2/inbound.js';
import { Hl7MessageStore } from '../../src/hl7v2/store/message-store.js';
import { fhirBatchExecutor, fhirExecutor } from '../../src/hl7v2/execute.js';
import { postgresDatabase, sqliteDatabase } from '../../test/support/databases.js';
import { openCoreWithHl7 } from '../../test/integration/hl7v2/open-core.js';
import { oruR01 } from './messages.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 3) || 3;
const CONNECTIONS = [1, 4, 16];

interface Cell {
  scenario: string;
  connections: number;
  messages: number;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  backgroundDrainMs?: number;
}

/** One connection in a closed loop until the deadline; returns ACK latencies (ms). */
async function connectionLoop(port: number, deadline: number): Promise<{ lat: number[]; errors: number }> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  const decoder = new MllpDecoder();
  let resolveAck: ((ack: string) => void) | undefined;
  socket.on('data', (c: Buffer) => {
    for (const f of decoder.push(c)) resolveAck?.(f.data.toString('utf8'));
  });
  const lat: number[] = [];
  let errors = 0;
  while (performance.now() < deadline) {
    const ack = new Promise<string>((r) => (resolveAck = r));
    const t0 = performance.now();
    socket.write(frame(oruR01()));
    const text = await ack;
    lat.push(performance.now() - t0);
    if (!text.includes('MSA|AA|')) errors++;
  }
  socket.destroy();
  return { lat, errors };
}

async function measure(scenario: string, handle: MessageHandler, background?: () => Promise<void>): Promise<Cell[]> {
  const listener = new MllpListener({ port: 0, handle });
  const { port } = await listener.start();
  const cells: Cell[] = [];
  try {
    await Promise.all([connectionLoop(port, performance.now() + 300)]); // warm-up
    for (const n of CONNECTIONS) {
      const start = performance.now();
      const deadline = start + seconds * 1000;
      const runs = await Promise.all(Array.from({ length: n }, () => connectionLoop(port, deadline)));
      const end = performance.now();
      const elapsed = (end - start) / 1000;
      await background?.();
      const backgroundDrainMs = background ? Math.round(performance.now() - end) : undefined;
      const lat = runs.flatMap((r) => r.lat).sort((a, b) => a - b);
      const pct = (p: number): number =>
        Number((lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0).toFixed(2));
      cells.push({
        scenario,
        connections: n,
        messages: lat.length,
        messagesPerSecond: Math.round(lat.length / elapsed),
        p50Ms: pct(0.5),
        p99Ms: pct(0.99),
        errors: runs.reduce((s, r) => s + r.errors, 0),
        backgroundDrainMs,
      });
    }
  } finally {
    await listener.close();
  }
  return cells;
}

/** Opens the real core (store, jobs, hl7 tables) and measures store+map, then end to end through FHIR. */
async function coreScenarios(label: string, url: string): Promise<Cell[]> {
  const core = await openCoreWithHl7(url);
  try {
    const store = new Hl7MessageStore(core.dataSource);
    const idle = () => core.queue.idle();
    const cells = await measure(`${label} parse+store+map`, createInboundProcessor({ store }).handle);
    const perMessage = createInboundProcessor({ store, execute: fhirExecutor(core.ctx) });
    cells.push(...(await measure(`${label} end to end (transaction per message)`, perMessage.handle, idle)));
    const grouped = createInboundProcessor({ store, executeBatch: fhirBatchExecutor(core.ctx) });
    cells.push(...(await measure(`${label} end to end (group commit)`, grouped.handle, idle)));
    return cells;
  } finally {
    await core.close();
  }
}

async function main(): Promise<void> {
  const loadAverageBefore = loadavg();
  const results: Cell[] = [];
  results.push(...(await measure('baseline (ACK only)', async (text) => buildAck(salvageAckSource(text), 'AA'))));

  const sqlite = sqliteDatabase();
  try {
    results.push(...(await coreScenarios('sqlite', sqlite.url)));
  } finally {
    await sqlite.drop();
  }

  const pgdb = await postgresDatabase().catch((err: Error) => {
    console.error(`postgres skipped: ${err.message}`);
    return undefined;
  });
  if (pgdb) {
    try {
      results.push(...(await coreScenarios('postgres', pgdb.url)));
    } finally {
      await pgdb.drop();
    }
  }

  const base = new Map(results.filter((r) => r.scenario.startsWith('baseline')).map((r) => [r.connections, r]));
  const rows = results.map((r) => ({
    ...r,
    ratioToBaseline: Number((r.messagesPerSecond / (base.get(r.connections)?.messagesPerSecond || 1)).toFixed(3)),
  }));
  console.log(
    '| scenario | connections | messages | msg/s | ACK p50 ms | ACK p99 ms | ratio to baseline | errors | background drain ms |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.scenario} | ${r.connections} | ${r.messages} | ${r.messagesPerSecond} | ${r.p50Ms} | ${r.p99Ms} | ${r.ratioToBaseline} | ${r.errors} | ${r.backgroundDrainMs ?? ''} |`,
    );
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/hl7.json',
    JSON.stringify(
      {
        benchmark: 'hl7',
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        loadAverage: loadavg(),
        secondsPerCell: seconds,
        note: 'closed loop per connection (send one ORU^R01, wait for its ACK, repeat); baseline = listener answering AA without parsing or storing; backgroundDrainMs = time after the last ACK until the Task mirror caught up',
        loadAverageBefore,
        results: rows,
      },
      null,
      2,
    ) + '\n',
  );
}

await main();
