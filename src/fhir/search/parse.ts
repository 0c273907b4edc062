// A search query string -> SearchRequest (filters ANDed, values within a filter ORed) plus the result controls.
// Unknown parameters are warnings (lenient) or a 400 (Prefer: handling=strict); unsupported modifiers on known
// parameters and invalid values are always a 400 naming the parameter.
// FHIR R4 search: http://hl7.org/fhir/R4/search.html
import { badRequest, notFound } from '../outcomes.js';
import {
  parseCompositeValue,
  parseDateValue,
  parseMissingValue,
  parseNumberValue,
  parseQuantityValue,
  parseReferenceValue,
  parseTokenValue,
  splitEscaped,
  SUPPORTED_MODIFIERS,
  unescapeValue,
} from './parse-values.js';
import { keysetOrder, parseSearchKey } from './keyset.js';
import { getSearchParam, isKnownResourceType } from './registry.js';
import type {
  IncludeTarget,
  Modifier,
  SearchFilter,
  SearchParamDef,
  SearchRequest,
  SearchValue,
  SortRule,
} from './types.js';

export { formatSearchRequest } from './format.js';

export interface ParseOptions {
  /** Prefer: handling=strict: unknown parameters are a 400 instead of a warning. */
  strict: boolean;
  /** Page size when `_count` is absent. */
  defaultCount: number;
  /** Upper bound for `_count`. */
  maxCount: number;
  /** This server's base URL: absolute references on it are read as `Type/id`. */
  baseUrl?: string;
}

/** Parameters handled by the HTTP layer, never warned about. */
const TRANSPORT_PARAMS: ReadonlySet<string> = new Set(['_format', '_pretty']);
const SUMMARY = new Set(['true', 'false', 'count', 'text', 'data']);
const TOTAL = new Set(['none', 'estimate', 'accurate']);
const KNOWN_MODIFIERS: ReadonlySet<string> = new Set<Modifier>([
  'exact',
  'contains',
  'not',
  'text',
  'missing',
  'above',
  'below',
  'in',
  'not-in',
  'of-type',
  'identifier',
  'type',
]);

/** Collects problems that are warnings in lenient mode and 400s in strict mode. */
class Problems {
  readonly warnings: string[] = [];
  constructor(private readonly strict: boolean) {}

  report(message: string, param: string): void {
    if (this.strict) throw badRequest(message, param);
    this.warnings.push(message);
  }
}

interface ParsedKey {
  code: string;
  modifier?: string;
  chain?: string;
}

/** `code[:modifier][.chained[:modifier]]`. */
function parseKey(key: string): ParsedKey {
  const dot = key.indexOf('.');
  const head = dot < 0 ? key : key.slice(0, dot);
  const colon = head.indexOf(':');
  const parsed: ParsedKey = { code: colon < 0 ? head : head.slice(0, colon) };
  if (colon >= 0) parsed.modifier = head.slice(colon + 1);
  if (dot >= 0) parsed.chain = key.slice(dot + 1);
  return parsed;
}

/** Parses the comma-separated values of one parameter occurrence for a definition and modifier. */
function parseValues(
  def: SearchParamDef,
  modifier: Modifier | undefined,
  targetType: string | undefined,
  raw: string[],
  key: string,
  options: ParseOptions,
): SearchValue[] {
  return raw.map((text): SearchValue => {
    if (modifier === 'missing') return parseMissingValue(text, key);
    if (def.type === 'reference' && modifier === 'identifier') return parseTokenValue(text);
    switch (def.type) {
      case 'string':
        return { kind: 'string', value: unescapeValue(text) };
      case 'token':
        return modifier === 'text' ? { kind: 'token', text: unescapeValue(text) } : parseTokenValue(text);
      case 'reference':
        return parseReferenceValue(text, key, targetType, options.baseUrl);
      case 'date':
        return parseDateValue(text, key);
      case 'number':
        return parseNumberValue(text, key);
      case 'quantity':
        return parseQuantityValue(text, key);
      case 'uri':
        return { kind: 'uri', value: unescapeValue(text) };
      case 'composite':
        return parseCompositeValue(text, key, def.components ?? []);
      case 'special':
        throw badRequest(`Search parameter ${key} is not supported`, key);
    }
  });
}

/** The type a chain goes through: `:Type`, the only target, or the only target that defines the chained code. */
function chainTarget(def: SearchParamDef, explicit: string | undefined, chainedCode: string): string | undefined {
  if (explicit) return explicit;
  const targets = def.target ?? [];
  if (targets.length === 1) return targets[0];
  const candidates = targets.filter((t) => getSearchParam(t, chainedCode) !== undefined);
  return candidates.length === 1 ? candidates[0] : undefined;
}

