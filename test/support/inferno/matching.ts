// Inferno's US Core search tests, as the v5.0.1 groups of inferno-framework/us-core-test-kit run them
// (search_test.rb, date_search_validation.rb, must_support_test.rb): how a group is described, how a search value is
// taken from a returned resource, and how a returned resource is matched against the search that found it.
import assert from 'node:assert/strict';
import type { Resource } from 'fhir/r4.js';

export type Json = Record<string, unknown>;

export type ParamType =
  'Reference' | 'CodeableConcept' | 'Coding' | 'Identifier' | 'HumanName' | 'Address' | 'date' | 'dateTime';
export interface ParamDef {
  path: string;
  /** Inferno's search_definitions type; `string` matches by prefix, `token` (code, id) by equality. */
  type: ParamType | 'string' | 'token';
  /** The values Inferno searches with (fixed_value_search) and joins for a SHALL multiple-or. */
  values?: string[];
}
export interface SearchSpec {
  id: string;
  names: string[];
  /** Its results are the group's resources for the later tests (first_search). */
  first?: true;
  /** One search per value of the non-patient parameter (fixed_value_search). */
  fixed?: true;
  post?: true;
  referenceVariants?: true;
  tokens?: string[];
  comparators?: string[];
  multipleOr?: string[];
  /** Once per id of the `patient_ids` input. */
  perPatient?: true;
  /** Why Inferno finds no values for this search in ct-fhir's output (it skips the test). */
  skip?: string;
}
export interface GroupSpec {
  /** Inferno's group id. */
  id: string;
  type: string;
  profile: string;
  params: Record<string, ParamDef>;
  searches: SearchSpec[];
  /** Whether ct-fhir writes Provenance targeting this type (otherwise Inferno's revinclude test skips). */
  provenanceExpected: boolean;
  /** Must-support elements (`a:Slice.b`: an element of a slice); the uscdi_only ones are left out, as Inferno does. */
  mustSupport: string[];
  slices: { name: string; path: string; match: (element: Json) => boolean }[];
  /** Must-support elements (and slices) ct-fhir's output never has, and why: Inferno's must-support test skips. */
  gaps: Record<string, string>;
  /** Must-support references and their target profiles. */
  references: { path: string; targets: string[] }[];
  /** path(target) pairs Inferno cannot resolve to a resource valid against the target, and why: it skips. */
  unconfirmed: Record<string, string>;
}

/** Whether a CodeableConcept has a coding of `system` (any system when undefined) with one of `codes`. */
export const codingIn =
  (system: string | undefined, codes: string[]) =>
  (concept: Json | undefined): boolean =>
    ((concept?.coding as Json[] | undefined) ?? []).some(
      (c) => (system === undefined || c.system === system) && codes.includes(c.code as string),
    );

/** The values of `name` in `node`: through arrays, and `effective` finds effectiveDateTime, effectivePeriod, ... */
export function children(node: unknown, name: string): unknown[] {
  if (Array.isArray(node)) return node.flatMap((n) => children(n, name));
  if (!node || typeof node !== 'object') return [];
  const o = node as Json;
  const keys = name in o ? [name] : Object.keys(o).filter((k) => k.startsWith(name) && /^[A-Z]/.test(k[name.length]!));
  return keys.flatMap((k) => (Array.isArray(o[k]) ? (o[k] as unknown[]) : o[k] === undefined ? [] : [o[k]]));
}

/** Every value at a dot path (resolve_path); `a:Slice.b` takes `b` of the `a` elements the slice matches. */
export function resolvePath(node: unknown, path: string, g?: GroupSpec): unknown[] {
  return path.split('.').reduce<unknown[]>(
    (values, segment) => {
      const [name, slice] = segment.split(':') as [string, string | undefined];
      const found = values.flatMap((v) => children(v, name));
      if (slice === undefined) return found;
      const def = g?.slices.find((s) => s.name.endsWith(`.${name}:${slice}`));
      assert.ok(def, `no slice ${segment}`);
      return found.filter((f) => def.match(f as Json));
    },
    [node],
  );
}

/** Present in Inferno's sense: a value other than an empty string, array or object (extensions alone do not count). */
export function present(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).some((k) => k !== 'extension');
  return true;
}

/** The codings of a CodeableConcept, or a Coding itself (Encounter.class). */
const codings = (concept: unknown): Json[] =>
  ((concept as Json).coding as Json[] | undefined) ?? ('code' in (concept as Json) ? [concept as Json] : []);

