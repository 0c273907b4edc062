// Executes a SearchRequest: the page (count + 1 rows to know hasMore), the accurate total when asked, and
// `_include` / `_revinclude` (with `:iterate`, bounded depth). FHIR R4 search.html#include, #count, #total.
import type { Resource } from 'fhir/r4.js';
import type { IncludeTarget, SearchRequest, SearchResult } from '../fhir/search/types.js';
import { decodeContent, num, select, type Queryable } from './rows.js';
import { keysetCondition, keysetReverseOrder, searchOrder, searchQuery } from './search-sql.js';
import { and, type Dialect, type Frag, list, sql } from './sql.js';

/** `:iterate` rounds after the first; a cycle of references stops here. */
const MAX_ITERATE_DEPTH = 3;
/** Included resources per search; more would make one page unboundedly large. */
const MAX_INCLUDED = 1000;
const ID_CHUNK = 500;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}

const keyOf = (r: Resource): string => `${r.resourceType}/${r.id}`;

/** Current, non-deleted resources by type and ids. */
async function loadResources(m: Queryable, d: Dialect, byType: Map<string, Set<string>>): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const [type, ids] of byType) {
    for (const part of chunks([...ids])) {
      const rows = await select<{ content: unknown }>(
        m,
        d,
        sql`SELECT content FROM resource WHERE resource_type = ${type} AND deleted = 0 AND id IN (${list(part)}) ORDER BY id`,
      );
      out.push(...rows.map((r) => decodeContent(r.content)));
    }
  }
  return out;
}

function addTo(map: Map<string, Set<string>>, type: string, id: string): void {
  let set = map.get(type);
  if (!set) map.set(type, (set = new Set()));
  set.add(id);
}

/** References followed from `from` by _include targets: (type, id) of the targets. */
async function includeRefs(
  m: Queryable,
  d: Dialect,
  inc: IncludeTarget,
  from: Resource[],
): Promise<Map<string, Set<string>>> {
  const refs = new Map<string, Set<string>>();
  const ids = from.filter((r) => r.resourceType === inc.resourceType).map((r) => r.id!);
  for (const part of chunks(ids)) {
    const conds: Frag[] = [
      sql`resource_type = ${inc.resourceType} AND code = ${inc.param.code} AND target_id IS NOT NULL AND resource_id IN (${list(part)})`,
    ];
    if (inc.targetType) conds.push(sql`target_type = ${inc.targetType}`);
    const rows = await select<{ target_type: string; target_id: string }>(
      m,
      d,
      sql`SELECT DISTINCT target_type, target_id FROM search_reference WHERE ${and(conds)}`,
    );
    for (const r of rows) if (r.target_type) addTo(refs, r.target_type, r.target_id);
  }
  return refs;
}

/** Resources of inc.resourceType whose inc.param references one of `to` (_revinclude). */
async function revincludeRefs(
  m: Queryable,
  d: Dialect,
  inc: IncludeTarget,
  to: Resource[],
): Promise<Map<string, Set<string>>> {
  const refs = new Map<string, Set<string>>();
  const byType = new Map<string, string[]>();
  for (const r of to) {
    if (inc.targetType && r.resourceType !== inc.targetType) continue;
    byType.set(r.resourceType, [...(byType.get(r.resourceType) ?? []), r.id!]);
  }
  for (const [type, ids] of byType) {
    for (const part of chunks(ids)) {
      const rows = await select<{ resource_id: string }>(
        m,
        d,
        sql`SELECT DISTINCT resource_id FROM search_reference WHERE resource_type = ${inc.resourceType}
            AND code = ${inc.param.code} AND target_type = ${type} AND target_id IN (${list(part)})`,
      );
      for (const r of rows) addTo(refs, inc.resourceType, r.resource_id);
    }
  }
  return refs;
}

/** Follows _include and _revinclude from the matches; `:iterate` targets are applied again to what they added. */
export async function loadIncluded(
  m: Queryable,
  d: Dialect,
  request: SearchRequest,
  matches: Resource[],
): Promise<Resource[]> {
  const seen = new Set(matches.map(keyOf));
  const included: Resource[] = [];
  let frontier = matches;
  for (let depth = 0; depth <= MAX_ITERATE_DEPTH && frontier.length > 0; depth++) {
    const includes = request.include.filter((i) => depth === 0 || i.iterate);
    const revincludes = request.revinclude.filter((i) => depth === 0 || i.iterate);
    const wanted = new Map<string, Set<string>>();
    const merge = (refs: Map<string, Set<string>>): void => {
      for (const [type, ids] of refs) for (const id of ids) if (!seen.has(`${type}/${id}`)) addTo(wanted, type, id);
    };
    for (const inc of includes) merge(await includeRefs(m, d, inc, frontier));
    for (const inc of revincludes) merge(await revincludeRefs(m, d, inc, frontier));
    const added = (await loadResources(m, d, wanted)).slice(0, MAX_INCLUDED - included.length);
    for (const r of added) seen.add(keyOf(r));
    included.push(...added);
    if (included.length >= MAX_INCLUDED) break;
    frontier = added;
  }
  return included;
}

/** Runs a search: page of matches in order, included resources, total and hasMore. */
export async function runSearch<T extends Resource>(
  m: Queryable,
  d: Dialect,
  request: SearchRequest,
  now: number,
): Promise<SearchResult<T>> {
  const { from, where } = searchQuery(request, now);
  const warnings = [...(request.warnings ?? [])];
  const countOnly = request.summary === 'count';
  const wantTotal = countOnly || request.total !== 'none';
  const total = wantTotal
    ? num((await select<{ n: unknown }>(m, d, sql`SELECT COUNT(*) AS n FROM ${from} WHERE ${where}`))[0]?.n ?? 0)
    : undefined;
  const count = Math.max(0, Math.floor(request.count));
  const offset = Math.max(0, Math.floor(request.offset));
  if (countOnly || count === 0) {
    return { resources: [], included: [], total, hasMore: total !== undefined && total > offset, warnings };
  }
  // A page by position reads from its place on (backwards for `before`, then flips the page back into sort order).
  const keyset = keysetCondition(request);
  const reverse = keysetReverseOrder(request);
  const rows = await select<{ content: unknown }>(
    m,
    d,
    sql`SELECT r.content FROM ${from} WHERE ${keyset ? and([where, keyset]) : where}
        ORDER BY ${reverse ?? searchOrder(request.sort)} LIMIT ${count + 1} OFFSET ${offset}`,
  );
  const page = rows.slice(0, count);
  if (reverse) page.reverse();
  const resources = page.map((r) => decodeContent<T>(r.content));
  const included =
    request.include.length + request.revinclude.length > 0 ? await loadIncluded(m, d, request, resources) : [];
  return { resources, included, total, hasMore: rows.length > count, warnings };
}
