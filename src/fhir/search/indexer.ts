// Write-time search indexing: every search parameter of the resource's type is evaluated with FHIRPath (the
// fhirpath package with its R4 model) and its values are turned into rows of the index tables.
// FHIR R4 search parameter types: http://hl7.org/fhir/R4/search.html#ptypes
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { Resource } from 'fhir/r4.js';
import { DATE_MAX, DATE_MIN, parseDateRange, type DateRange } from './date.js';
import { compileFast, type FastEvaluator } from './fastpath.js';
import { getSearchParams } from './registry.js';
import type { IndexPart, IndexRows, SearchParamDef, SearchParamType } from './types.js';
import { normalizeString, parseReferenceString } from './values.js';

type Evaluator = (data: unknown) => unknown[];
/** One value found by an expression: its FHIR type name (without namespace), its JSON data, and the node to
 * evaluate composite components against (a fhirpath ResourceNode, or the fast walker's model path). */
interface Typed {
  type: string;
  data: unknown;
  node: unknown;
  path?: string;
}
type Obj = Record<string, unknown>;
/** A compiled expression: the fast JSON walker when the expression is simple enough, else the fhirpath engine. */
type Compiled = { fast: FastEvaluator } | { engine: Evaluator };

const compiled = new Map<string, Compiled>();
/** Per resource type: its parameters with their compiled expressions, built on first use. */
const byType = new Map<string, { def: SearchParamDef; expression: Compiled }[]>();

/**
 * Compiles with the fhirpath engine. `(x as T)` becomes `x.ofType(T)`: search applies the cast as a filter over
 * collections (several components), where FHIRPath's `as` demands a singleton and throws.
 */
function compileEngine(expression: string, base?: string): Evaluator {
  const filtered = expression.replace(/\(([^()\s]+) as (\w+)\)/g, '$1.ofType($2)');
  const path = base === undefined ? filtered : { base, expression: filtered };
  const fn = fhirpath.compile(path, r4, { resolveInternalTypes: false }) as unknown as Evaluator;
  return (data: unknown): unknown[] => {
    try {
      return fn(data);
    } catch {
      // A resource the expression cannot evaluate (e.g. malformed data) simply has no values for this parameter.
      return [];
    }
  };
}

/** Compiled once per key. `base`: the model path a relative (component) expression is evaluated from, if known. */
function compileCached(key: string, expression: string, rootType: string | undefined, base?: string): Compiled {
  let c = compiled.get(key);
  if (!c) {
    const fast = compileFast(expression, rootType);
    c = fast ? { fast } : { engine: compileEngine(expression, base) };
    compiled.set(key, c);
  }
  return c;
}

function evaluate(c: Compiled, data: unknown, path: string): Typed[] {
  if ('fast' in c) return c.fast(data, path).map((n) => ({ type: n.type, data: n.data, node: n.data, path: n.path }));
  const nodes = c.engine(data);
  if (nodes.length === 0) return [];
  const types = fhirpath.types(nodes);
  return nodes.map((node, i) => {
    const raw = types[i] ?? '';
    const type = raw.slice(raw.indexOf('.') + 1);
    const data = node !== null && typeof node === 'object' && 'data' in node ? (node as { data: unknown }).data : node;
    return { type, data, node };
  });
}

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap((x) => (str(x) ? [x as string] : [])) : str(v) ? [v as string] : [];

/** The searchable string parts of a value; HumanName and Address expand into their parts (search.html#string). */
function stringParts(t: Typed): string[] {
  const d = t.data;
  if (typeof d === 'string') return d.length > 0 ? [d] : [];
  if (!isObj(d)) return [];
  if (t.type === 'HumanName') {
    return [...strs(d.family), ...strs(d.given), ...strs(d.prefix), ...strs(d.suffix), ...strs(d.text)];
  }
  if (t.type === 'Address') {
    return [d.line, d.city, d.district, d.state, d.postalCode, d.country, d.text].flatMap(strs);
  }
  return [];
}

interface TokenValue {
  system: string | null;
  value: string | null;
  text?: string | null;
}

const normText = (v: unknown): string | null => (str(v) ? normalizeString(v as string) : null);

