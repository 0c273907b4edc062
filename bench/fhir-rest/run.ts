// FHIR REST benchmark (issue 2): read, create Observation, search Observation?patient=X&code=Y over 100,000
// Observations of 1,000 patients, and metadata, on SQLite and PostgreSQL at 16 and 64 connections, each against a
// bare node:http server returning the same JSON body in the same run (ratio = ct-fhir req/s / bare req/s) and a bare
// express app doing the same (ratio express: what the FHIR work costs on top of the framework itself); for read also
// a "db floor": node:http plus one prepared SELECT of the stored resource, no FHIR work (ratio floor: how much of what
// any database-backed read can reach on this machine ct-fhir reaches).
// Usage: node --import tsx bench/fhir-rest/run.ts [--duration 10] [--observations 100000] [--db sqlite,postgres]
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import type { Observation } from 'fhir/r4.js';
import { postgresDatabase, sqliteDatabase, type TestDatabase } from '../../test/support/databases.js';
import { printTable, saveResults, type Row } from '../support/report.js';
import { seedObservations } from './seed.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const duration = Number(args.get('duration') ?? 10);
const total = Number(args.get('observations') ?? 100_000);
const databases = (args.get('db') ?? 'sqlite,postgres').split(',');
const CONNECTIONS = [16, 64];

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

interface Scenario {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: string;
}

async function load(
  url: string,
  s: Scenario,
  connections: number,
): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  const result = await autocannon({
    url: url + s.path,
    method: s.method,
    body: s.body,
    headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
    connections,
    duration,
  });
  const errors = result.errors + result.non2xx + result.timeouts;
  return { rps: Math.round(result.requests.average), p50: result.latency.p50, p99: result.latency.p99, errors };
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const port = 18000 + Math.floor(Math.random() * 1000);
  for (const kind of databases) {
    const db: TestDatabase = kind === 'postgres' ? await postgresDatabase() : sqliteDatabase();
    process.stderr.write(`seeding ${total} Observations on ${kind}...\n`);
    const seeded = await seedObservations(db.url, { patients: 1000, observations: total });
    const server = spawn(process.execPath, ['bin/ct-fhir.js', 'serve'], {
      env: {
        ...process.env,
        PORT: String(port),
        DATABASE_URL: db.url,
        MLLP_PORT: '0',
        WORKERS: '0',
        LOG_LEVEL: 'error',
      },
      stdio: 'inherit',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`);
    const readBody = await (await fetch(`${base}/fhir/Observation/${seeded.observationId}`)).text();
    const newObs: Observation = {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: seeded.code }] },
      subject: { reference: 'Patient/bench-create-target' },
      effectiveDateTime: '2024-01-01T00:00:00Z',
    };
    const scenarios: Scenario[] = [
      { name: 'read', method: 'GET', path: `/fhir/Observation/${seeded.observationId}` },
      { name: 'search', method: 'GET', path: `/fhir/Observation?patient=${seeded.patientId}&code=${seeded.code}` },
      { name: 'metadata', method: 'GET', path: '/fhir/metadata' },
      // Last, and for a patient outside the seed, so creates do not change what search and read measure.
      { name: 'create', method: 'POST', path: '/fhir/Observation', body: JSON.stringify(newObs) },
    ];
    const bodies: Record<string, string> = {};
    for (const s of scenarios) {
      if (s.method === 'GET') bodies[s.name] = await (await fetch(base + s.path)).text();
    }
    bodies.create = readBody;
    const measured: Record<string, Record<number, Awaited<ReturnType<typeof load>>>> = {};
    for (const s of scenarios) {
      measured[s.name] = {};
      for (const c of CONNECTIONS) {
        measured[s.name]![c] = await load(base, s, c);
      }
    }
    await stop(server);
    // The baselines serve each scenario's own response body, measured right after, on the same machine.
    for (const s of scenarios) {
      const bodyFile = join(tmpdir(), `ct-fhir-bench-${s.name}.json`);
      writeFileSync(bodyFile, bodies[s.name] ?? '{}');
      const baseline: Record<string, Record<number, number>> = {};
      for (const framework of s.name === 'read' ? ['node', 'express', 'db-read'] : ['node', 'express']) {
        const bare = spawn(
          process.execPath,
          ['--import', 'tsx', 'bench/fhir-rest/bare-server.ts', String(port + 1), bodyFile, framework, db.url],
          { stdio: ['ignore', 'pipe', 'inherit'] },
        );
        const path = framework === 'db-read' ? s.path : '/';
        await waitFor(`http://127.0.0.1:${port + 1}${path}`);
        baseline[framework] = {};
        for (const c of CONNECTIONS)
          baseline[framework]![c] = (await load(`http://127.0.0.1:${port + 1}`, { ...s, path }, c)).rps;
        await stop(bare);
      }
      for (const c of CONNECTIONS) {
        const m = measured[s.name]![c]!;
        const bare = baseline.node![c]!;
        const bareExpress = baseline.express![c]!;
        const floor = baseline['db-read']?.[c];
        rows.push({
          db: kind,
          scenario: s.name,
          conns: c,
          'req/s': m.rps,
          'p50 ms': m.p50,
          'p99 ms': m.p99,
          errors: m.errors,
          'bare req/s': bare,
          ratio: Number((m.rps / bare).toFixed(3)),
          'express req/s': bareExpress,
          'ratio express': Number((m.rps / bareExpress).toFixed(3)),
          'db floor req/s': floor ?? '',
          'ratio floor': floor ? Number((m.rps / floor).toFixed(3)) : '',
        });
      }
    }
    await db.drop();
  }
  printTable(`FHIR REST (${duration}s per run, ${total} Observations of 1,000 patients)`, rows);
  saveResults('fhir-rest', { duration, observations: total, rows });
}

await main();
