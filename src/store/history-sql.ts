// History queries over resource_history: instance, type and system level, `_since`, `_at`, newest first, paged by
// position (keyset) so that versions written between two pages neither shift nor repeat them. FHIR R4 http.html#history.
import type { Resource } from 'fhir/r4.js';
import type { HistoryEntry, HistoryPage, HistoryRequest } from '../fhir/repository.js';
import type { HistoryKey } from '../fhir/search/types.js';
import { decodeContent, num, select, type Queryable } from './rows.js';
import { and, type Dialect, type Frag, raw, sql } from './sql.js';

interface HistoryRow {
  method: string;
  deleted: unknown;
  content: unknown;
}

/** The order of history Bundles: newest first; versions of one instant by type, id, then newest version. */
const NEWEST_FIRST = 'h.last_updated DESC, h.resource_type, h.id, h.version_id DESC';
const OLDEST_FIRST = 'h.last_updated ASC, h.resource_type DESC, h.id DESC, h.version_id ASC';

/**
 * Versions strictly after `k` in NEWEST_FIRST order (older), or with `orEqual` also `k` itself. The leading bound on
 * last_updated alone lets the planner range-scan the last_updated indexes.
 */
function afterKey(k: HistoryKey, orEqual: boolean): Frag {
  const version = orEqual ? sql`h.version_id <= ${k.versionId}` : sql`h.version_id < ${k.versionId}`;
  return sql`h.last_updated <= ${k.lastUpdated} AND (h.last_updated < ${k.lastUpdated} OR h.resource_type > ${k.resourceType}
    OR (h.resource_type = ${k.resourceType} AND (h.id > ${k.id} OR (h.id = ${k.id} AND ${version}))))`;
}

/** Versions strictly before `k` in NEWEST_FIRST order (newer). */
function beforeKey(k: HistoryKey): Frag {
  return sql`h.last_updated >= ${k.lastUpdated} AND (h.last_updated > ${k.lastUpdated} OR h.resource_type < ${k.resourceType}
    OR (h.resource_type = ${k.resourceType} AND (h.id < ${k.id} OR (h.id = ${k.id} AND h.version_id > ${k.versionId}))))`;
}

/** The WHERE conditions of a history request on alias h: which versions, as of the snapshot (not the page). */
function historyWhere(request: HistoryRequest): Frag {
  const conds: Frag[] = [];
  if (request.resourceType !== undefined) conds.push(sql`h.resource_type = ${request.resourceType}`);
  if (request.id !== undefined) conds.push(sql`h.id = ${request.id}`);
  if (request.since !== undefined) conds.push(sql`h.last_updated >= ${Math.round(request.since)}`);
  if (request.at !== undefined) {
    // Versions current at some point of [start, end): written before its end, and not replaced by its start (no
    // later version written at or before start).
    const start = Math.round(request.at);
    const end = Math.round(request.atEnd ?? request.at + 1);
    conds.push(sql`h.last_updated < ${end}`);
    conds.push(sql`NOT EXISTS (SELECT 1 FROM resource_history h2 WHERE h2.resource_type = h.resource_type
      AND h2.id = h.id AND h2.version_id > h.version_id AND h2.last_updated <= ${start})`);
  }
  if (request.snapshot !== undefined) conds.push(afterKey(request.snapshot, true));
  return and(conds);
}

/**
 * One page of history entries, newest first, with the total count (as of the snapshot). `after` / `before` select
 * the page next to a version; `offset` still skips rows (links of older servers). hasMore: there are versions beyond
 * this page in the direction of travel (older for `after` and first pages, newer for `before`).
 */
export async function readHistory(m: Queryable, d: Dialect, request: HistoryRequest): Promise<HistoryPage> {
  const where = historyWhere(request);
  const count = Math.max(0, Math.floor(request.count));
  const offset = Math.max(0, Math.floor(request.offset));
  const position: Frag[] = [];
  if (request.after !== undefined) position.push(afterKey(request.after, false));
  if (request.before !== undefined) position.push(beforeKey(request.before));
  const backward = request.before !== undefined && request.after === undefined;
  const rows =
    count === 0
      ? []
      : await select<HistoryRow>(
          m,
          d,
          sql`SELECT h.method, h.deleted, h.content FROM resource_history h WHERE ${and([where, ...position])}
              ORDER BY ${raw(backward ? OLDEST_FIRST : NEWEST_FIRST)} LIMIT ${count + 1} OFFSET ${offset}`,
        );
  const totalRows = await select<{ n: unknown }>(
    m,
    d,
    sql`SELECT COUNT(*) AS n FROM resource_history h WHERE ${where}`,
  );
  const page = rows.slice(0, count);
  if (backward) page.reverse();
  const entries: HistoryEntry[] = page.map((r) => ({
    resource: decodeContent<Resource>(r.content),
    method: r.method as HistoryEntry['method'],
    deleted: num(r.deleted) === 1,
  }));
  return { entries, total: num(totalRows[0]?.n ?? 0), hasMore: rows.length > count };
}
