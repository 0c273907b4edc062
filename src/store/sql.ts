// SQL fragments with positional parameters, shared by the repository, history and search builders.
// Fragments are written with `?` placeholders and concatenated in textual order, so their parameter lists stay
// aligned; `render` turns them into `$1, $2, ...` for PostgreSQL. User values only ever travel as parameters.

export type Dialect = 'sqlite' | 'postgres';

/** A piece of SQL text plus the parameters of its `?` placeholders, in order. */
export interface Frag {
  sql: string;
  params: unknown[];
}

/** Tagged template: `sql\`a = ${v}\`` makes `a = ?` with [v]; a Frag interpolated is spliced in with its params. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): Frag {
  let text = strings[0] ?? '';
  const params: unknown[] = [];
  values.forEach((v, i) => {
    if (isFrag(v)) {
      text += v.sql;
      params.push(...v.params);
    } else {
      text += '?';
      params.push(v);
    }
    text += strings[i + 1] ?? '';
  });
  return { sql: text, params };
}

/** Raw SQL text without parameters (identifiers and keywords chosen by code, never by users). */
export function raw(text: string): Frag {
  return { sql: text, params: [] };
}

export function isFrag(v: unknown): v is Frag {
  return typeof v === 'object' && v !== null && 'sql' in v && 'params' in v && Array.isArray((v as Frag).params);
}

/** Joins fragments with a separator. */
export function join(frags: Frag[], separator: string): Frag {
  return { sql: frags.map((f) => f.sql).join(separator), params: frags.flatMap((f) => f.params) };
}

/** `(a) OR (b)`; an empty list is false. */
export function or(frags: Frag[]): Frag {
  if (frags.length === 0) return raw('1 = 0');
  if (frags.length === 1) return frags[0]!;
  return join(
    frags.map((f) => ({ sql: `(${f.sql})`, params: f.params })),
    ' OR ',
  );
}

/** `(a) AND (b)`; an empty list is true. */
export function and(frags: Frag[]): Frag {
  if (frags.length === 0) return raw('1 = 1');
  if (frags.length === 1) return frags[0]!;
  return join(
    frags.map((f) => ({ sql: `(${f.sql})`, params: f.params })),
    ' AND ',
  );
}

/** `?, ?, ?` for a list of values (the caller guarantees a non-empty list). */
export function list(values: readonly unknown[]): Frag {
  return { sql: values.map(() => '?').join(', '), params: [...values] };
}

/** The final SQL text for a dialect: PostgreSQL numbers its placeholders. */
export function render(frag: Frag, dialect: Dialect): [string, unknown[]] {
  if (dialect === 'sqlite') return [frag.sql, frag.params];
  let n = 0;
  return [frag.sql.replace(/\?/g, () => `$${++n}`), frag.params];
}

/** Escapes LIKE wildcards; used with `ESCAPE '\'`. */
export function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The smallest string greater than every string starting with `prefix` (bytewise/codepoint order). */
export function prefixUpperBound(prefix: string): string {
  const chars = Array.from(prefix);
  const last = chars.pop();
  if (last === undefined) return '\u{10FFFF}';
  const cp = last.codePointAt(0)!;
  return chars.join('') + String.fromCodePoint(Math.min(cp + 1, 0x10ffff));
}

/** Integer milliseconds safe for a BIGINT column (open ends of periods become the extreme instants). */
export const MAX_INSTANT = 8_640_000_000_000_000;
export function clampInstant(ms: number): number {
  if (Number.isNaN(ms)) return 0;
  if (ms > MAX_INSTANT) return MAX_INSTANT;
  if (ms < -MAX_INSTANT) return -MAX_INSTANT;
  return Math.round(ms);
}
