// Loads the benchmark data set through the real repository (index rows included): `patients` Patients with fixed ids
// and `observations` Observations spread evenly over them and over a few LOINC codes, in batched transactions
// (multi-row inserts), then refreshes the planner statistics.
// Run directly it is the store's scale sanity check: it seeds each database, then times
// `Observation?patient=X&code=Y` through the repository and prints p50/p99 (printed, not asserted).
//   node --import tsx bench/fhir-rest/seed.ts [--observations 100000] [--patients 1000] [--db sqlite,postgres]
import { pathToFileURL } from 'node:url';
import type { Observation, Patient } from 'fhir/r4.js';
import { indexResource } from '../../src/fhir/search/indexer.js';
import { getSearchParam } from '../../src/fhir/search/registry.js';
import type { SearchParamDef, SearchRequest } from '../../src/fhir/search/types.js';
import { analyzeDatabase, openDataSource } from '../../src/store/datasource.js';
import { SqlRepository } from '../../src/store/sql-repository.js';

/** LOINC codes of the seeded Observations (chest CT findings style). */
export const SEED_CODES = ['24627-2', '30746-2', '18782-3', '36643-5', '21889-1', '33728-7', '59776-5', '8867-4'];

export interface SeedOptions {
  patients: number;
  observations: number;
  /** Resources per transaction (default 500). */
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  /** A patient, a code and an observation that the queries of the benchmark use. */
  patientId: string;
  code: string;
  observationId: string;
  patientIds: string[];
  codes: string[];
}

export const seedPatientId = (i: number): string => `bench-pat-${String(i).padStart(5, '0')}`;

function observation(i: number, patients: number): Observation {
  const patient = i % patients;
  const code = SEED_CODES[Math.floor(i / patients) % SEED_CODES.length]!;
  return {
    resourceType: 'Observation',
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging' }] }],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${seedPatientId(patient)}` },
    effectiveDateTime: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString(),
    valueQuantity: { value: (i % 300) / 10, unit: 'mm', system: 'http://unitsofmeasure.org', code: 'mm' },
  };
}

/** Seeds a database (migrating it if needed) and closes it again. */
export async function seedObservations(databaseUrl: string, options: SeedOptions): Promise<SeedResult> {
  const batch = options.batchSize ?? 500;
  const ds = await openDataSource(databaseUrl);
  try {
    const repo = new SqlRepository(ds, { indexResource });
    const patientIds = Array.from({ length: options.patients }, (_, i) => seedPatientId(i));
    for (let i = 0; i < patientIds.length; i += batch) {
      await repo.transaction(async (tx) => {
        for (const id of patientIds.slice(i, i + batch)) {
          await tx.update<Patient>({ resourceType: 'Patient', id, name: [{ family: `Bench${id.slice(-5)}` }] });
        }
      });
    }
    let observationId = '';
    for (let i = 0; i < options.observations; i += batch) {
      const count = Math.min(batch, options.observations - i);
      const created = await repo.createMany(
        Array.from({ length: count }, (_, j) => observation(i + j, options.patients)),
      );
      if (i === 0) observationId = created[0]!.id!;
      options.onProgress?.(i + count, options.observations);
    }
    await analyzeDatabase(ds);
    return { patientId: patientIds[0]!, code: SEED_CODES[0]!, observationId, patientIds, codes: SEED_CODES };
  } finally {
    await ds.destroy();
  }
}

function def(code: string): SearchParamDef {
  const d = getSearchParam('Observation', code);
  if (!d) throw new Error(`no Observation.${code}`);
  return d;
}

/** `Observation?patient=X&code=Y` as the parser would build it. */
export function patientCodeRequest(patientId: string, code: string): SearchRequest {
  return {
    resourceType: 'Observation',
    filters: [
      { param: def('patient'), values: [{ kind: 'reference', resourceType: 'Patient', id: patientId }] },
      { param: def('code'), values: [{ kind: 'token', code }] },
    ],
    sort: [],
    count: 20,
    offset: 0,
    total: 'none',
    include: [],
    revinclude: [],
  };
}

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function timeQueries(databaseUrl: string, seeded: SeedResult, queries: number): Promise<string> {
  const ds = await openDataSource(databaseUrl);
  try {
    const repo = new SqlRepository(ds, { indexResource });
    // Warm-up (caches, first plans), then the measured round.
    for (let i = 0; i < 200; i++)
      await repo.search(patientCodeRequest(seeded.patientIds[i % seeded.patientIds.length]!, seeded.codes[0]!));
    const times: number[] = [];
    let matches = 0;
    for (let i = 0; i < queries; i++) {
      const patient = seeded.patientIds[(i * 7919) % seeded.patientIds.length]!;
      const code = seeded.codes[i % seeded.codes.length]!;
      const t = process.hrtime.bigint();
      matches += (await repo.search(patientCodeRequest(patient, code))).resources.length;
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    const fmt = (n: number): string => n.toFixed(2);
    return `p50 ${fmt(percentile(times, 50))} ms, p95 ${fmt(percentile(times, 95))} ms, p99 ${fmt(percentile(times, 99))} ms, mean matches ${(matches / queries).toFixed(1)}`;
  } finally {
    await ds.destroy();
  }
}

async function main(): Promise<void> {
  const { sqliteDatabase, postgresDatabase } = await import('../../test/support/databases.js');
  const arg = (name: string, dflt: string): string => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
  };
  const observations = Number(arg('observations', '100000'));
  const patients = Number(arg('patients', '1000'));
  for (const kind of arg('db', 'sqlite,postgres').split(',')) {
    const db = kind === 'postgres' ? await postgresDatabase() : sqliteDatabase();
    try {
      const t0 = Date.now();
      const seeded = await seedObservations(db.url, {
        patients,
        observations,
        onProgress: (done, total) => {
          if (done % 10_000 === 0 || done === total) process.stderr.write(`${kind}: ${done}/${total}\r`);
        },
      });
      const seconds = (Date.now() - t0) / 1000;
      process.stderr.write('\n');
      console.log(`${kind}: seeded ${patients} patients + ${observations} observations in ${seconds.toFixed(1)} s`);
      console.log(`${kind}: Observation?patient=X&code=Y x1000: ${await timeQueries(db.url, seeded, 1000)}`);
    } finally {
      await db.drop();
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
