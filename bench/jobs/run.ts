// Job queue benchmark (issue 3): throughput of a trivial job (diagnostic.noop) and enqueue-to-start latency p50/p99,
// in embedded mode (SQLite, in-process worker) and on PostgreSQL with 1 and 2 `ct-fhir worker` processes.
// Baseline, measured in the same run on the same database: the bare SQL of one job's life (INSERT, claim UPDATE,
// completion UPDATE) issued back to back by one connection without any queue logic. Ratios: queue / baseline.
// Latency is started_at - created_at on the database clock; the enqueue is its own autocommit transaction.
// Usage: node --import tsx bench/jobs/run.ts [--jobs 2000] [--latency-jobs 200] [--gap-ms 10] [--concurrency 4]
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import type { DataSource } from 'typeorm';
import { postgresDatabase, sqliteDatabase } from '../../test/support/databases.js';
import type { TestDatabase } from '../../test/support/databases.js';
import { printTable, saveResults } from '../support/report.js';
import type { Row } from '../support/report.js';
import { openDataSource } from '../../src/store/datasource.js';
import { jobsModule } from '../../src/jobs/schema.js';
import { JobQueue } from '../../src/jobs/queue.js';
import { Worker } from '../../src/jobs/worker.js';
import { enqueue } from '../../src/jobs/enqueue.js';
import { diagnosticHandlers, DIAGNOSTIC_NOOP } from '../../src/jobs/diagnostics.js';
import { nowMs, query } from '../../src/jobs/sql.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const JOBS = Number(args.get('jobs') ?? 2000);
const LATENCY_JOBS = Number(args.get('latency-jobs') ?? 200);
const GAP_MS = Number(args.get('gap-ms') ?? 10);
const CONCURRENCY = Number(args.get('concurrency') ?? 4);
const WARMUP = 100;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function completed(queue: JobQueue): Promise<number> {
  const [row] = await queue.run((m) =>
    query<{ n: number | string }>(m, queue.dialect, "SELECT count(*) AS n FROM job WHERE status = 'completed'"),
  );
  return Number(row!.n);
}

async function waitCompleted(queue: JobQueue, n: number): Promise<void> {
  const end = Date.now() + 300_000;
  while ((await completed(queue)) < n) {
    if (Date.now() > end) throw new Error(`only ${await completed(queue)} of ${n} jobs completed`);
    await sleep(20);
  }
}

/** Enqueues n noop jobs in one transaction; returns the commit instant (ms). */
async function enqueueBatch(queue: JobQueue, n: number, tag: string): Promise<number> {
  await queue.transaction(async (m) => {
    for (let i = 0; i < n; i++) await enqueue(m, { type: DIAGNOSTIC_NOOP, payload: { tag, i } });
  });
  return Date.now();
}

/** Throughput: jobs/s from the batch commit to the last finished_at. */
async function throughput(queue: JobQueue, base: number): Promise<number> {
  const committed = await enqueueBatch(queue, JOBS, 'throughput');
  await waitCompleted(queue, base + JOBS);
  const [row] = await queue.run((m) =>
    query<{ t: number | string }>(m, queue.dialect, "SELECT max(finished_at) AS t FROM job WHERE status = 'completed'"),
  );
  return JOBS / ((Number(row!.t) - committed) / 1000);
}

/** Latency: jobs enqueued one by one, GAP_MS apart, on an idle queue; started_at - created_at. */
async function latency(queue: JobQueue, base: number): Promise<{ p50: number; p99: number }> {
  const ids: string[] = [];
  for (let i = 0; i < LATENCY_JOBS; i++) {
    ids.push((await queue.enqueue({ type: DIAGNOSTIC_NOOP, payload: { tag: 'latency', i } })).job.id);
    await sleep(GAP_MS);
  }
  await waitCompleted(queue, base + LATENCY_JOBS);
  const rows = await queue.run((m) =>
    query<{ d: number | string }>(m, queue.dialect, 'SELECT started_at - created_at AS d FROM job WHERE id IN (:ids)', {
      ids: ids.map(Number),
    }),
  );
  const d = rows.map((r) => Number(r.d)).sort((a, b) => a - b);
  return { p50: pct(d, 0.5), p99: pct(d, 0.99) };
}