/** Whether an element can give a search value (element_has_valid_value?). */
function usable(type: ParamDef['type'], el: unknown, withSystem: boolean): boolean {
  const o = el as Json;
  switch (type) {
    case 'Reference':
      return present(o.reference);
    case 'CodeableConcept':
    case 'Coding':
      return codings(el).some((c) => present(c.code) && (!withSystem || present(c.system)));
    case 'Identifier':
      return present(o.value) && (!withSystem || present(o.system));
    case 'HumanName':
      return present(o.family ?? (o.given as string[] | undefined)?.[0] ?? o.text);
    case 'Address':
      return present(o.text ?? o.city ?? o.state ?? o.postalCode ?? o.country);
    default:
      return present(el);
  }
}

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** Ruby's DateTime.xmlschema(text) + days, printed with xmlschema (seconds, the text's own offset; none = +00:00). */
function shiftedXmlSchema(text: string, days: number): string {
  const zone = DATE_ONLY.test(text) ? undefined : /(Z|[+-]\d{2}:\d{2})$/.exec(text)?.[1];
  const offset = zone === undefined || zone === 'Z' ? '+00:00' : zone;
  const offsetMs =
    (offset.startsWith('-') ? -1 : 1) * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4))) * 60_000;
  const at = instant(text) + days * DAY_MS;
  return `${new Date(at + offsetMs).toISOString().slice(0, 19)}${offset}`;
}

/** Epoch ms of a FHIR date or dateTime read as Ruby's DateTime.xmlschema does (no zone = UTC). */
function instant(text: string): number {
  const full = /^\d{4}$/.test(text) ? `${text}-01-01` : /^\d{4}-\d{2}$/.test(text) ? `${text}-01` : text;
  const ms = Date.parse(/T.*(Z|[+-]\d{2}:\d{2})$/.test(full) || !full.includes('T') ? full : `${full}Z`);
  assert.ok(!Number.isNaN(ms), `unreadable date ${text}`);
  return ms;
}

/** get_fhir_datetime_range: a date covers its year, month or day (to the last second); a dateTime is a point. */
function dateRange(text: string): { start: number; end: number } {
  const start = instant(text);
  const d = new Date(start);
  const next = /^\d{4}$/.test(text)
    ? Date.UTC(d.getUTCFullYear() + 1, 0, 1)
    : /^\d{4}-\d{2}$/.test(text)
      ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
      : /^\d{4}-\d{2}-\d{2}$/.test(text)
        ? start + DAY_MS
        : start + 1000;
  return { start, end: next - 1000 };
}

/** fhir_date_comparer over a search value (`ge2024-...`) and a resource's date or Period. */
function dateMatches(search: string, target: unknown): boolean {
  const prefix = /^(eq|ne|gt|ge|lt|le|sa|eb|ap)/.exec(search)?.[1];
  const s = dateRange(prefix ? search.slice(2) : search);
  let t: { start?: number; end?: number };
  if (typeof target === 'string') t = dateRange(target);
  else {
    const p = target as { start?: string; end?: string };
    t = { start: p.start ? instant(p.start) : undefined, end: p.end ? dateRange(p.end).end : undefined };
  }
  const eq = t.start !== undefined && t.end !== undefined && s.start <= t.start && s.end >= t.end;
  const gt = t.end === undefined || s.end < t.end;
  const lt = t.start === undefined || s.start > t.start;
  switch (prefix ?? 'eq') {
    case 'eq':
      return eq;
    case 'gt':
      return gt;
    case 'ge':
      return gt || eq;
    case 'lt':
      return lt;
    case 'le':
      return lt || eq;
    default:
      throw new Error(`comparator ${prefix} is not replayed`);
  }
}

