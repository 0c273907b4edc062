// SearchRequest -> SQL: each filter becomes `alias.id [NOT] IN (SELECT resource_id FROM <index table> ...)`, so
// the planner drives from the index tables; values of a filter are ORed, filters ANDed. Chained parameters nest a
// subquery on the referenced type. `_id` and `_lastUpdated` read the resource row itself. FHIR R4 search.html.
import { badRequest } from '../fhir/outcomes.js';
import { isImplicitSystem } from '../fhir/search/implicit-system.js';
import { keysetOrder } from '../fhir/search/keyset.js';
import type { SearchFilter, SearchParamType, SearchRequest, SearchValue, SortRule } from '../fhir/search/types.js';
import { INDEX_TABLES } from './migrations/store-schema-ddl.js';
import { and, escapeLike, type Frag, join, list, or, raw, sql } from './sql.js';
import {
  dateMatch,
  numberMatch,
  quantityMatch,
  referenceMatch,
  stringMatch,
  tokenMatch,
  uriMatch,
} from './search-values.js';

/** Alias allocation for nested subqueries. */
interface Ctx {
  next: number;
  now: number;
}

const TABLE_OF: Partial<Record<SearchParamType, string>> = {
  string: INDEX_TABLES.string,
  token: INDEX_TABLES.token,
  reference: INDEX_TABLES.reference,
  date: INDEX_TABLES.date,
  number: INDEX_TABLES.number,
  quantity: INDEX_TABLES.quantity,
  uri: INDEX_TABLES.uri,
  composite: INDEX_TABLES.composite,
};

function tableOf(type: SearchParamType, code: string): string {
  const table = TABLE_OF[type];
  if (!table) throw badRequest(`search parameter ${code} of type ${type} is not supported`, code);
  return table;
}

function wrongKind(code: string, v: SearchValue): never {
  throw badRequest(`search parameter ${code} does not accept a ${v.kind} value`, code);
}

/** The match of one value against the index row alias x of the filter's table. */
function valueMatch(f: SearchFilter, x: string, v: SearchValue, ctx: Ctx): Frag {
  const { code, type } = f.param;
  switch (type) {
    case 'string':
      return v.kind === 'string' ? stringMatch(`${x}.value`, `${x}.exact`, v, f.modifier) : wrongKind(code, v);
    case 'token': {
      if (v.kind !== 'token') wrongKind(code, v);
      const implicit = v.system && isImplicitSystem(f.param, v.system) ? v.system : undefined;
      return tokenMatch(`${x}.system`, `${x}.value`, `${x}.text`, v, f.modifier, implicit);
    }
    case 'reference': {
      if (v.kind !== 'reference') wrongKind(code, v);
      const only = f.targetType ?? (f.param.target?.length === 1 ? f.param.target[0] : undefined);
      return referenceMatch({ targetType: `${x}.target_type`, targetId: `${x}.target_id`, url: `${x}.url` }, v, only);
    }
    case 'date':
      return v.kind === 'date'
        ? dateMatch({ start: `${x}.start_ms`, end: `${x}.end_ms` }, v, ctx.now)
        : wrongKind(code, v);
    case 'number':
      return v.kind === 'number' ? numberMatch(`${x}.value`, v) : wrongKind(code, v);
    case 'quantity':
      return v.kind === 'quantity' ? quantityMatch(`${x}.value`, `${x}.system`, `${x}.unit`, v) : wrongKind(code, v);
    case 'uri':
      return v.kind === 'uri' ? uriMatch(`${x}.value`, v, f.modifier) : wrongKind(code, v);
    case 'composite':
      return v.kind === 'composite' ? compositeMatch(f, x, v.parts, ctx) : wrongKind(code, v);
    default:
      throw badRequest(`search parameter ${code} of type ${type} is not supported`, code);
  }
}

/** A reference part, indexed as the text `Type/id` or the absolute URL (index-values.ts compositeParts). */
function compositeReferenceMatch(col: string, v: Extract<SearchValue, { kind: 'reference' }>): Frag {
  if (v.id === undefined) return sql`${raw(col)} = ${v.url ?? ''}`;
  if (v.resourceType !== undefined) return sql`${raw(col)} = ${`${v.resourceType}/${v.id}`}`;
  return sql`${raw(col)} LIKE ${`%/${escapeLike(v.id)}`} ESCAPE '\\'`;
}

