// Small structural validators for the terminology/ JSON files. Every failure names the file and the entry, so a
// broken data file stops start-up with a message a person can act on.

/** A terminology data file is missing, unreadable or malformed. */
export class TerminologyError extends Error {
  override name = 'TerminologyError';
}

/** Validation context: the file name and the JSON path of the entry being checked. */
export class At {
  constructor(
    readonly file: string,
    readonly path: string = '',
  ) {}

  /** A child path (`.key` or `[i]`). */
  at(key: string | number): At {
    return new At(
      this.file,
      typeof key === 'number' ? `${this.path}[${key}]` : this.path ? `${this.path}.${key}` : key,
    );
  }

  fail(message: string): never {
    throw new TerminologyError(`terminology/${this.file}: ${this.path || '(root)'}: ${message}`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Requires an object. */
export function obj(v: unknown, at: At): Record<string, unknown> {
  if (!isRecord(v)) at.fail(`expected an object, got ${Array.isArray(v) ? 'an array' : typeof v}`);
  return v;
}

/** Requires a non-empty string. */
export function str(v: unknown, at: At): string {
  if (typeof v !== 'string' || v.length === 0) at.fail(`expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
}

/** Requires an array. */
export function arr(v: unknown, at: At): unknown[] {
  if (!Array.isArray(v)) at.fail(`expected an array, got ${typeof v}`);
  return v;
}

/** Requires an array of non-empty strings. */
export function strings(v: unknown, at: At): string[] {
  return arr(v, at).map((s, i) => str(s, at.at(i)));
}

/** Requires a finite number. */
export function num(v: unknown, at: At): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) at.fail(`expected a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Requires one of the allowed strings. */
export function oneOf<T extends string>(v: unknown, allowed: readonly T[], at: At): T {
  const s = str(v, at);
  if (!(allowed as readonly string[]).includes(s)) at.fail(`"${s}" is not one of ${allowed.join(', ')}`);
  return s as T;
}

/** Requires a code of a known set. */
export function known(v: unknown, codes: ReadonlySet<string>, what: string, at: At): string {
  const s = str(v, at);
  if (!codes.has(s)) at.fail(`unknown ${what} "${s}"`);
  return s;
}
