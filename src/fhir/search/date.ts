// Date ranges shared by the indexer and the query parser: every FHIR date, dateTime and instant is the half-open
// interval [start, end) in ms since the epoch that its precision covers ("2024" = the whole year).
// FHIR R4 search on dates: http://hl7.org/fhir/R4/search.html#date
import type { Prefix } from './types.js';

/** Lowest / highest representable instants (JS Date limits), used for open Period bounds. Fit in a bigint column. */
export const DATE_MIN = -8_640_000_000_000_000;
export const DATE_MAX = 8_640_000_000_000_000;

export interface DateRange {
  start: number;
  end: number;
}

// Filled from the left; a time has hours and minutes at least (search.html#date: "the minutes SHALL be present if
// an hour is present"), and a zone only follows a time.
const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

function daysInMonth(year: number, month: number): number {
  return new Date(utc(year, month + 1, 0)).getUTCDate();
}

/** The offset in ms of `Z` / `+hh:mm` / `-hh:mm` (none = UTC), or undefined when out of range. */
function zoneOffset(tz: string | undefined): number | undefined {
  if (tz === undefined || tz === 'Z') return 0;
  const th = Number(tz.slice(1, 3));
  const tm = Number(tz.slice(4, 6));
  // Zones run from -14:00 to +14:00 (datatypes.html#dateTime).
  if (th > 14 || tm > 59 || (th === 14 && tm > 0)) return undefined;
  return (tz.startsWith('-') ? -1 : 1) * (th * 60 + tm) * 60_000;
}

/**
 * A `+hh:mm` time zone that arrived unencoded in a query string (URL decoding made the `+` a space) read back as `+`:
 * clients commonly send `_since=2024-01-01T00:00:00+01:00` as it is.
 */
export function restoreZonePlus(text: string): string {
  return text.replace(/ (\d{2}:\d{2})$/, '+$1');
}

/**
 * Parses a FHIR date, dateTime or instant of any precision (YYYY to fractions of a second, optional time zone;
 * no zone = UTC) into the [start, end) range it covers. Returns undefined when the text is not a valid date.
 */
export function parseDateRange(text: string): DateRange | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  const [, ys, mos, ds, hs, mis, ss, fs, tz] = m;
  const year = Number(ys);
  const month = mos === undefined ? 1 : Number(mos);
  const day = ds === undefined ? 1 : Number(ds);
  const hour = hs === undefined ? 0 : Number(hs);
  const minute = mis === undefined ? 0 : Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offset = zoneOffset(tz);
  if (offset === undefined) return undefined;
  const fraction = fs === undefined ? 0 : Number(`0.${fs}`) * 1000;
  const ms = Math.floor(fraction);
  if (mos === undefined) return { start: utc(year, 1, 1), end: utc(year + 1, 1, 1) };
  if (ds === undefined) return { start: utc(year, month, 1), end: utc(year, month + 1, 1) };
  if (hs === undefined) return { start: utc(year, month, day), end: utc(year, month, day + 1) };
  const start = utc(year, month, day, hour, minute, second, ms) - offset;
  let width: number;
  if (ss === undefined) width = 60_000;
  else if (fs === undefined) width = 1000;
  else width = Math.max(1, 1000 / 10 ** fs.length);
  return { start, end: start + width };
}

/**
 * Why `text` is not a FHIR date / dateTime / instant, in words a client can act on, or undefined when it is one.
 * Names the common shapes: an hour without minutes, a zone without a time.
 */
export function dateProblem(text: string): string | undefined {
  if (parseDateRange(text) !== undefined) return undefined;
  const t = text.trim();
  if (/T\d{1,2}(?:Z|[+-]\d{2}:?\d{2})?$/.test(t)) return 'a time needs hours and minutes (hh:mm)';
  if (/^\d{4}(?:-\d{2}){0,2}(?:Z|[+-]\d{2}:\d{2})$/.test(t)) return 'a time zone needs a time before it';
  return 'expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.fff]][Z|(+|-)hh:mm]';
}

/**
 * Widens a query range for `ap` by 10% of the distance between its start and now, as the spec recommends
 * (http://hl7.org/fhir/R4/search.html#prefix), and at least by its own width. Same rule as the SQL builder.
 */
export function approximateRange(range: DateRange, now: number): DateRange {
  const delta = Math.max(Math.round(Math.abs(now - range.start) * 0.1), range.end - range.start);
  return { start: range.start - delta, end: range.end + delta };
}

/**
 * The reference semantics of a date prefix (http://hl7.org/fhir/R4/search.html#prefix): whether a target range
 * (from the index) matches a query range. The SQL builder mirrors these comparisons.
 */
export function dateRangeMatches(prefix: Prefix, query: DateRange, target: DateRange, now = Date.now()): boolean {
  const contained = target.start >= query.start && target.end <= query.end;
  switch (prefix) {
    case 'eq':
      return contained;
    case 'ne':
      return !contained;
    case 'gt':
      return target.end > query.end;
    case 'lt':
      return target.start < query.start;
    case 'ge':
      return target.end > query.end || contained;
    case 'le':
      return target.start < query.start || contained;
    case 'sa':
      return target.start >= query.end;
    case 'eb':
      return target.end <= query.start;
    case 'ap': {
      const wide = approximateRange(query, now);
      return target.start < wide.end && target.end > wide.start;
    }
  }
}

/**
 * The reference semantics of a number / quantity prefix against an indexed value: eq / ne / ap use the query's
 * implicit precision range [lower, upper), the ordered prefixes compare with the value itself.
 */
export function numberMatches(
  prefix: Prefix,
  query: { value: number; lower: number; upper: number },
  target: number,
): boolean {
  switch (prefix) {
    case 'eq':
    case 'ap':
      return target >= query.lower && target < query.upper;
    case 'ne':
      return !(target >= query.lower && target < query.upper);
    case 'gt':
    case 'sa':
      return target > query.value;
    case 'lt':
    case 'eb':
      return target < query.value;
    case 'ge':
      return target >= query.value;
    case 'le':
      return target <= query.value;
  }
}

/** Formats a range back as the shortest date text whose precision covers exactly that range, if there is one. */
export function formatDateRange(range: DateRange): string | undefined {
  const iso = new Date(range.start).toISOString();
  const candidates = [
    iso.slice(0, 4),
    iso.slice(0, 7),
    iso.slice(0, 10),
    `${iso.slice(0, 16)}Z`,
    `${iso.slice(0, 19)}Z`,
    iso,
  ];
  for (const c of candidates) {
    const r = parseDateRange(c);
    if (r && r.start === range.start && r.end === range.end) return c;
  }
  return undefined;
}