/** A Coding as a token; its text is the concept's text and the coding's display (:text searches both). */
function codingToken(c: Obj, conceptText: unknown): TokenValue | undefined {
  const system = str(c.system) ?? null;
  const value = str(c.code) ?? null;
  if (system === null && value === null) return undefined;
  const texts = [...new Set([str(conceptText), str(c.display)].filter((x) => x !== undefined))];
  return { system, value, text: texts.length > 0 ? normalizeString(texts.join(' ')) : null };
}

/** Token values of Coding, CodeableConcept, Identifier, ContactPoint, code, boolean, string (search.html#token). */
function tokenValues(t: Typed): TokenValue[] {
  const d = t.data;
  if (typeof d === 'string') return d.length > 0 ? [{ system: null, value: d }] : [];
  if (typeof d === 'boolean') return [{ system: null, value: String(d) }];
  if (typeof d === 'number') return [{ system: null, value: String(d) }];
  if (!isObj(d)) return [];
  switch (t.type) {
    case 'Coding': {
      const v = codingToken(d, undefined);
      return v ? [v] : [];
    }
    case 'CodeableConcept': {
      const text = normText(d.text);
      const out = (Array.isArray(d.coding) ? d.coding : []).flatMap((c: unknown) => {
        const v = isObj(c) ? codingToken(c, d.text) : undefined;
        return v ? [v] : [];
      });
      // Text-only concepts still answer :text searches.
      if (out.length === 0 && text !== null) out.push({ system: null, value: null, text });
      return out;
    }
    case 'Identifier': {
      const value = str(d.value) ?? null;
      const system = str(d.system) ?? null;
      if (value === null && system === null) return [];
      return [{ system, value, text: isObj(d.type) ? normText(d.type.text) : null }];
    }
    case 'ContactPoint': {
      const value = str(d.value) ?? null;
      return value === null ? [] : [{ system: str(d.system) ?? null, value }];
    }
    default:
      return [];
  }
}

interface ReferenceValue {
  targetType: string | null;
  targetId: string | null;
  url: string | null;
}

/** Reference values: `Type/id` as type + id, absolute URLs as url (search.html#reference); `#x` is skipped. */
/** Reads a reference string; one on this server's base URL counts as the relative `Type/id`. */
function readReference(ref: string, base: string | undefined): ReturnType<typeof parseReferenceString> {
  return parseReferenceString(base !== undefined && ref.startsWith(base) ? ref.slice(base.length) : ref);
}

function referenceValues(
  t: Typed,
  def: SearchParamDef,
  base: string | undefined,
): { refs: ReferenceValue[]; identifiers: TokenValue[] } {
  const d = t.data;
  const refs: ReferenceValue[] = [];
  const identifiers: TokenValue[] = [];
  const add = (type: string | undefined, id: string | undefined, url: string | undefined): void => {
    // Restricted params (e.g. `patient` = subject where it is a Patient) keep only matching targets.
    if (type !== undefined && def.target && !def.target.includes(type)) return;
    refs.push({ targetType: type ?? null, targetId: id ?? null, url: url ?? null });
  };
  if (typeof d === 'string') {
    const p = readReference(d, base);
    if (p) add(p.resourceType, p.id, p.url);
    else if (!d.startsWith('#') && d.length > 0) add(undefined, undefined, d);
  } else if (isObj(d) && str(d.resourceType)) {
    if (str(d.id)) add(d.resourceType as string, d.id as string, undefined);
  } else if (isObj(d)) {
    const ref = str(d.reference);
    const p = ref ? readReference(ref, base) : undefined;
    const declared = str(d.type);
    if (p) add(p.resourceType ?? declared, p.id, p.url);
    if (isObj(d.identifier)) {
      if (declared === undefined || !def.target || def.target.includes(declared)) {
        identifiers.push(...tokenValues({ type: 'Identifier', data: d.identifier, node: undefined }));
      }
    }
  }
  return { refs, identifiers };
}

