// History queries over resource_history: instance, type and system level, `_since`, `_at`, newest first.
// FHIR R4 http.html#history.
import type { Resource } from 'fhir/r4.js';
import type { HistoryEntry, HistoryPage, HistoryRequest } from '../fhir/repository.js';
import { decodeContent, num, select, type Queryable } from './rows.js';
import { and, type Dialect, type Frag, sql } from './sql.js';

interface HistoryRow {
  method: string;
  deleted: unknown;
  content: unknown;
}

/** The WHERE conditions of a history request on alias h. */
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
  return and(conds);
}

/** One page of history entries, newest first, with the total count. */
export async function readHistory(m: Queryable, d: Dialect, request: HistoryRequest): Promise<HistoryPage> {
  const where = historyWhere(request);
  const count = Math.max(0, Math.floor(request.count));
  const offset = Math.max(0, Math.floor(request.offset));
  const rows =
    count === 0
      ? []
      : await select<HistoryRow>(
          m,
          d,
          sql`SELECT h.method, h.deleted, h.content FROM resource_history h WHERE ${where}
              ORDER BY h.last_updated DESC, h.resource_type, h.id, h.version_id DESC LIMIT ${count + 1} OFFSET ${offset}`,
        );
  const totalRows = await select<{ n: unknown }>(
    m,
    d,
    sql`SELECT COUNT(*) AS n FROM resource_history h WHERE ${where}`,
  );
  const entries: HistoryEntry[] = rows.slice(0, count).map((r) => ({
    resource: decodeContent<Resource>(r.content),
    method: r.method as HistoryEntry['method'],
    deleted: num(r.deleted) === 1,
  }));
  return { entries, total: num(totalRows[0]?.n ?? 0), hasMore: rows.length > count };
}
