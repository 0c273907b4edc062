// Turning the values an expression found into index values, per search parameter type: HumanName and Address
// parts, tokens from Coding / CodeableConcept / Identifier / ContactPoint, references, date ranges, quantities.
// FHIR R4 search parameter types: http://hl7.org/fhir/R4/search.html#ptypes
import { DATE_MAX, DATE_MIN, parseDateRange, type DateRange } from './date.js';
import type { IndexPart, SearchParamDef, SearchParamType } from './types.js';
import { normalizeString, onBase, parseReferenceString } from './values.js';

/** One value found by an expression: its FHIR type name (without namespace), its JSON data, and the node to
 * evaluate composite components against (a fhirpath ResourceNode, or the fast walker's model path). */
export interface Typed {
  type: string;
  data: unknown;
  node: unknown;
  path?: string;
}
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.flatMap((x) => (str(x) ? [x as string] : [])) : str(v) ? [v as string] : [];

/** The searchable string parts of a value; HumanName and Address expand into their parts (search.html#string). */
export function stringParts(t: Typed): string[] {
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
export function tokenValues(t: Typed): TokenValue[] {
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

/** Reads a reference string; one on this server's base URL counts as the relative `Type/id`. */
function readReference(ref: string, base: string | undefined): ReturnType<typeof parseReferenceString> {
  return parseReferenceString(onBase(ref, base));
}

/** The types of a resource's contained resources by local id, for `#id` references (references.html#contained). */
export function containedTypes(resource: object): ReadonlyMap<string, string> {
  const out = new Map<string, string>();
  const contained: unknown = (resource as { contained?: unknown }).contained;
  for (const c of Array.isArray(contained) ? (contained as unknown[]) : []) {
    if (isObj(c) && str(c.id) && str(c.resourceType)) out.set(c.id as string, c.resourceType as string);
  }
  return out;
}

/**
 * Reference values (search.html#reference): `Type/id` as type + id, absolute URLs as url; `#x` to a contained
 * resource as its type with url `#x` and no id (no search value names it, but the element has a value, which
 * `:missing` and restricted targets need); a `#x` naming nothing contained is skipped. Targets outside the
 * parameter's target types are dropped; Reference.identifier comes back as tokens (for :identifier).
 */
export function referenceValues(
  t: Typed,
  def: SearchParamDef,
  base: string | undefined,
  contained: ReadonlyMap<string, string> = new Map(),
): { refs: ReferenceValue[]; identifiers: TokenValue[] } {
  const d = t.data;
  const refs: ReferenceValue[] = [];
  const identifiers: TokenValue[] = [];
  const add = (type: string | undefined, id: string | undefined, url: string | undefined): void => {
    // Restricted params (e.g. `patient` = subject where it is a Patient) keep only matching targets.
    if (type !== undefined && def.restrictedTargets && def.target && !def.target.includes(type)) return;
    refs.push({ targetType: type ?? null, targetId: id ?? null, url: url ?? null });
  };
  const local = (ref: string): void => {
    const type = contained.get(ref.slice(1));
    if (type !== undefined) add(type, undefined, ref);
  };
  if (typeof d === 'string') {
    const p = readReference(d, base);
    if (p) add(p.resourceType, p.id, p.url);
    else if (d.startsWith('#')) local(d);
    else if (d.length > 0) add(undefined, undefined, d);
  } else if (isObj(d) && str(d.resourceType)) {
    if (str(d.id)) add(d.resourceType as string, d.id as string, undefined);
  } else if (isObj(d)) {
    const ref = str(d.reference);
    const p = ref ? readReference(ref, base) : undefined;
    const declared = str(d.type);
    if (p) add(p.resourceType ?? declared, p.id, p.url);
    else if (ref?.startsWith('#')) local(ref);
    if (isObj(d.identifier)) {
      if (declared === undefined || !def.target || def.target.includes(declared)) {
        identifiers.push(...tokenValues({ type: 'Identifier', data: d.identifier, node: undefined }));
      }
    }
  }
  return { refs, identifiers };
}

/**
 * The [start, end) range of a date, dateTime, instant, Period or Timing (search.html#date). An instant is a point in
 * time, not the second it is written to: it is indexed as [t, t + 1 ms), so `gt...T10:00:00.500Z` misses 10:00:00Z.
 */
export function dateRanges(t: Typed): DateRange[] {
  const d = t.data;
  if (typeof d === 'string') {
    const r = parseDateRange(d);
    if (r && t.type === 'instant') return [{ start: r.start, end: r.start + 1 }];
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
export function quantityValues(t: Typed): QuantityValue[] {
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
export function compositeParts(
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
export function combinations(parts: IndexPart[][], cap = 256): IndexPart[][] {
  let acc: IndexPart[][] = [[]];
  for (const options of parts) {
    const next: IndexPart[][] = [];
    for (const prefix of acc) for (const o of options) if (next.length < cap) next.push([...prefix, o]);
    acc = next;
  }
  return acc;
}
