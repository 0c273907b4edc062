// A fast evaluator for the simple FHIRPath that most search parameters use: unions of dotted paths with optional
// `as Type` / `.as(Type)` / `.ofType(Type)` casts. It walks the JSON directly with the fhirpath R4 model's type
// tables; anything else (where(), extension(), indexers, functions) is left to the fhirpath engine.
// FHIRPath: http://hl7.org/fhirpath/N1/ ; choice types: http://hl7.org/fhir/R4/formats.html#choice
import r4 from 'fhirpath/fhir-context/r4';

/** A value found by an expression: its FHIR type name, its JSON data and its element path in the model. */
export interface FastNode {
  type: string;
  data: unknown;
  /** The model path its children are looked up under (e.g. 'Observation.component' or 'CodeableConcept'). */
  path: string;
}

export type FastEvaluator = (data: unknown, path: string) => FastNode[];

interface ModelTables {
  choiceTypePaths: Record<string, string[]>;
  pathsDefinedElsewhere: Record<string, string>;
  type2Parent: Record<string, string>;
  path2Type: Record<string, string | { code: string }>;
}

const model = r4 as unknown as ModelTables;

/** The type name of an element path (path2Type holds `{ code }` for references and canonicals). */
function typeOf(path: string): string | undefined {
  const t = model.path2Type[path];
  return typeof t === 'string' ? t : t?.code;
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const PRIMITIVE_CHOICES = new Set(['String', 'Boolean', 'Integer', 'Decimal', 'Time', 'DateTime', 'Date', 'Instant']);
const BACKBONE = new Set(['BackboneElement', 'Element']);

/** The model entry of a child element, following content references and data type inheritance (Age -> Quantity). */
function childPath(parent: string, name: string): string | undefined {
  for (let p: string | undefined = parent; p !== undefined; p = model.type2Parent[p]) {
    let path = `${p}.${name}`;
    path = model.pathsDefinedElsewhere[path] ?? path;
    if (typeOf(path) !== undefined || model.choiceTypePaths[path] !== undefined) return path;
  }
  return undefined;
}

function push(out: FastNode[], value: unknown, type: string, path: string): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const v of value) push(out, v, type, path);
    return;
  }
  if (type === 'Resource' && typeof value === 'object' && 'resourceType' in value) {
    const rt = (value as { resourceType: unknown }).resourceType;
    if (typeof rt === 'string') {
      out.push({ type: rt, data: value, path: rt });
      return;
    }
  }
  out.push({ type, data: value, path: BACKBONE.has(type) ? path : type });
}

/** How to take one child step from a known model path: the JSON key(s) to read and the type each yields. */
interface StepOption {
  key: string;
  type: string;
  path: string;
}

function stepOptions(parentPath: string, name: string): StepOption[] {
  const path = childPath(parentPath, name);
  if (path === undefined) return [];
  const choices = model.choiceTypePaths[path];
  if (choices) {
    return choices.map((c) => {
      const type = PRIMITIVE_CHOICES.has(c) ? lowerFirst(c) : c;
      return { key: `${name}${upperFirst(c)}`, type, path: BACKBONE.has(type) ? path : type };
    });
  }
  const raw = typeOf(path) ?? 'Element';
  const type = raw.startsWith('System.') ? raw.slice(7) : raw;
  return [{ key: name, type, path: BACKBONE.has(type) ? path : type }];
}

/** One step: the child `name` of every input node (choice elements expand to their present typed forms). */
function step(nodes: FastNode[], name: string): FastNode[] {
  const out: FastNode[] = [];
  for (const n of nodes) {
    if (n.data === null || typeof n.data !== 'object') continue;
    const obj = n.data as Record<string, unknown>;
    for (const o of stepOptions(n.path, name)) push(out, obj[o.key], o.type, o.path);
  }
  return out;
}

/** A precomputed walk: per step, the options to read for each parent path. Undefined past a Resource element. */
type Plan = Map<string, StepOption[]>[];

function plan(startPath: string, names: string[], cast: string | undefined, after: string[]): Plan | undefined {
  const steps: Plan = [];
  let paths = [startPath];
  const all = [...names, ...after];
  for (const [i, name] of all.entries()) {
    const byParent = new Map<string, StepOption[]>();
    for (const p of paths) {
      let options = stepOptions(p, name);
      if (i === names.length - 1 && cast !== undefined) {
        options = options.filter((o) => lowerFirst(o.type) === lowerFirst(cast));
      }
      if (options.some((o) => o.type === 'Resource')) return undefined;
      byParent.set(p, options);
    }
    steps.push(byParent);
    paths = [...new Set([...byParent.values()].flat().map((o) => o.path))];
  }
  return steps;
}