/** A composite value: part n against the p<n>_ columns, read as the component's type. */
function compositeMatch(f: SearchFilter, x: string, parts: SearchValue[], ctx: Ctx): Frag {
  const components = f.param.components ?? [];
  if (parts.length !== components.length || parts.length > 2) {
    throw badRequest(`composite parameter ${f.param.code} needs ${components.length} parts joined by $`, f.param.code);
  }
  return and(
    parts.map((part, i) => {
      const p = `${x}.p${i + 1}`;
      const component = components[i]!;
      if (part.kind === 'token' && component.type === 'token')
        return tokenMatch(`${p}_system`, `${p}_value`, undefined, part);
      if (part.kind === 'quantity' && component.type === 'quantity') {
        return quantityMatch(`${p}_number`, `${p}_system`, `${p}_value`, part);
      }
      if (part.kind === 'number') return numberMatch(`${p}_number`, part);
      if (part.kind === 'date') return dateMatch({ start: `${p}_start`, end: `${p}_end` }, part, ctx.now);
      if (part.kind === 'string') return stringMatch(`${p}_value`, undefined, part);
      if (part.kind === 'reference') return compositeReferenceMatch(`${p}_value`, part);
      return wrongKind(`${f.param.code} (part ${i + 1})`, part);
    }),
  );
}

/** Modifiers each parameter type supports (besides :missing, and :not which negates any type). */
const MODIFIERS: Partial<Record<SearchParamType, string[]>> = {
  string: ['exact', 'contains'],
  token: ['text'],
  reference: ['type', 'identifier'],
  uri: ['below', 'above'],
};

/** `_id`: tokens compared to the resource id. */
function idCondition(f: SearchFilter, idExpr: string): Frag {
  const ids = f.values.flatMap((v) => (v.kind === 'token' && v.code !== undefined ? [v.code] : []));
  if (ids.length !== f.values.length) throw badRequest('_id takes ids', '_id');
  return sql`${raw(idExpr)} ${raw(f.modifier === 'not' ? 'NOT IN' : 'IN')} (${list(ids)})`;
}

/** `_lastUpdated`: dates against the row's instant, as the range [t, t + 1 ms). */
function lastUpdatedCondition(f: SearchFilter, rowAlias: string, ctx: Ctx): Frag {
  const col = `${rowAlias}.last_updated`;
  return or(
    f.values.map((v) =>
      v.kind === 'date' ? dateMatch({ start: col, end: `(${col} + 1)` }, v, ctx.now) : wrongKind('_lastUpdated', v),
    ),
  );
}

/** What a filter constrains: resources of `resourceType` whose id is `idExpr` (a resource row or an index row). */
export interface FilterTarget {
  resourceType: string;
  idExpr: string;
}

/**
 * Makes a filter the driver: `nested` gives the other filters to check inside its subquery (given its index row
 * alias); `join` returns the bare `SELECT DISTINCT resource_id ...` to join on instead of an `id IN (...)` condition.
 */
interface Inner {
  nested: (x: string) => Frag[];
  join: boolean;
}

/**
 * The target has (or, negated, has no) index row of `code` in `table` matching `extra`. The driving filter is
 * `id IN (SELECT resource_id ...)` so the planner starts from the index table, with the other filters nested in it
 * as correlated EXISTS on its resource_id: candidates are narrowed on the index tables before any resource row is
 * read. Without a driver, filters are correlated EXISTS on the resource row.
 */
function membership(
  m: { table: string; x: string; code: string; target: FilterTarget },
  extra: Frag,
  positive: boolean,
  inner?: Inner,
): Frag {
  const { table, x, code, target } = m;
  const from = raw(`${table} ${x}`);
  const head = sql`${raw(`${x}.resource_type`)} = ${target.resourceType}`;
  if (inner && positive) {
    const more = inner.nested(x);
    const where = and([head, sql`${raw(`${x}.code`)} = ${code}`, extra, ...more]);
    if (inner.join) return sql`SELECT DISTINCT ${raw(`${x}.resource_id`)} FROM ${from} WHERE ${where}`;
    return sql`${raw(target.idExpr)} IN (SELECT ${raw(`${x}.resource_id`)} FROM ${from} WHERE ${where})`;
  }
  const correlated = raw(`${x}.resource_id = ${target.idExpr}`);
  return sql`${raw(positive ? 'EXISTS' : 'NOT EXISTS')} (SELECT 1 FROM ${from} WHERE ${head} AND ${correlated} AND ${raw(`${x}.code`)} = ${code} AND ${extra})`;
}

/** True for filters answered from resource row columns rather than index tables. */
const onRow = (f: SearchFilter): boolean => f.param.code === '_id' || f.param.code === '_lastUpdated';

/**
 * One filter as a condition. `rowAlias` names the resource row (needed by `_lastUpdated`); `inner`, when given,
 * makes this filter the driver (see membership).
 */
