// A small JSON-schema-like checker: each helper reads one field at a JSON path, records a precise problem
// ("labels[3].threshold must be a number in [0, 1], got 1.5") and returns a typed value or undefined.
// Collecting every problem (instead of stopping at the first) lets a model author fix a manifest in one pass.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** Collects problems found while reading one document. */
export class Checker {
  readonly problems: string[] = [];

  fail(path: string, message: string, ...value: [unknown?]): undefined {
    const got = value.length === 0 ? '' : `, got ${describe(value[0])}`;
    this.problems.push(`${path || '(root)'} ${message}${got}`);
    return undefined;
  }

  object(path: string, value: unknown): JsonObject | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
    return this.fail(path, 'must be an object', value);
  }

  /** Flags keys not in `allowed` (catches typos such as "treshold"). */
  onlyKeys(path: string, obj: JsonObject, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail(join(path, key), `is not a known field (allowed: ${allowed.join(', ')})`);
    }
  }

  string(path: string, value: unknown, pattern?: RegExp, hint?: string): string | undefined {
    if (typeof value !== 'string' || value.trim() === '') return this.fail(path, 'must be a non-empty string', value);
    if (pattern && !pattern.test(value)) return this.fail(path, `must match ${hint ?? pattern.source}`, value);
    return value;
  }

  number(path: string, value: unknown, min = -Infinity, max = Infinity): number | undefined {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      return this.fail(path, `must be a number in [${min}, ${max}]`, value);
    }
    return value;
  }

  integer(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      return this.fail(path, `must be an integer in [${min}, ${max}]`, value);
    }
    return value;
  }

  boolean(path: string, value: unknown): boolean | undefined {
    if (typeof value !== 'boolean') return this.fail(path, 'must be true or false', value);
    return value;
  }

  oneOf<T extends string>(path: string, value: unknown, options: readonly T[]): T | undefined {
    if (typeof value === 'string' && (options as readonly string[]).includes(value)) return value as T;
    return this.fail(path, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}`, value);
  }

  array(path: string, value: unknown, minLength = 0): unknown[] | undefined {
    if (!Array.isArray(value)) return this.fail(path, 'must be an array', value);
    if (value.length < minLength) return this.fail(path, `must have at least ${minLength} item(s)`, value);
    return value;
  }

  /** A fixed-length numeric tuple, e.g. a [z, y, x] shape or a [low, high] range. */
  numbers(path: string, value: unknown, length: number, each: (p: string, v: unknown) => number | undefined) {
    const arr = this.array(path, value);
    if (!arr) return undefined;
    if (arr.length !== length) return this.fail(path, `must have exactly ${length} items`, value);
    const out = arr.map((v, i) => each(`${path}[${i}]`, v));
    return out.every((v) => v !== undefined) ? (out as number[]) : undefined;
  }

  /** A [low, high] range with low < high (low <= high when `closed`, e.g. a confidence interval [1, 1]). */
  range(path: string, value: unknown, min = -Infinity, max = Infinity, closed = false): [number, number] | undefined {
    const r = this.numbers(path, value, 2, (p, v) => this.number(p, v, min, max));
    if (!r) return undefined;
    if (closed ? r[0]! > r[1]! : !(r[0]! < r[1]!)) {
      return this.fail(path, `must be [low, high] with low ${closed ? '<=' : '<'} high`, value);
    }
    return [r[0]!, r[1]!];
  }
}

/** Joins a JSON path and a key or index. */
export function join(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