function runPlan(data: unknown, startPath: string, steps: Plan, out: FastNode[]): void {
  let values: FastNode[] = [{ type: startPath, data, path: startPath }];
  for (const byParent of steps) {
    const next: FastNode[] = [];
    for (const v of values) {
      if (v.data === null || typeof v.data !== 'object') continue;
      const obj = v.data as Record<string, unknown>;
      for (const o of byParent.get(v.path) ?? []) {
        const child = obj[o.key];
        if (child === undefined || child === null) continue;
        if (Array.isArray(child)) {
          for (const c of child) if (c !== null && c !== undefined) next.push({ type: o.type, data: c, path: o.path });
        } else next.push({ type: o.type, data: child, path: o.path });
      }
    }
    values = next;
  }
  out.push(...values);
}

const castMatches = (node: FastNode, type: string): boolean => lowerFirst(node.type) === lowerFirst(type);

/** One union member: a path, optionally cast to a type, optionally followed by more path segments. */
interface Term {
  root?: string;
  segments: string[];
  cast?: string;
  after: string[];
}

const NAME = '[A-Za-z][A-Za-z0-9]*';
const PATH = `${NAME}(?:\\.${NAME})*`;
const TERM_RES = [
  // (A.b as T).c.d
  new RegExp(`^\\(\\s*(${PATH})\\s+as\\s+(${NAME})\\s*\\)((?:\\.${NAME})*)$`),
  // A.b.as(T) / A.b.ofType(T)
  new RegExp(`^(${PATH})\\.(?:as|ofType)\\(\\s*(${NAME})\\s*\\)()$`),
  // A.b as T
  new RegExp(`^(${PATH})\\s+as\\s+(${NAME})()$`),
  // A.b.c
  new RegExp(`^(${PATH})()()$`),
];

function parseTerm(text: string, rootType: string | undefined): Term | undefined {
  for (const re of TERM_RES) {
    const m = re.exec(text.trim());
    if (!m) continue;
    const segments = (m[1] ?? '').split('.');
    const cast = m[2] || undefined;
    const after = (m[3] ?? '').split('.').filter((s) => s.length > 0);
    if (rootType === undefined) return { segments, cast, after };
    if (segments[0] !== rootType) return undefined;
    return { root: rootType, segments: segments.slice(1), cast, after };
  }
  return undefined;
}

function splitUnion(expression: string): string[] | undefined {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (c === "'" || c === '[' || c === '$' || c === '%') return undefined;
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      parts.push(expression.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(expression.slice(start));
  return parts;
}

const FUNCTION_WORDS = /\b(where|exists|extension|resolve|first|last|empty|not|and|or|is|descendants|children)\b/;

/**
 * Compiles a simple expression into a direct JSON walker, or returns undefined when the expression needs the full
 * engine. With `rootType`, every term must start with that resource type (absolute expressions); without it the
 * terms are relative to the node passed in (composite components).
 */
export function compileFast(expression: string, rootType?: string): FastEvaluator | undefined {
  if (FUNCTION_WORDS.test(expression.replace(/\.(as|ofType)\(/g, '.cast('))) return undefined;
  const texts = splitUnion(expression);
  if (!texts) return undefined;
  const terms: Term[] = [];
  for (const t of texts) {
    const term = parseTerm(t, rootType);
    if (!term) return undefined;
    terms.push(term);
  }
  const plans = new Map<string, (Plan | undefined)[]>();
  return (data: unknown, path: string): FastNode[] => {
    let termPlans = plans.get(path);
    if (!termPlans) {
      termPlans = terms.map((t) => plan(path, t.segments, t.cast, t.after));
      plans.set(path, termPlans);
    }
    const out: FastNode[] = [];
    for (const [i, term] of terms.entries()) {
      const p = termPlans[i];
      if (p) {
        runPlan(data, path, p, out);
        continue;
      }
      // Past a Resource-typed element the path depends on the data: walk dynamically.
      let nodes: FastNode[] = [{ type: path, data, path }];
      for (const s of term.segments) nodes = step(nodes, s);
      if (term.cast !== undefined) {
        const cast = term.cast;
        nodes = nodes.filter((n) => castMatches(n, cast));
      }
      for (const s of term.after) nodes = step(nodes, s);
      out.push(...nodes);
    }
    return out;
  };
}
