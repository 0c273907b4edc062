// Conditions matching one search value against index columns, per value kind. FHIR R4 search.html:
// #prefix (ranges: the search value [s, e) against the indexed range [start, end)), #string, #token, #uri, #quantity.
import { badRequest } from '../fhir/outcomes.js';
import type { Modifier, Prefix, SearchValue } from '../fhir/search/types.js';
import { normalizeString } from './normalize.js';
import { indexedPrefix } from './storable.js';
import { and, clampInstant, escapeLike, type Frag, or, prefixUpperBound, raw, sql } from './sql.js';

type Of<K extends SearchValue['kind']> = Extract<SearchValue, { kind: K }>;

/** Column names (SQL identifiers chosen by code) for the parts of a value. */
export interface RangeCols {
  start: string;
  end: string;
}

/** Date (and any range) prefixes over half-open ranges; `now` anchors `ap` (approximately: 10% of the distance). */
export function rangeMatch(cols: RangeCols, prefix: Prefix, s: number, e: number, now: number): Frag {
  const start = raw(cols.start);
  const end = raw(cols.end);
  const contained = sql`${start} >= ${s} AND ${end} <= ${e}`;
  switch (prefix) {
    case 'eq':
      return contained;
    case 'ne':
      return sql`NOT (${contained})`;
    case 'gt':
      return sql`${end} > ${e}`;
    case 'lt':
      return sql`${start} < ${s}`;
    case 'ge':
      return or([sql`${end} > ${e}`, contained]);
    case 'le':
      return or([sql`${start} < ${s}`, contained]);
    case 'sa':
      return sql`${start} >= ${e}`;
    case 'eb':
      return sql`${end} <= ${s}`;
    case 'ap': {
      const delta = Math.max(Math.round(Math.abs(now - s) * 0.1), e - s);
      return sql`${start} < ${clampInstant(e + delta)} AND ${end} > ${clampInstant(s - delta)}`;
    }
  }
}

/** Date value against a [start, end) pair of columns. */
export function dateMatch(cols: RangeCols, v: Of<'date'>, now: number): Frag {
  return rangeMatch(cols, v.prefix, clampInstant(v.start), clampInstant(v.end), now);
}

/** Number or quantity value (with its implicit precision range [lower, upper)) against one numeric column. */
export function numberMatch(col: string, v: { prefix: Prefix; value: number; lower: number; upper: number }): Frag {
  const c = raw(col);
  switch (v.prefix) {
    case 'eq':
      return sql`${c} >= ${v.lower} AND ${c} < ${v.upper}`;
    case 'ne':
      return sql`NOT (${c} >= ${v.lower} AND ${c} < ${v.upper})`;
    case 'gt':
    case 'sa':
      return sql`${c} > ${v.value}`;
    case 'lt':
    case 'eb':
      return sql`${c} < ${v.value}`;
    case 'ge':
      return sql`${c} >= ${v.value}`;
    case 'le':
      return sql`${c} <= ${v.value}`;
    case 'ap': {
      const delta = Math.abs(v.value) * 0.1;
      return sql`${c} >= ${v.value - delta} AND ${c} <= ${v.value + delta}`;
    }
  }
}

/** Quantity: the number plus `system|code` on the system and unit columns. */
export function quantityMatch(valueCol: string, systemCol: string, unitCol: string, v: Of<'quantity'>): Frag {
  const conds = [numberMatch(valueCol, v)];
  if (v.system) conds.push(sql`${raw(systemCol)} = ${v.system}`);
  if (v.code) conds.push(sql`${raw(unitCol)} = ${v.code}`);
  return and(conds);
}

/** Prefix match on a column holding normalised text, as an index-friendly range. */
function startsWith(col: string, prefix: string): Frag {
  const c = raw(col);
  return sql`${c} >= ${prefix} AND ${c} < ${prefixUpperBound(prefix)}`;
}