/** One parameter occurrence -> a filter, or undefined (with a warning) when it is ignored. */
function parseFilter(
  resourceType: string,
  key: string,
  raw: string[],
  options: ParseOptions,
  problems: Problems,
  allowChain: boolean,
): SearchFilter | undefined {
  const parsed = parseKey(key);
  const def = getSearchParam(resourceType, parsed.code);
  if (!def) {
    problems.report(`Unknown search parameter '${parsed.code}' for ${resourceType}`, key);
    return undefined;
  }
  let modifier: Modifier | undefined;
  let targetType: string | undefined;
  if (parsed.modifier !== undefined) {
    if (def.type === 'reference' && isKnownResourceType(parsed.modifier)) {
      modifier = 'type';
      targetType = parsed.modifier;
    } else if (
      KNOWN_MODIFIERS.has(parsed.modifier) &&
      parsed.modifier !== 'type' &&
      (parsed.modifier === 'missing' || SUPPORTED_MODIFIERS[def.type].includes(parsed.modifier as Modifier))
    ) {
      modifier = parsed.modifier as Modifier;
    } else {
      // A known parameter with a modifier we do not support is rejected whatever the handling: dropping it would
      // widen the search to more than was asked for (search.html#modifiers, R4 3.1.1.4.4).
      throw badRequest(`Unsupported modifier ':${parsed.modifier}' on ${def.type} parameter '${parsed.code}'`, key);
    }
  }
  if (def.type === 'special') {
    problems.report(`Search parameter '${parsed.code}' (special) is not supported`, key);
    return undefined;
  }
  if (parsed.chain !== undefined) {
    if (!allowChain || def.type !== 'reference' || (modifier !== undefined && modifier !== 'type')) {
      problems.report(`Chaining is only supported one level deep on reference parameters: '${key}'`, key);
      return undefined;
    }
    const chainedCode = parseKey(parsed.chain).code;
    const target = chainTarget(def, targetType, chainedCode);
    if (!target) {
      throw badRequest(
        `Chained parameter '${key}' is ambiguous: name the type, e.g. ${parsed.code}:Patient.${chainedCode}`,
        key,
      );
    }
    const inner = parseFilter(target, parsed.chain, raw, options, problems, false);
    if (!inner) return undefined;
    return { param: def, chain: { targetType: target, filter: inner }, values: [] };
  }
  const filter: SearchFilter = { param: def, values: parseValues(def, modifier, targetType, raw, key, options) };
  if (modifier !== undefined) filter.modifier = modifier;
  if (targetType !== undefined) filter.targetType = targetType;
  return filter;
}

/** Largest _offset (and _page x _count): beyond it JavaScript numbers lose integers; SQL's bigint holds it. */
const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

function parseCount(text: string, name: string): number {
  if (!/^\d+$/.test(text)) throw badRequest(`${name} must be a non-negative integer, not '${text}'`, name);
  const n = Number(text);
  if (n > MAX_OFFSET) throw badRequest(`${name} must be at most ${MAX_OFFSET}`, name);
  return n;
}

/** `_sort=a,-b`: keys by known, sortable parameters (search.html#sort). */
function parseSort(resourceType: string, text: string, problems: Problems): SortRule[] {
  const rules: SortRule[] = [];
  for (const item of text.split(',')) {
    const key = item.trim();
    if (key === '') continue;
    const descending = key.startsWith('-');
    const code = descending ? key.slice(1) : key;
    const def = getSearchParam(resourceType, code);
    if (!def || def.type === 'composite' || def.type === 'special') {
      problems.report(`Cannot sort ${resourceType} by '${code}'`, '_sort');
      continue;
    }
    rules.push({ param: def, descending });
  }
  return rules;
}

/** `_include=Type:param[:target]` / `_revinclude=...`, with `:iterate` (or R3 `:recurse`) on the key. */
function parseInclude(
  resourceType: string,
  name: '_include' | '_revinclude',
  iterate: boolean,
  text: string,
  problems: Problems,
): IncludeTarget | undefined {
  const [type = '', code = '', target, ...extra] = text.split(':');
  if (code === '*') {
    problems.report(`${name}=${text}: wildcard includes are not supported`, name);
    return undefined;
  }
  const def = isKnownResourceType(type) ? getSearchParam(type, code) : undefined;
  if (!def || def.type !== 'reference' || extra.length > 0 || (target !== undefined && !isKnownResourceType(target))) {
    problems.report(`Invalid ${name} '${text}': expected Type:reference-parameter[:TargetType]`, name);
    return undefined;
  }
  if (name === '_include' && !iterate && type !== resourceType) {
    problems.report(`${name}=${text} does not start from ${resourceType} (use ${name}:iterate)`, name);
    return undefined;
  }
  const inc: IncludeTarget = { resourceType: type, param: def, iterate };
  if (target !== undefined) inc.targetType = target;
  return inc;
}