/** The value Inferno searches `name` with, taken from `resource` (search_param_value), `,` escaped as `\,`. */
export function searchValue(
  g: GroupSpec,
  name: string,
  resource: Resource,
  withSystem: boolean,
  comparators: string[],
) {
  const def = g.params[name]!;
  const el = resolvePath(resource, def.path).find((v) => present(v) && usable(def.type, v, withSystem));
  if (el === undefined) return undefined;
  const o = el as Json;
  let value: string;
  switch (def.type) {
    case 'Reference':
      value = o.reference as string;
      break;
    case 'CodeableConcept':
    case 'Coding': {
      const c = codings(el).find((x) => present(x.code) && (!withSystem || present(x.system)))!;
      value = withSystem ? `${c.system}|${c.code}` : (c.code as string);
      break;
    }
    case 'Identifier':
      value = withSystem ? `${o.system}|${o.value}` : (o.value as string);
      break;
    case 'HumanName':
      value = (o.family ?? (o.given as string[] | undefined)?.[0] ?? o.text) as string;
      break;
    case 'Address':
      value = (o.text ?? o.city ?? o.state ?? o.postalCode ?? o.country) as string;
      break;
    default:
      if (typeof el === 'object') {
        // A Period: `gt` the day before its start, else `lt` the day after its end (search_param_value).
        const p = el as { start?: string; end?: string };
        value = p.start ? `gt${shiftedXmlSchema(p.start, -1)}` : `lt${shiftedXmlSchema(p.end!, 1)}`;
        break;
      }
      assert.equal(typeof el, 'string', `${g.type}.${def.path}: not a date`);
      // A date-only value of a date parameter with comparators becomes `gt` the day before.
      value =
        def.type === 'date' && comparators.includes(name) && DATE_ONLY.test(el as string)
          ? `gt${shiftedXmlSchema(el as string, -1)}`
          : (el as string);
  }
  return value.replaceAll(',', '\\,');
}

/** match_search_value: whether `resource` matches every parameter (escaped commas restored). */
export function mismatches(
  g: GroupSpec,
  resource: Resource,
  params: Record<string, string>,
  baseUrl: string,
): string[] {
  const out: string[] = [];
  for (const [name, escaped] of Object.entries(params)) {
    const def = g.params[name];
    if (!def) continue; // _revinclude
    const value = escaped.replaceAll('\\,', ',');
    const found = resolvePath(resource, def.path).map((v) =>
      def.type === 'Reference' ? ((v as Json).reference as string) : v,
    );
    const lower = value.toLowerCase();
    const starts = (s: unknown): boolean => typeof s === 'string' && s.toLowerCase().startsWith(lower);
    let ok: boolean;
    if (def.type === 'date' || def.type === 'dateTime') ok = found.some((d) => dateMatches(value, d));
    else if (def.type === 'HumanName')
      ok = found.some((n) => {
        const h = n as Json;
        return [
          h.text,
          h.family,
          ...(['given', 'prefix', 'suffix'] as const).flatMap((k) => (h[k] as string[]) ?? []),
        ].some(starts);
      });
    else if (def.type === 'Address')
      ok = found.some((a) => ['text', 'city', 'state', 'postalCode', 'country'].some((k) => starts((a as Json)[k])));
    else if (def.type === 'CodeableConcept' || def.type === 'Coding') {
      const [system, code] = value.includes('|') ? value.split('|') : [undefined, value];
      ok = found
        .flatMap(codings)
        .some(
          (c) => (system === undefined || c.system === system) && String(c.code).toLowerCase() === code!.toLowerCase(),
        );
    } else if (def.type === 'Identifier')
      ok = found.some(
        (i) => (value.includes('|') ? `${(i as Json).system}|${(i as Json).value}` : (i as Json).value) === value,
      );
    else if (def.type === 'string')
      ok = found.some((s) =>
        value.split(',').some((part) => typeof s === 'string' && s.toLowerCase().startsWith(part.toLowerCase())),
      );
    else if (name === 'patient') {
      const id = value.split('Patient/').pop()!;
      ok = found.some((ref) => [id, `Patient/${id}`, `${baseUrl}/Patient/${id}`].includes(ref as string));
    } else ok = found.some((v) => value.split(',').includes(v as string));
    if (!ok)
      out.push(
        `${resource.resourceType}/${resource.id} does not match ${name}=${value} (found ${JSON.stringify(found)})`,
      );
  }
  return out;
}

/** date_comparator_value: the comparator and the resource's own date one day before (gt, ge) or after (lt, le). */
export const comparatorValue = (comparator: string, date: string): string =>
  `${comparator}${shiftedXmlSchema(date, comparator.startsWith('l') ? 1 : -1)}`;

/** JSON format rule (json.html): no empty arrays, objects or strings (the HL7 validator rejects them). */
export function emptyElements(node: unknown, path: string): string[] {
  if (node === '' || node === null) return [`${path} is empty`];
  if (Array.isArray(node))
    return node.length ? node.flatMap((n, i) => emptyElements(n, `${path}[${i}]`)) : [`${path} is []`];
  if (node && typeof node === 'object') {
    const entries = Object.entries(node);
    if (!entries.length) return [`${path} is {}`];
    return entries.flatMap(([k, v]) => emptyElements(v, `${path}.${k}`));
  }
  return [];
}