/** String: default starts-with on the normalised value, `:exact` on the value as written, `:contains`. */
export function stringMatch(
  valueCol: string,
  exactCol: string | undefined,
  v: Of<'string'>,
  modifier?: Modifier,
): Frag {
  // Compared as indexed: a value longer than the index holds is searched by its indexed prefix.
  const norm = indexedPrefix(normalizeString(v.value));
  if (modifier === 'exact') {
    if (!exactCol) return sql`${raw(valueCol)} = ${norm}`;
    return sql`${raw(valueCol)} = ${norm} AND ${raw(exactCol)} = ${v.value}`;
  }
  if (modifier === 'contains') return sql`${raw(valueCol)} LIKE ${`%${escapeLike(norm)}%`} ESCAPE '\\'`;
  if (modifier !== undefined) throw badRequest(`modifier :${modifier} is not supported on string parameters`);
  return startsWith(valueCol, norm);
}

/**
 * Token: `code`, `system|code`, `|code` (no system), `system|`; `:text` against the normalised display text.
 * `implicitSystem`: the system the parameter's codes have without writing it (fhir/search/implicit-system.ts); a
 * search naming it also matches the rows indexed without a system.
 */
export function tokenMatch(
  systemCol: string,
  valueCol: string,
  textCol: string | undefined,
  v: Of<'token'>,
  modifier?: Modifier,
  implicitSystem?: string,
): Frag {
  if (modifier === 'text') {
    const text = normalizeString(v.text ?? v.code ?? '');
    if (!textCol) throw badRequest('modifier :text is not supported here');
    return sql`${raw(textCol)} LIKE ${`%${escapeLike(text)}%`} ESCAPE '\\'`;
  }
  const conds: Frag[] = [];
  if (v.code !== undefined) conds.push(sql`${raw(valueCol)} = ${v.code}`);
  if (v.system === '') conds.push(raw(`${systemCol} IS NULL`));
  else if (v.system !== undefined && v.system === implicitSystem) {
    conds.push(sql`(${raw(systemCol)} = ${v.system} OR ${raw(`${systemCol} IS NULL`)})`);
  } else if (v.system !== undefined) conds.push(sql`${raw(systemCol)} = ${v.system}`);
  if (conds.length === 0) throw badRequest('a token search value needs a code or a system');
  return and(conds);
}

/**
 * A URL against an indexed URL that may be a canonical with a version (`url|version`, references.html#canonical):
 * the URL as searched, or that URL at any version. `url|1.0` therefore finds only that version, and `url` every
 * version (search.html#versions); a URL never holds a `|` of its own (RFC 3986).
 */
function canonicalMatch(col: string, url: string): Frag {
  return sql`(${raw(col)} = ${url} OR (${startsWith(col, `${url}|`)}))`;
}

/** URI: equality (a canonical at any version, see canonicalMatch), `:below` (prefix), `:above` (the indexed value
 * is a prefix of the searched one). */
export function uriMatch(col: string, v: Of<'uri'>, modifier?: Modifier): Frag {
  if (modifier === 'below') return startsWith(col, v.value);
  if (modifier === 'above') return sql`substr(${v.value}, 1, length(${raw(col)})) = ${raw(col)}`;
  if (modifier !== undefined) throw badRequest(`modifier :${modifier} is not supported on uri parameters`);
  return canonicalMatch(col, v.value);
}

/** Reference columns of search_reference (or a composite's). */
export interface ReferenceCols {
  targetType: string;
  targetId: string;
  url: string;
}

/** Reference: `Type/id`, a bare id (narrowed to `onlyType` when known) or an absolute URL (or canonical). */
export function referenceMatch(cols: ReferenceCols, v: Of<'reference'>, onlyType: string | undefined): Frag {
  if (v.url !== undefined && v.id === undefined) return canonicalMatch(cols.url, v.url);
  if (v.id === undefined) throw badRequest('a reference search value needs an id or a URL');
  const type = v.resourceType ?? onlyType;
  if (v.resourceType && onlyType && v.resourceType !== onlyType) return raw('1 = 0');
  const conds = [sql`${raw(cols.targetId)} = ${v.id}`];
  if (type) conds.push(sql`${raw(cols.targetType)} = ${type}`);
  return and(conds);
}