/** The baseline: INSERT + claim UPDATE + completion UPDATE per job, serially, on one connection. */
async function baseline(queue: JobQueue, n: number): Promise<{ jobsPerS: number; claimP50: number }> {
  const now = nowMs(queue.dialect);
  const claimMs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    await queue.run(async (m) => {
      const [row] = await query<{ id: number | string }>(
        m,
        queue.dialect,
        `INSERT INTO job (type, payload, status, priority, run_at, attempts, max_attempts, rerun, created_at, updated_at)
         VALUES ('bare', '{}', 'queued', 0, ${now}, 0, 1, 0, ${now}, ${now}) RETURNING id`,
      );
      const c0 = performance.now();
      await query(m, queue.dialect, `UPDATE job SET status = 'running', locked_by = 'b', attempts = 1 WHERE id = :id`, {
        id: Number(row!.id),
      });
      claimMs.push(performance.now() - c0);
      await query(m, queue.dialect, `UPDATE job SET status = 'completed', locked_by = NULL WHERE id = :id`, {
        id: Number(row!.id),
      });
    });
  }
  const s = (performance.now() - t0) / 1000;
  await queue.run((m) => query(m, queue.dialect, "DELETE FROM job WHERE type = 'bare'"));
  claimMs.sort((a, b) => a - b);
  return { jobsPerS: n / s, claimP50: pct(claimMs, 0.5) };
}

function startWorkerProcess(url: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['bin/ct-fhir.js', 'worker', '--workers', String(CONCURRENCY), '--job-poll-ms', '1000'],
    { env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'info' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (b: Buffer) => {
      err += b.toString();
      if (err.includes('"worker started"')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code}: ${err}`)));
  });
}

interface Result {
  scenario: string;
  processes: number;
  throughput: number;
  baselineThroughput: number;
  p50: number;
  p99: number;
  baselineClaimP50: number;
}

async function scenario(name: string, db: TestDatabase, processes: number, embedded: boolean): Promise<Result> {
  const ds: DataSource = await openDataSource(db.url, { modules: [jobsModule] });
  const queue = new JobQueue(ds);
  const children: ChildProcess[] = [];
  let worker: Worker | undefined;
  try {
    const base = await baseline(queue, 500);
    if (embedded) {
      worker = new Worker(queue, { handlers: diagnosticHandlers, concurrency: CONCURRENCY, pollMs: 1000 });
      worker.start();
    } else {
      for (let i = 0; i < processes; i++) children.push(await startWorkerProcess(db.url));
    }
    await enqueueBatch(queue, WARMUP, 'warmup');
    await waitCompleted(queue, WARMUP);
    const tput = await throughput(queue, WARMUP);
    const lat = await latency(queue, WARMUP + JOBS);
    return {
      scenario: name,
      processes,
      throughput: tput,
      baselineThroughput: base.jobsPerS,
      p50: lat.p50,
      p99: lat.p99,
      baselineClaimP50: base.claimP50,
    };
  } finally {
    await worker?.stop(5000);
    for (const c of children) {
      c.kill('SIGTERM');
      if (c.exitCode === null) await once(c, 'exit');
    }
    queue.close();
    await ds.destroy();
    await db.drop();
  }
}

const loadBefore = loadavg();
const results: Result[] = [];
results.push(await scenario('sqlite embedded', sqliteDatabase(), 1, true));
results.push(await scenario('postgres worker', await postgresDatabase(), 1, false));
results.push(await scenario('postgres worker', await postgresDatabase(), 2, false));

const round = (x: number, d = 0): number => Math.round(x * 10 ** d) / 10 ** d;
const rows: Row[] = results.map((r) => ({
  scenario: r.scenario,
  processes: r.processes,
  'jobs/s': round(r.throughput),
  'bare SQL jobs/s': round(r.baselineThroughput),
  ratio: round(r.throughput / r.baselineThroughput, 2),
  'start p50 ms': r.p50,
  'start p99 ms': r.p99,
  'bare claim p50 ms': round(r.baselineClaimP50, 2),
}));
printTable(
  `jobs: ${JOBS} noop jobs (throughput), ${LATENCY_JOBS} single enqueues ${GAP_MS} ms apart (latency), ` +
    `${CONCURRENCY} jobs at once per worker`,
  rows,
);
console.log(
  `load average before ${loadBefore.map((x) => x.toFixed(1)).join(' ')}, after ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
saveResults('jobs', {
  command: `node --import tsx bench/jobs/run.ts --jobs ${JOBS} --latency-jobs ${LATENCY_JOBS} --gap-ms ${GAP_MS} --concurrency ${CONCURRENCY}`,
  baseline:
    'bare SQL: INSERT + claim UPDATE + completion UPDATE per job, serially on one connection, same database, same run',
  // The machine is shared: its load average (1, 5, 15 min) before and after the run says how noisy the numbers are.
  loadAverage: { before: loadBefore, after: loadavg() },
  results: results.map((r) => ({ ...r, ratio: r.throughput / r.baselineThroughput })),
});
