// Write-time search indexing: every search parameter of the resource's type is evaluated with FHIRPath (the
// fhirpath package with its R4 model) and its values are turned into rows of the index tables.
// FHIR R4 search parameter types: http://hl7.org/fhir/R4/search.html#ptypes
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { Resource } from 'fhir/r4.js';
import { compileFast, type FastEvaluator } from './fastpath.js';
import { getSearchParams } from './registry.js';
import type { IndexPart, IndexRows, SearchParamDef } from './types.js';
import {
  combinations,
  compositeParts,
  dateRanges,
  quantityValues,
  containedTypes,
  referenceValues,
  stringParts,
  tokenValues,
  type Typed,
} from './index-values.js';
import { basePrefix, normalizeString } from './values.js';

type Evaluator = (data: unknown) => unknown[];
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
  contained: ReadonlyMap<string, string>,
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
        const { refs, identifiers } = referenceValues(t, def, base, contained);
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
  const base = basePrefix(options.baseUrl);
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
  const contained = containedTypes(resource);
  for (const { def, expression } of params) indexParam(sink, resource, def, expression, base, contained);
  return sink.rows;
}