/** The [start, end) range of a date, dateTime, instant, Period or Timing (search.html#date). */
function dateRanges(t: Typed): DateRange[] {
  const d = t.data;
  if (typeof d === 'string') {
    const r = parseDateRange(d);
    return r ? [r] : [];
  }
  if (!isObj(d)) return [];
  if (t.type === 'Period') {
    const s = str(d.start) ? parseDateRange(d.start as string) : undefined;
    const e = str(d.end) ? parseDateRange(d.end as string) : undefined;
    if (!s && !e) return [];
    return [{ start: s?.start ?? DATE_MIN, end: e?.end ?? DATE_MAX }];
  }
  if (t.type === 'Timing') {
    // Only the outer limits of a schedule matter for search.
    const ranges = strs(d.event).flatMap((e) => parseDateRange(e) ?? []);
    const bounds = isObj(d.repeat) && isObj(d.repeat.boundsPeriod) ? d.repeat.boundsPeriod : undefined;
    if (bounds) ranges.push(...dateRanges({ type: 'Period', data: bounds, node: undefined }));
    if (ranges.length === 0) return [];
    return [{ start: Math.min(...ranges.map((r) => r.start)), end: Math.max(...ranges.map((r) => r.end)) }];
  }
  return [];
}

interface QuantityValue {
  value: number;
  system: string | null;
  unit: string | null;
}

const QUANTITY_TYPES = new Set(['Quantity', 'Age', 'Count', 'Distance', 'Duration', 'SimpleQuantity', 'MoneyQuantity']);

/** Quantity values: one row by coded unit (system + code) and one by human unit when it differs (search.html#quantity). */
function quantityValues(t: Typed): QuantityValue[] {
  const d = t.data;
  if (!isObj(d) || typeof d.value !== 'number') return [];
  const value = d.value;
  if (t.type === 'Money') return [{ value, system: 'urn:iso:std:iso:4217', unit: str(d.currency) ?? null }];
  if (!QUANTITY_TYPES.has(t.type)) return [];
  const code = str(d.code);
  const unit = str(d.unit);
  const out: QuantityValue[] = [{ value, system: str(d.system) ?? null, unit: code ?? unit ?? null }];
  if (code !== undefined && unit !== undefined && unit !== code) out.push({ value, system: null, unit });
  return out;
}

/** The values one component of a composite contributes, as parts. */
function compositeParts(
  type: SearchParamType,
  values: Typed[],
  def: SearchParamDef,
  base: string | undefined,
): IndexPart[] {
  const out: IndexPart[] = [];
  for (const t of values) {
    if (type === 'token') for (const v of tokenValues(t)) out.push({ type: 'token', system: v.system, value: v.value });
    else if (type === 'quantity') for (const v of quantityValues(t)) out.push({ type: 'quantity', ...v });
    else if (type === 'date') for (const r of dateRanges(t)) out.push({ type: 'date', ...r });
    else if (type === 'string') for (const s of stringParts(t)) out.push({ type: 'string', value: normalizeString(s) });
    else if (type === 'reference') {
      for (const r of referenceValues(t, def, base).refs) {
        const value = r.targetType && r.targetId ? `${r.targetType}/${r.targetId}` : r.url;
        out.push({ type: 'token', system: null, value });
      }
    }
  }
  return out;
}

/** Cartesian product of the component parts of one element, capped so a pathological resource cannot explode. */
function combinations(parts: IndexPart[][], cap = 256): IndexPart[][] {
  let acc: IndexPart[][] = [[]];
  for (const options of parts) {
    const next: IndexPart[][] = [];
    for (const prefix of acc) for (const o of options) if (next.length < cap) next.push([...prefix, o]);
    acc = next;
  }
  return acc;
}

export interface IndexOptions {
  /** This server's base URL: absolute references on it are indexed as `Type/id`, like relative ones. */
  baseUrl?: string;
}

/** An empty set of index rows. */
export function emptyIndexRows(): IndexRows {
  return { string: [], token: [], reference: [], date: [], number: [], quantity: [], uri: [], composite: [] };
}

class RowSink {
  readonly rows = emptyIndexRows();
  private readonly seen = new Set<string>();

  /** Adds a row unless an identical one (same table, code and values) is already there. */
  add<K extends keyof IndexRows>(table: K, row: IndexRows[K][number], key: string): void {
    const k = `${table}\u0000${key}`;
    if (this.seen.has(k)) return;
    this.seen.add(k);
    (this.rows[table] as IndexRows[K][number][]).push(row);
  }
}

/** Per composite definition and starting model path: its components compiled (relative to that path). */
const componentCache = new WeakMap<SearchParamDef, Map<string, Compiled[]>>();

