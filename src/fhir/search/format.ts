// SearchRequest -> canonical query string (filters in order, then the controls), used for the self / next /
// previous links of a searchset; parseSearchRequest(format(x)) gives x back. FHIR R4 search.html#2.1.1.1 (paging)
import { formatDateRange } from './date.js';
import { formatSearchKey } from './keyset.js';
import { escapeValue } from './parse-values.js';
import type { IncludeTarget, Prefix, SearchFilter, SearchRequest, SearchValue } from './types.js';

const prefixed = (prefix: Prefix, text: string): string => (prefix === 'eq' ? text : `${prefix}${text}`);

function formatNumber(v: { value: number; text?: string }): string {
  return v.text ?? String(v.value);
}

function formatToken(v: Extract<SearchValue, { kind: 'token' }>): string {
  if (v.text !== undefined && v.code === undefined && v.system === undefined) return escapeValue(v.text);
  if (v.system === undefined) return escapeValue(v.code ?? '');
  return `${escapeValue(v.system)}|${escapeValue(v.code ?? '')}`;
}

/** One value as it is written in a query (escaped where it is text). */
export function formatValue(v: SearchValue): string {
  switch (v.kind) {
    case 'string':
    case 'uri':
      return escapeValue(v.value);
    case 'token':
      return formatToken(v);
    case 'reference':
      if (v.url !== undefined) return escapeValue(v.url);
      return v.resourceType !== undefined ? `${v.resourceType}/${v.id ?? ''}` : (v.id ?? '');
    case 'date':
      return prefixed(v.prefix, v.text ?? formatDateRange(v) ?? new Date(v.start).toISOString());
    case 'number':
      return prefixed(v.prefix, formatNumber(v));
    case 'quantity': {
      const unit = v.system !== undefined || v.code !== undefined;
      const tail = unit ? `|${escapeValue(v.system ?? '')}|${escapeValue(v.code ?? '')}` : '';
      return prefixed(v.prefix, `${formatNumber(v)}${tail}`);
    }
    case 'composite':
      // Text parts are escaped by formatValue, so a `$` left in the output is always a separator.
      return v.parts.map(formatValue).join('$');
    case 'missing':
      return String(v.missing);
  }
}

/** The parameter name of a filter: `code[:modifier]`, `code:Type` or `code:Type.chained[:modifier]`. */
function formatKey(f: SearchFilter): string {
  if (f.chain) return `${f.param.code}:${f.chain.targetType}.${formatKey(f.chain.filter)}`;
  if (f.modifier === 'type') return `${f.param.code}:${f.targetType ?? ''}`;
  return f.modifier ? `${f.param.code}:${f.modifier}` : f.param.code;
}

function filterValues(f: SearchFilter): string {
  return (f.chain ? f.chain.filter.values : f.values).map(formatValue).join(',');
}

function includeText(i: IncludeTarget): string {
  return `${i.resourceType}:${i.param.code}${i.targetType ? `:${i.targetType}` : ''}`;
}

/** Percent-encodes a query component, keeping the characters that read well and are safe in a query. */
function encode(text: string): string {
  return encodeURIComponent(text).replace(/%(3A|2C|24|2F)/g, (_m, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/**
 * Formats a request as a canonical query string (without `?`) such that parseSearchRequest gives the same
 * request back; for paging links (http://hl7.org/fhir/R4/http.html#paging).
 */
export function formatSearchRequest(req: SearchRequest): string {
  const pairs: [string, string][] = req.filters.map((f) => [formatKey(f), filterValues(f)]);
  if (req.sort.length > 0) {
    pairs.push(['_sort', req.sort.map((s) => `${s.descending ? '-' : ''}${s.param.code}`).join(',')]);
  }
  pairs.push(['_count', String(req.count)]);
  if (req.offset > 0) pairs.push(['_offset', String(req.offset)]);
  if (req.after !== undefined) pairs.push(['_after', formatSearchKey(req.after)]);
  if (req.before !== undefined) pairs.push(['_before', formatSearchKey(req.before)]);
  if (req.total !== 'none') pairs.push(['_total', req.total]);
  if (req.summary !== undefined) pairs.push(['_summary', req.summary]);
  if (req.elements !== undefined && req.elements.length > 0) pairs.push(['_elements', req.elements.join(',')]);
  for (const i of req.include) pairs.push([i.iterate ? '_include:iterate' : '_include', includeText(i)]);
  for (const i of req.revinclude) pairs.push([i.iterate ? '_revinclude:iterate' : '_revinclude', includeText(i)]);
  return pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
}
