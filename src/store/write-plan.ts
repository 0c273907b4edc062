// Writes resource versions: the current row (guarded by the version read before, so a concurrent writer is a 409),
// the history row and the index rows. On PostgreSQL every statement of a write goes out as ONE statement of
// data-modifying CTEs (one round trip instead of ten); they share one snapshot, so an index DELETE never sees the
// rows INSERTed beside it. On SQLite (in-process, no round trips) the statements simply run in order.
import type { Resource } from 'fhir/r4.js';
import type { EntityManager } from 'typeorm';
import { concurrentWrite } from '../fhir/outcomes.js';
import type { IndexRows } from '../fhir/search/types.js';
import { indexDeleteStatements, indexInsertStatements, insertStatements } from './index-writer.js';
import { execute, num, select } from './rows.js';
import { type Dialect, type Frag, join, sql } from './sql.js';
import { assertIndexable, assertNoNul } from './storable.js';

/** One version to write. */
export interface PendingVersion {
  content: Resource;
  version: number;
  lastUpdated: number;
  method: 'POST' | 'PUT' | 'DELETE';
  /** The current row's version when a row exists (the UPDATE is guarded by it); undefined: INSERT a new row. */
  previousVersion?: number;
  /** Index rows of the new version (none for a deletion). */
  rows?: IndexRows;
  /** Delete the resource's old index rows first (an update, a deletion, or a re-creation after a deletion). */
  replaceIndex: boolean;
}

/** Parameters per PostgreSQL statement (limit 65535). */
const PG_MAX_PARAMS = 30_000;

function guardStatement(v: PendingVersion, json: string): Frag {
  const { resourceType } = v.content;
  return sql`UPDATE resource SET version_id = ${v.version}, last_updated = ${v.lastUpdated},
    deleted = ${v.method === 'DELETE' ? 1 : 0}, content = ${json}
    WHERE resource_type = ${resourceType} AND id = ${v.content.id!} AND version_id = ${v.previousVersion!}`;
}

/** Every statement of the versions (`json`: each one's serialised content), guards first, index deletes first. */
function statements(versions: PendingVersion[], json: string[]): { guards: Frag[]; others: Frag[] } {
  const row = (v: PendingVersion, i: number): unknown[] => [
    v.content.resourceType,
    v.content.id!,
    v.version,
    v.lastUpdated,
    v.method === 'DELETE' ? 1 : 0,
    json[i],
  ];
  const guards = versions.flatMap((v, i) => (v.previousVersion !== undefined ? [guardStatement(v, json[i]!)] : []));
  const fresh = versions.flatMap((v, i) => (v.previousVersion === undefined ? [row(v, i)] : []));
  const others = [
    ...insertStatements('resource', ['resource_type', 'id', 'version_id', 'last_updated', 'deleted', 'content'], fresh),
    ...insertStatements(
      'resource_history',
      ['resource_type', 'id', 'version_id', 'last_updated', 'deleted', 'content', 'method'],
      versions.map((v, i) => [...row(v, i), v.method]),
    ),
    ...versions
      .filter((v) => v.replaceIndex)
      .flatMap((v) => indexDeleteStatements(v.content.resourceType, v.content.id!)),
    ...indexInsertStatements(
      versions.flatMap((v) =>
        v.rows ? [{ resourceType: v.content.resourceType, id: v.content.id!, rows: v.rows }] : [],
      ),
    ),
  ];
  return { guards, others };
}

/** Groups statements into PostgreSQL CTE statements under the parameter limit, in order. */
function pgBatches(guards: Frag[], others: Frag[]): Frag[] {
  const all = [...guards.map((g) => ({ frag: g, guard: true })), ...others.map((o) => ({ frag: o, guard: false }))];
  const out: Frag[] = [];
  let current: typeof all = [];
  let params = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    const ctes = current.map((s, i) =>
      // CTE names are code-chosen text, not parameters.
      ({ sql: `w${i} AS (${s.frag.sql}${s.guard ? ' RETURNING 1' : ''})`, params: s.frag.params }),
    );
    const guardCount = current.flatMap((s, i) => (s.guard ? [`(SELECT count(*) FROM w${i})`] : []));
    const tail = `SELECT ${guardCount.length > 0 ? guardCount.join(' + ') : '0'} AS n`;
    out.push(join([join([{ sql: 'WITH ', params: [] }, join(ctes, ', ')], ''), { sql: tail, params: [] }], ' '));
    current = [];
    params = 0;
  };
  for (const s of all) {
    if (params + s.frag.params.length > PG_MAX_PARAMS) flush();
    current.push(s);
    params += s.frag.params.length;
  }
  flush();
  return out;
}

/** Writes the versions in the manager's transaction; a guard that matches no row (a concurrent write) is 409. */
export async function writeVersions(m: EntityManager, d: Dialect, versions: PendingVersion[]): Promise<void> {
  const json = versions.map((v) => JSON.stringify(v.content));
  // Checked here so that both databases refuse the same writes (a deletion keeps content already stored).
  versions.forEach((v, i) => {
    if (v.method !== 'DELETE') assertNoNul(v.content, json[i]!);
    if (v.rows) assertIndexable(v.content.resourceType, v.rows);
  });
  const { guards, others } = statements(versions, json);
  let guarded = 0;
  if (d === 'postgres') {
    for (const batch of pgBatches(guards, others)) {
      guarded += num((await select<{ n: unknown }>(m, d, batch))[0]?.n ?? 0);
    }
  } else {
    for (const g of guards) guarded += await execute(m, d, g);
    for (const s of others) await execute(m, d, s);
  }
  if (guarded !== guards.length) {
    const ids = versions.map((v) => `${v.content.resourceType}/${v.content.id}`).join(', ');
    throw concurrentWrite(`${ids} was changed by a concurrent write; retry`);
  }
}
