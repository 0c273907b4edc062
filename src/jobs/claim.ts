// Claiming: moves up to N claimable jobs to `running` under a lease, highest priority first, honouring per-type
// limits in this process (perProcess) and across processes (cluster: running leases of the type are counted in the
// claim statement itself).
//   PostgreSQL: each branch locks its rows FOR UPDATE SKIP LOCKED, so concurrent workers never wait on or take the
//   same row. Cluster-limited types are first guarded by a transaction-scoped advisory lock (try-lock: a worker that
//   does not get it skips the type this round), because two READ COMMITTED claims would both count 0 running.
//   SQLite: one UPDATE ... WHERE id IN (SELECT ...) RETURNING statement; SQLite runs it under the database write
//   lock, so the count and the update are atomic across processes as well.
import type { EntityManager } from 'typeorm';
import type { JobQueue } from './queue.js';
import type { JobRow } from './schema.js';
import type { Dialect, Params } from './sql.js';
import { greatest, least, nowMs, query, rowToJob } from './sql.js';
import type { Job, TypeLimit } from './types.js';

export interface LimitedType {
  type: string;
  /** Claimable by this process now (perProcess minus running here, at most the free slots). */
  local: number;
  cluster?: number;
}

export interface ClaimPlan {
  slots: number;
  unlimited: string[];
  limited: LimitedType[];
}

/** Which types this process may claim and how many of each (pure); null when nothing can be claimed. */
export function planClaim(
  free: number,
  types: readonly string[],
  limits: Readonly<Record<string, TypeLimit>>,
  runningHere: ReadonlyMap<string, number>,
): ClaimPlan | null {
  if (free <= 0) return null;
  const unlimited: string[] = [];
  const limited: LimitedType[] = [];
  for (const type of types) {
    const limit = limits[type];
    if (!limit || (limit.perProcess === undefined && limit.cluster === undefined)) {
      unlimited.push(type);
      continue;
    }
    const local = Math.min(free, (limit.perProcess ?? Infinity) - (runningHere.get(type) ?? 0));
    if (local <= 0 || limit.cluster === 0) continue;
    limited.push(limit.cluster === undefined ? { type, local } : { type, local, cluster: limit.cluster });
  }
  if (unlimited.length === 0 && limited.length === 0) return null;
  return { slots: free, unlimited, limited };
}

/** The claim statement for a plan (exported for the SQL shape test). */
export function claimSql(dialect: Dialect, plan: ClaimPlan): { text: string; params: Params } {
  const now = nowMs(dialect);
  const lock = dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const params: Params = { slots: plan.slots };
  const branch = (where: string, limit: string, i: number): string =>
    `SELECT * FROM (SELECT id, priority, run_at FROM job
      WHERE status = 'queued' AND run_at <= ${now} AND ${where}
      ORDER BY priority DESC, run_at, id LIMIT ${limit}${lock}) b${i}`;
  const branches: string[] = [];
  if (plan.unlimited.length > 0) {
    params.unlimited = plan.unlimited;
    branches.push(branch('type IN (:unlimited)', ':slots', 0));
  }
  plan.limited.forEach((l, i) => {
    params[`t${i}`] = l.type;
    params[`local${i}`] = l.local;
    let limit = `:local${i}`;
    if (l.cluster !== undefined) {
      params[`cluster${i}`] = l.cluster;
      const running = `(SELECT count(*) FROM job r WHERE r.type = :t${i} AND r.status = 'running')`;
      limit = greatest(dialect, '0', least(dialect, `:local${i}`, `:cluster${i} - ${running}`));
    }
    branches.push(branch(`type = :t${i}`, limit, i + 1));
  });
  const pick = `SELECT id FROM (${branches.join(' UNION ALL ')}) c ORDER BY priority DESC, run_at, id LIMIT :slots`;
  // PostgreSQL: = ANY(ARRAY(...)) evaluates the locking sub-select exactly once.
  const target = dialect === 'postgres' ? `id = ANY(ARRAY(${pick}))` : `id IN (${pick})`;
  const text = `UPDATE job SET status = 'running', locked_by = :workerId, locked_until = ${now} + :leaseMs,
      attempts = attempts + 1, started_at = ${now}, updated_at = ${now}
    WHERE status = 'queued' AND ${target}
    RETURNING *`;
  return { text, params };
}

/** Advisory-lock namespace for cluster limits (first key of pg_try_advisory_xact_lock(int, int)). */
const ADVISORY_CLASS = 7_340_013;

async function lockClusterTypes(m: EntityManager, types: string[]): Promise<Set<string>> {
  const values = types.map((_t, i) => `(:t${i})`).join(', ');
  const params = Object.fromEntries(types.map((t, i) => [`t${i}`, t]));
  const rows = await query<{ type: string; ok: boolean }>(
    m,
    'postgres',
    `SELECT v.type, pg_try_advisory_xact_lock(${ADVISORY_CLASS}, hashtext(v.type)) AS ok
     FROM (VALUES ${values}) AS v(type)`,
    params,
  );
  return new Set(rows.filter((r) => r.ok).map((r) => r.type));
}

export interface ClaimOutcome {
  jobs: Job[];
  /** Cluster-limited types skipped because another worker was claiming them: try again soon. */
  contended: boolean;
}

/** Claims jobs for a plan with a lease of leaseMs for workerId. */
export async function claimJobs(
  queue: JobQueue,
  plan: ClaimPlan,
  workerId: string,
  leaseMs: number,
): Promise<ClaimOutcome> {
  const base = { workerId, leaseMs };
  const clusterTypes = plan.limited.filter((l) => l.cluster !== undefined).map((l) => l.type);
  if (queue.dialect === 'sqlite' || clusterTypes.length === 0) {
    const { text, params } = claimSql(queue.dialect, plan);
    return { jobs: await queue.jobs(text, { ...params, ...base }), contended: false };
  }
  return queue.transaction(async (m) => {
    const locked = await lockClusterTypes(m, clusterTypes);
    const limited = plan.limited.filter((l) => l.cluster === undefined || locked.has(l.type));
    const contended = limited.length < plan.limited.length;
    if (plan.unlimited.length === 0 && limited.length === 0) return { jobs: [], contended };
    const { text, params } = claimSql('postgres', { ...plan, limited });
    const rows = await query<JobRow>(m, 'postgres', text, { ...params, ...base });
    return { jobs: rows.map(rowToJob), contended };
  });
}