export function filterCondition(
  f: SearchFilter,
  target: FilterTarget,
  ctx: Ctx,
  rowAlias?: string,
  inner?: Inner,
): Frag {
  const code = f.param.code;
  const missing = f.modifier === 'missing' ? f.values.find((v) => v.kind === 'missing') : undefined;
  if (f.modifier === 'missing' && !missing) throw badRequest(`${code}:missing takes true or false`, code);
  if (onRow(f) && missing) return raw(missing.missing ? '1 = 0' : '1 = 1');
  if (code === '_id') return idCondition(f, target.idExpr);
  if (code === '_lastUpdated') {
    if (!rowAlias) throw new Error('_lastUpdated needs the resource row');
    return lastUpdatedCondition(f, rowAlias, ctx);
  }
  // `subject:identifier=system|value`: the indexer stores Reference.identifier as token rows of the parameter.
  const byIdentifier = f.modifier === 'identifier' && f.param.type === 'reference';
  const table = byIdentifier ? INDEX_TABLES.token : tableOf(f.param.type, code);
  const x = `x${ctx.next++}`;
  const m = { table, x, code, target };
  if (missing) return membership(m, raw('1 = 1'), !missing.missing, inner);
  if (f.chain) {
    if (f.param.type !== 'reference') throw badRequest(`only reference parameters can be chained, not ${code}`, code);
    const c = `c${ctx.next++}`;
    const type = f.chain.targetType;
    // The chained filter drives its own subquery (no other filters nest in it).
    const cond = filterCondition(f.chain.filter, { resourceType: type, idExpr: `${c}.id` }, ctx, c, {
      nested: () => [],
      join: false,
    });
    const targets = sql`SELECT ${raw(`${c}.id`)} FROM ${raw(`resource ${c}`)} WHERE ${raw(`${c}.resource_type`)} = ${type} AND ${raw(`${c}.deleted`)} = 0 AND ${cond}`;
    return membership(
      m,
      sql`${raw(`${x}.target_type`)} = ${type} AND ${raw(`${x}.target_id`)} IN (${targets})`,
      true,
      inner,
    );
  }
  if (f.values.length === 0) throw badRequest(`search parameter ${code} has no value`, code);
  if (f.modifier && f.modifier !== 'not' && !MODIFIERS[f.param.type]?.includes(f.modifier)) {
    throw badRequest(`modifier :${f.modifier} is not supported on ${f.param.type} parameter ${code}`, code);
  }
  if (byIdentifier) {
    const match = or(
      f.values.map((v) =>
        v.kind === 'token' ? tokenMatch(`${x}.system`, `${x}.value`, undefined, v) : wrongKind(code, v),
      ),
    );
    return membership(m, sql`(${match})`, true, inner);
  }
  const negate = f.modifier === 'not';
  const valueFilter = negate ? { ...f, modifier: undefined } : f;
  const match = or(f.values.map((v) => valueMatch(valueFilter, x, v, ctx)));
  return membership(m, sql`(${match})`, !negate, inner);
}

/** Which filter should drive: references are usually the most selective, ranges the least; negations never. */
function driveRank(f: SearchFilter): number {
  if (f.modifier === 'missing' || f.modifier === 'not' || onRow(f)) return 99;
  const rank: Partial<Record<SearchParamType, number>> = { reference: 1, token: 2, string: 3, uri: 3, composite: 4 };
  return rank[f.param.type] ?? 5;
}

/**
 * FROM and WHERE of a search on the resource row alias r. A reference driver's subquery is joined as a derived table
 * of distinct ids (not `r.id IN (...)`): PostgreSQL then estimates its size well, instead of walking the whole
 * primary key in id order to satisfy `ORDER BY r.id LIMIT n` (400 ms instead of 1 ms over 100,000 Observations).
 */
export function searchQuery(request: SearchRequest, now: number): { from: Frag; where: Frag } {
  const ctx: Ctx = { next: 0, now };
  const type = request.resourceType;
  const rowTarget: FilterTarget = { resourceType: type, idExpr: 'r.id' };
  const head = [sql`r.resource_type = ${type}`, raw('r.deleted = 0')];
  const filters = request.filters;
  // With an _id filter the resource rows are already few: everything else is checked on them.
  const hasIds = filters.some((f) => f.param.code === '_id' && f.modifier !== 'not' && f.modifier !== 'missing');
  const driver = hasIds
    ? undefined
    : filters.reduce<SearchFilter | undefined>(
        (best, f) => (driveRank(f) < 99 && (!best || driveRank(f) < driveRank(best)) ? f : best),
        undefined,
      );
  if (!driver) {
    return {
      from: raw('resource r'),
      where: and([...head, ...filters.map((f) => filterCondition(f, rowTarget, ctx, 'r'))]),
    };
  }
  const rowFilters = filters.filter((f) => f !== driver && onRow(f));
  const nested = filters.filter((f) => f !== driver && !onRow(f));
  const inner: Inner = {
    nested: (x) => nested.map((f) => filterCondition(f, { resourceType: type, idExpr: `${x}.resource_id` }, ctx)),
    // A reference names one resource, so its matches are few: join them. A token or range may match most rows of
    // the type; then `r.id IN (...)` lets PostgreSQL walk the primary key and stop at the page's end.
    join: driver.param.type === 'reference',
  };
  const ids = filterCondition(driver, rowTarget, ctx, 'r', inner);
  if (!inner.join) {
    return {
      from: raw('resource r'),
      where: and([...head, ids, ...rowFilters.map((f) => filterCondition(f, rowTarget, ctx, 'r'))]),
    };
  }
  return {
    from: sql`resource r JOIN (${ids}) d ON r.id = d.resource_id`,
    where: and([...head, ...rowFilters.map((f) => filterCondition(f, rowTarget, ctx, 'r'))]),
  };
}

