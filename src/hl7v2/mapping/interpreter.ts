// Applies a segment map (mappings/segments/*.json) to the segments of one message group: each rule reads an HL7
// field, converts it by its v2 data type and places it at a FHIR element path ("identifier[]" appends each
// repetition, "period.start" nests, "category[].coding[]" appends a wrapped value).
import type { Rep, Segment } from '../message.js';
import type { MappingConfig, Rule, SegmentMap, Vocabulary } from './config.js';
import * as dt from './datatypes.js';

/** A problem in the message found while mapping; becomes an ERR segment. */
export interface FieldProblem {
  /** HL7 field, e.g. "OBR-25". */
  field: string;
  kind: 'missing' | 'unknown-code' | 'bad-value';
  /** From a rule marked required: the message cannot be applied without it. */
  required: boolean;
}

export interface MappedElements {
  value: Record<string, unknown>;
  problems: FieldProblem[];
}

type Segments = Record<string, Segment | undefined>;

type Converter = (cfg: MappingConfig, rep: Rep, rule: Rule) => unknown;

const CONVERTERS: Record<string, Converter> = {
  CX: (cfg, rep) => dt.cx(cfg, rep),
  EI: (cfg, rep) => dt.ei(cfg, rep),
  XPN: (cfg, rep) => dt.xpn(cfg, rep),
  XAD: (_cfg, rep) => dt.xad(rep),
  XTN: (_cfg, rep) => dt.xtn(rep),
  CWE: (cfg, rep) => dt.cwe(cfg, rep),
  XCN: (cfg, rep) => dt.xcn(cfg, rep),
  NDL: (cfg, rep) => dt.ndl(cfg, rep),
  date: (_cfg, rep) => dt.date(rep.c(1)),
  dateTime: (cfg, rep) => dt.dateTime(rep.c(1), cfg.messages.defaultTimezone),
  instant: (cfg, rep) => dt.instant(rep.c(1), cfg.messages.defaultTimezone),
  string: (_cfg, rep) => rep.text || undefined,
  boolean: (_cfg, rep) => (rep.c(1) === 'Y' ? true : rep.c(1) === 'N' ? false : undefined),
  code: (cfg, rep, rule) => dt.lookup(vocabulary(cfg, rule), rep.c(1)),
  coding: (cfg, rep, rule) => {
    const vocab = vocabulary(cfg, rule);
    const code = dt.lookup(vocab, rep.c(1));
    if (code === undefined) return undefined;
    const coding: Record<string, string> = { code };
    if (vocab.system) coding.system = vocab.system;
    const display = vocab.display?.[code];
    if (display) coding.display = display;
    return coding;
  },
};

function vocabulary(cfg: MappingConfig, rule: Rule): Vocabulary {
  const vocab = cfg.vocabularies[rule.vocabulary ?? ''];
  if (!vocab) throw new Error(`rule for ${String(rule.from)} needs a vocabulary`);
  return vocab;
}

function convert(cfg: MappingConfig, rule: Rule, rep: Rep): unknown {
  const converter = CONVERTERS[rule.type];
  if (!converter) throw new Error(`unknown converter type "${rule.type}"`);
  return converter(cfg, rep, rule);
}

function field(segs: Segments, path: string): { seg?: Segment; n: number } {
  const m = /^([A-Z][A-Z0-9]{2})-(\d+)$/.exec(path);
  if (!m) throw new Error(`bad field "${path}" in a mapping rule`);
  return { seg: segs[m[1]!], n: Number(m[2]) };
}

/** Builds the nested value for a path below its first element ("coding[]" wraps in an array). */
function nest(parts: string[], value: unknown): unknown {
  if (parts.length === 0) return value;
  const [head, ...rest] = parts as [string, ...string[]];
  const inner = nest(rest, value);
  return head.endsWith('[]') ? { [head.slice(0, -2)]: [inner] } : { [head]: inner };
}

function place(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  if (head.endsWith('[]')) {
    const key = head.slice(0, -2);
    const arr = (target[key] as unknown[] | undefined) ?? [];
    arr.push(nest(rest, value));
    target[key] = arr;
    return;
  }
  if (rest.length === 0) {
    target[head] = value;
    return;
  }
  const child = (target[head] as Record<string, unknown> | undefined) ?? {};
  place(child, rest.join('.'), value);
  target[head] = child;
}

/** Maps the segments of one group by a segment map; unmapped and empty fields are left out. */
export function applySegmentMap(cfg: MappingConfig, map: SegmentMap, segs: Segments): MappedElements {
  const value: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const [to, v] of Object.entries(map.fixed ?? {})) place(value, to, structuredClone(v));
  for (const rule of map.rules) {
    const sources = Array.isArray(rule.from) ? rule.from : [rule.from];
    const hit = sources.map((p) => ({ p, ...field(segs, p) })).find((f) => f.seg && f.seg.rawField(f.n) !== '');
    let placed = false;
    const reps = !hit?.seg ? [] : rule.to.includes('[]') ? hit.seg.reps(hit.n) : [hit.seg.rep(hit.n)];
    if (!hit?.seg && rule.required) problems.push({ field: sources[0]!, kind: 'missing', required: true });
    for (const rep of reps) {
      if (rep.isEmpty || rep.raw === '""') continue;
      const v = convert(cfg, rule, rep);
      if (v === undefined) {
        const kind = rule.vocabulary ? 'unknown-code' : 'bad-value';
        if (rule.required || rule.vocabulary) problems.push({ field: hit!.p, kind, required: Boolean(rule.required) });
        continue;
      }
      const withSet = rule.set && typeof v === 'object' ? { ...(v as object), ...rule.set } : v;
      place(value, rule.to, withSet);
      placed = true;
    }
    // What the resource says when the message gives no usable value (US Core: gender unknown, name data-absent).
    if (!placed) for (const [to, v] of Object.entries(rule.absent ?? {})) place(value, to, structuredClone(v));
  }
  return { value, problems };
}
