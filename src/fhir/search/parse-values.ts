// Parsing one search value by parameter type: prefixes, implicit precision ranges, token and reference forms,
// composite parts and escapes. FHIR R4 search: http://hl7.org/fhir/R4/search.html#ptypes, #prefix, #escaping
import { badRequest } from '../outcomes.js';
import { dateProblem, parseDateRange, restoreZonePlus } from './date.js';
import type { Modifier, Prefix, SearchParamType, SearchValue } from './types.js';
import { basePrefix, isValidId, onBase, parseReferenceString } from './values.js';

const PREFIXES: ReadonlySet<string> = new Set(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap']);

/** Splits on `sep` where it is not escaped by a backslash; escapes stay in the parts (search.html#escaping). */
export function splitEscaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) {
      current += c + text[i + 1];
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** Removes search escapes: `\,` `\$` `\|` `\\`. */
export function unescapeValue(text: string): string {
  return text.replace(/\\([\\,$|])/g, '$1');
}

/** Escapes the characters that separate values and parts. */
export function escapeValue(text: string): string {
  return text.replace(/[\\,$|]/g, (c) => `\\${c}`);
}

/** Splits an optional comparison prefix off a date / number / quantity value; an unknown prefix is a 400. */
export function splitPrefix(text: string, code: string): { prefix: Prefix; rest: string } {
  const m = /^([a-z]{2})(.*)$/s.exec(text);
  if (!m) return { prefix: 'eq', rest: text };
  const [, p = '', rest = ''] = m;
  if (!PREFIXES.has(p)) throw badRequest(`Invalid prefix '${p}' in ${code}=${text}`, code);
  return { prefix: p as Prefix, rest };
}

/** A date search value; `+hh:mm` zones that arrived unencoded (as a space) are read back as `+`. */
export function parseDateValue(text: string, code: string): Extract<SearchValue, { kind: 'date' }> {
  const { prefix, rest } = splitPrefix(text, code);
  const value = restoreZonePlus(rest);
  const range = parseDateRange(value);
  if (!range) throw badRequest(`Invalid date '${rest}' in ${code}: ${dateProblem(value) ?? 'not a date'}`, code);
  return { kind: 'date', prefix, start: range.start, end: range.end, text: value };
}

const NUMBER_RE = /^([-+]?)(\d*)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/;

/**
 * A number with its implicit precision range (search.html#number): half a unit of its last significant digit
 * either side. "100" is [99.5, 100.5), "100.00" is [99.995, 100.005), "1.00e2" (3 significant digits) is
 * [99.5, 100.5), "5.40e-3" is 0.0054 +- 0.000005, and "1e2" (1 significant digit) is [50, 150). The spec's table
 * gives [95, 105) for 1e2, which contradicts its own significant-digit rule and its 5.40e-3 example.
 */
export function parseNumber(text: string, code: string): { value: number; lower: number; upper: number } {
  const m = NUMBER_RE.exec(text);
  const value = Number(text);
  if (!m || text === '' || (m[2] === '' && m[3] === undefined) || !Number.isFinite(value)) {
    throw badRequest(`Invalid number '${text}' in ${code}`, code);
  }
  const decimals = m[3]?.length ?? 0;
  const exponent = m[4] === undefined ? undefined : Number(m[4]);
  const half = 0.5 * 10 ** ((exponent ?? 0) - decimals);
  // toPrecision(15) drops binary noise so that 5.4 - 0.05 is 5.35, not 5.3500000000000005.
  const round = (x: number): number => Number(x.toPrecision(15));
  return { value, lower: round(value - half), upper: round(value + half) };
}

export function parseNumberValue(text: string, code: string): Extract<SearchValue, { kind: 'number' }> {
  const { prefix, rest } = splitPrefix(text, code);
  return { kind: 'number', prefix, ...parseNumber(rest, code), text: rest };
}

/** `[prefix]number[|system|code]` or `number||code` (search.html#quantity). */
export function parseQuantityValue(text: string, code: string): Extract<SearchValue, { kind: 'quantity' }> {
  const { prefix, rest } = splitPrefix(text, code);
  const parts = splitEscaped(rest, '|');
  if (parts.length > 3) throw badRequest(`Invalid quantity '${text}' in ${code}`, code);
  const [num = '', system = '', unit = ''] = parts.length === 2 ? [parts[0], '', parts[1]] : parts;
  const q: Extract<SearchValue, { kind: 'quantity' }> = {
    kind: 'quantity',
    prefix,
    ...parseNumber(num, code),
    text: num,
  };
  if (system !== '') q.system = unescapeValue(system);
  if (unit !== '') q.code = unescapeValue(unit);
  return q;
}

/** `code`, `system|code`, `|code` (no system), `system|` (any code) (search.html#token). */
export function parseTokenValue(text: string): Extract<SearchValue, { kind: 'token' }> {
  const parts = splitEscaped(text, '|');
  if (parts.length === 1) return { kind: 'token', code: unescapeValue(text) };
  const system = unescapeValue(parts[0] ?? '');
  const code = unescapeValue(parts.slice(1).join('|'));
  return code === '' ? { kind: 'token', system } : { kind: 'token', system, code };
}

/**
 * A reference value (search.html#reference): `id`, `Type/id[/_history/v]`, or an absolute URL (read as `Type/id`
 * when it is on this server's `baseUrl`). `targetType` comes from a `:Type` modifier.
 */
export function parseReferenceValue(
  text: string,
  code: string,
  targetType: string | undefined,
  baseUrl: string | undefined,
): Extract<SearchValue, { kind: 'reference' }> {
  const ref = onBase(unescapeValue(text), basePrefix(baseUrl));
  if (!ref.includes('/') && !ref.includes(':')) {
    if (!isValidId(ref)) throw badRequest(`Invalid reference '${text}' in ${code}`, code);
    return targetType ? { kind: 'reference', resourceType: targetType, id: ref } : { kind: 'reference', id: ref };
  }
  const parsed = parseReferenceString(ref);
  if (parsed?.url !== undefined) return { kind: 'reference', url: parsed.url };
  if (!parsed?.resourceType || !parsed.id) throw badRequest(`Invalid reference '${text}' in ${code}`, code);
  return { kind: 'reference', resourceType: parsed.resourceType, id: parsed.id };
}

/** One part of a composite value, parsed by its component's type. */
function parsePart(type: SearchParamType, text: string, code: string): SearchValue {
  switch (type) {
    case 'token':
      return parseTokenValue(text);
    case 'quantity':
      return parseQuantityValue(text, code);
    case 'number':
      return parseNumberValue(text, code);
    case 'date':
      return parseDateValue(text, code);
    case 'string':
      return { kind: 'string', value: unescapeValue(text) };
    case 'uri':
      return { kind: 'uri', value: unescapeValue(text) };
    case 'reference':
      return parseReferenceValue(text, code, undefined, undefined);
    default:
      throw badRequest(`Composite part of type ${type} is not supported in ${code}`, code);
  }
}

/** `a$b` for a composite parameter: as many parts as it has components (search.html#combining). */
export function parseCompositeValue(
  text: string,
  code: string,
  components: { type: SearchParamType }[],
): Extract<SearchValue, { kind: 'composite' }> {
  const parts = splitEscaped(text, '$');
  if (parts.length !== components.length) {
    throw badRequest(`${code} takes ${components.length} parts separated by $, got '${text}'`, code);
  }
  return { kind: 'composite', parts: parts.map((p, i) => parsePart(components[i]?.type ?? 'string', p, code)) };
}

/** `:missing=true|false`. */
export function parseMissingValue(text: string, code: string): Extract<SearchValue, { kind: 'missing' }> {
  if (text !== 'true' && text !== 'false') throw badRequest(`${code}:missing takes true or false, not '${text}'`, code);
  return { kind: 'missing', missing: text === 'true' };
}

/** Modifiers each parameter type accepts here (search.html#modifiers); :missing is accepted on all. */
export const SUPPORTED_MODIFIERS: Readonly<Record<SearchParamType, readonly Modifier[]>> = {
  string: ['exact', 'contains'],
  token: ['not', 'text'],
  reference: ['type', 'identifier'],
  date: [],
  number: [],
  quantity: [],
  uri: ['above', 'below'],
  composite: [],
  special: [],
};