function compiledComponents(def: SearchParamDef, key: string, path: string | undefined): Compiled[] {
  let byPath = componentCache.get(def);
  if (!byPath) {
    byPath = new Map();
    componentCache.set(def, byPath);
  }
  const slot = path ?? '';
  let list = byPath.get(slot);
  if (!list) {
    // Components are relative to the composite's node: the fast walker needs its model path, the engine its node.
    list = (def.components ?? []).map((c, i) =>
      path !== undefined
        ? compileCached(`${key}\u0000${i}\u0000${path}`, c.expression, undefined, path)
        : { engine: compileEngine(c.expression) },
    );
    byPath.set(slot, list);
  }
  return list;
}

/** Composite rows: the components evaluated on one element (Observation or one component), every combination. */
function indexComposite(sink: RowSink, def: SearchParamDef, key: string, t: Typed, base: string | undefined): void {
  const comps = compiledComponents(def, key, t.path);
  const parts: IndexPart[][] = [];
  for (const [i, c] of (def.components ?? []).entries()) {
    const comp = comps[i];
    if (!comp) return;
    const found = t.path !== undefined ? evaluate(comp, t.data, t.path) : evaluate(comp, t.node, '');
    const values = compositeParts(c.type, found, def, base);
    if (values.length === 0) return;
    parts.push(values);
  }
  for (const combo of combinations(parts)) {
    sink.add('composite', { code: def.code, parts: combo }, `${def.code}\u0000${JSON.stringify(combo)}`);
  }
}

function indexParam(
  sink: RowSink,
  resource: Resource,
  def: SearchParamDef,
  expression: Compiled,
  base: string | undefined,
): void {
  const key = `${resource.resourceType}\u0000${def.code}`;
  const values = evaluate(expression, resource, resource.resourceType);
  const code = def.code;
  for (const t of values) {
    switch (def.type) {
      case 'string':
        for (const s of stringParts(t)) {
          const value = normalizeString(s);
          sink.add('string', { code, value, exact: s }, `${code}\u0000${s}`);
        }
        break;
      case 'token':
        for (const v of tokenValues(t)) {
          const row = { code, system: v.system, value: v.value, text: v.text ?? null };
          sink.add('token', row, `${code}\u0000${v.system}\u0000${v.value}\u0000${row.text}`);
        }
        break;
      case 'reference': {
        const { refs, identifiers } = referenceValues(t, def, base);
        for (const r of refs)
          sink.add('reference', { code, ...r }, `${code}\u0000${r.targetType}/${r.targetId}|${r.url}`);
        for (const v of identifiers) {
          sink.add(
            'token',
            { code, system: v.system, value: v.value, text: v.text ?? null },
            `${code}\u0000${v.system}\u0000${v.value}`,
          );
        }
        break;
      }
      case 'date':
        for (const r of dateRanges(t)) sink.add('date', { code, ...r }, `${code}\u0000${r.start}\u0000${r.end}`);
        break;
      case 'number':
        if (typeof t.data === 'number') sink.add('number', { code, value: t.data }, `${code}\u0000${t.data}`);
        break;
      case 'quantity':
        for (const q of quantityValues(t))
          sink.add('quantity', { code, ...q }, `${code}\u0000${q.value}|${q.system}|${q.unit}`);
        break;
      case 'uri':
        if (typeof t.data === 'string' && t.data.length > 0)
          sink.add('uri', { code, value: t.data }, `${code}\u0000${t.data}`);
        break;
      case 'composite':
        indexComposite(sink, def, key, t, base);
        break;
      case 'special':
        break;
    }
  }
}

/**
 * Extracts the search index rows of one resource version: all R4 (and US Core) search parameters of its type,
 * evaluated with FHIRPath (http://hl7.org/fhir/R4/search.html). References are never resolved.
 */
export function indexResource(resource: Resource, options: IndexOptions = {}): IndexRows {
  const base = options.baseUrl === undefined ? undefined : `${options.baseUrl.replace(/\/+$/, '')}/`;
  const type = resource.resourceType;
  let params = byType.get(type);
  if (!params) {
    params = getSearchParams(type).map((def) => ({
      def,
      expression: compileCached(`${type}\u0000${def.code}`, def.expression, type),
    }));
    byType.set(type, params);
  }
  const sink = new RowSink();
  for (const { def, expression } of params) indexParam(sink, resource, def, expression, base);
  return sink.rows;
}