const SORT_COLUMN: Partial<Record<SearchParamType, [string, string]>> = {
  // [ascending: MIN of, descending: MAX of]
  string: ['value', 'value'],
  token: ['value', 'value'],
  reference: ['target_id', 'target_id'],
  date: ['start_ms', 'end_ms'],
  number: ['value', 'value'],
  quantity: ['value', 'value'],
  uri: ['value', 'value'],
};

// Tokens whose codes have a defined order sort by it, not alphabetically: request-priority
// (http://hl7.org/fhir/R4/valueset-request-priority.html) so `_sort=-priority` puts stat first on a worklist.
const ORDERED_TOKENS: Record<string, readonly string[]> = { priority: ['routine', 'urgent', 'asap', 'stat'] };

function sortKey(rule: SortRule): Frag {
  const { code, type } = rule.param;
  if (code === '_id') return raw('r.id');
  if (code === '_lastUpdated') return raw('r.last_updated');
  const cols = SORT_COLUMN[type];
  if (!cols) throw badRequest(`cannot sort by ${code} (type ${type})`, '_sort');
  const [fn, col] = rule.descending ? ['MAX', cols[1]] : ['MIN', cols[0]];
  const order = type === 'token' ? ORDERED_TOKENS[code] : undefined;
  const value = order ? `CASE s.${col} ${order.map((c, i) => `WHEN '${c}' THEN ${i}`).join(' ')} END` : `s.${col}`;
  return sql`(SELECT ${raw(`${fn}(${value})`)} FROM ${raw(tableOf(type, code))} s WHERE s.resource_type = r.resource_type AND s.resource_id = r.id AND s.code = ${code})`;
}

/** ORDER BY for `_sort`: each key by the per-resource min (ascending) or max (descending); id breaks ties. */
export function searchOrder(sort: SortRule[]): Frag {
  const keys: Frag[] = [];
  for (const rule of sort) {
    // ids are unique: nothing after an _id key can change the order.
    if (rule.param.code === '_id') return join([...keys, raw(`r.id ${rule.descending ? 'DESC' : 'ASC'}`)], ', ');
    keys.push(sql`${sortKey(rule)} ${raw(rule.descending ? 'DESC' : 'ASC')} NULLS LAST`);
  }
  return join([...keys, raw('r.id ASC')], ', ');
}

/**
 * Paging by position (fhir/search/keyset.ts): the matches past `after`, or short of `before`, in a sort led by
 * `_lastUpdated`; undefined when the request pages by offset. The lone bound on last_updated keeps it a range scan.
 */
export function keysetCondition(request: SearchRequest): Frag | undefined {
  const order = keysetOrder(request.sort);
  const key = request.after ?? request.before;
  if (!order || !key) return undefined;
  const forward = request.after !== undefined;
  const [lu, bound] = order.lastUpdatedDesc === forward ? ['<', '<='] : ['>', '>='];
  const id = order.idDesc === forward ? '<' : '>';
  return sql`r.last_updated ${raw(bound)} ${key.lastUpdated} AND (r.last_updated ${raw(lu)} ${key.lastUpdated}
    OR r.id ${raw(id)} ${key.id})`;
}

/** ORDER BY of a keyset page read backwards (`before`): the sort reversed, the page flipped back afterwards. */
export function keysetReverseOrder(request: SearchRequest): Frag | undefined {
  const order = keysetOrder(request.sort);
  if (!order || request.before === undefined || request.after !== undefined) return undefined;
  const dir = (desc: boolean): string => (desc ? 'ASC' : 'DESC');
  return raw(`r.last_updated ${dir(order.lastUpdatedDesc)}, r.id ${dir(order.idDesc)}`);
}