/** `_elements=a,b`: element names (a `Type.` prefix is accepted and dropped). */
function parseElements(resourceType: string, text: string): string[] {
  const out: string[] = [];
  for (const item of text.split(',')) {
    const name = item.trim().replace(new RegExp(`^${resourceType}\\.`), '');
    if (name === '') continue;
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw badRequest(`Invalid element '${item}' in _elements`, '_elements');
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** Controls that are not search parameters: _count, _offset, _page, _sort, _include, _summary, ... */
function applyControl(
  req: SearchRequest,
  state: { page?: number },
  name: string,
  modifier: string | undefined,
  value: string,
  options: ParseOptions,
  problems: Problems,
): boolean {
  switch (name) {
    case '_count':
      req.count = Math.min(parseCount(value, '_count'), options.maxCount);
      return true;
    case '_offset':
      req.offset = parseCount(value, '_offset');
      return true;
    case '_page': {
      const page = parseCount(value, '_page');
      if (page < 1) throw badRequest('_page starts at 1', '_page');
      state.page = page;
      return true;
    }
    case '_sort':
      req.sort.push(...parseSort(req.resourceType, value, problems));
      return true;
    case '_include':
    case '_revinclude': {
      if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
        problems.report(`Unsupported modifier ':${modifier}' on ${name}`, name);
        return true;
      }
      const inc = parseInclude(req.resourceType, name, modifier !== undefined, value, problems);
      if (inc) (name === '_include' ? req.include : req.revinclude).push(inc);
      return true;
    }
    case '_summary':
      if (!SUMMARY.has(value)) throw badRequest(`_summary must be one of true, false, count, text, data`, '_summary');
      req.summary = value as NonNullable<SearchRequest['summary']>;
      return true;
    case '_elements':
      req.elements = [...(req.elements ?? []), ...parseElements(req.resourceType, value)];
      return true;
    case '_after':
      req.after = parseSearchKey(value, name);
      return true;
    case '_before':
      req.before = parseSearchKey(value, name);
      return true;
    case '_total':
      if (!TOTAL.has(value)) throw badRequest(`_total must be one of none, estimate, accurate`, '_total');
      req.total = value as SearchRequest['total'];
      return true;
    default:
      return false;
  }
}

function entriesOf(params: URLSearchParams | Iterable<readonly [string, string]>): [string, string][] {
  return [...params].map(([k, v]) => [k, v]);
}

/**
 * Parses `[type]?query` into a SearchRequest (http://hl7.org/fhir/R4/search.html). Repeated parameters are ANDed,
 * comma-separated values ORed. Throws 404 for an unknown type, 400 for invalid values and unsupported modifiers,
 * and, in strict mode, 400 for unknown parameters (which are otherwise returned in `warnings`).
 */
export function parseSearchRequest(
  resourceType: string,
  params: URLSearchParams | Iterable<readonly [string, string]>,
  options: ParseOptions,
): SearchRequest {
  if (!isKnownResourceType(resourceType)) throw notFound(`Unknown resource type '${resourceType}'`);
  const problems = new Problems(options.strict);
  const req: SearchRequest = {
    resourceType,
    filters: [],
    sort: [],
    count: Math.min(options.defaultCount, options.maxCount),
    offset: 0,
    total: 'none',
    include: [],
    revinclude: [],
  };
  const state: { page?: number } = {};
  for (const [key, value] of entriesOf(params)) {
    // No database compares U+0000 (PostgreSQL refuses it in text); FHIR strings cannot hold it either.
    if (key.includes('\u0000')) throw badRequest('A search parameter name contains a NUL character');
    if (value.includes('\u0000')) throw badRequest(`The value of ${key} contains a NUL character`, key);
    if (TRANSPORT_PARAMS.has(key)) continue;
    const { code, modifier } = parseKey(key);
    if (code.startsWith('_') && applyControl(req, state, code, modifier, value, options, problems)) continue;
    // Empty values are ignored (search.html#2.1.1.1: a parameter with no value is not a criterion).
    const raw = splitEscaped(value, ',').filter((v) => v !== '');
    if (raw.length === 0) continue;
    const filter = parseFilter(resourceType, key, raw, options, problems, true);
    if (filter) req.filters.push(filter);
  }
  if (state.page !== undefined) {
    req.offset = (state.page - 1) * req.count;
    if (req.offset > MAX_OFFSET) throw badRequest(`_page ${state.page} of ${req.count} is past the last page`, '_page');
  }
  if ((req.after !== undefined || req.before !== undefined) && !keysetOrder(req.sort)) {
    const name = req.after !== undefined ? '_after' : '_before';
    throw badRequest(`${name} pages searches sorted by _lastUpdated (then _id) only`, name);
  }
  if (req.after !== undefined && req.before !== undefined) throw badRequest('_after and _before exclude each other');
  req.warnings = problems.warnings;
  return req;
}
