// Applies a segment map (mappings/segments/*.json) to the segments of one message group: each rule reads an HL7
// field, converts it by its v2 data type and places it at a FHIR element path ("identifier[]" appends each
// repetition, "period.start" nests, "category[].coding[]" appends a wrapped value).
import { isDeepStrictEqual } from 'node:util';
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

/**
 * How the message spoke to the elements it maps, for updating a stored resource with HL7 v2 semantics (v2.5.1
 * 2.5.3): a field left empty leaves the stored value alone, one sent as the null "" deletes it.
 */
export interface FieldUse {
  /** Top-level elements whose fields were sent ("" or an unusable value) but gave no value: not kept. */
  cleared: string[];
  /** Each rule's defaults (`absent`): `omitted` when applied because the field was left empty, so they yield. */
  defaults: { to: string; values: Record<string, unknown>; omitted: boolean }[];
}

export interface MappedElements {
  value: Record<string, unknown>;
  problems: FieldProblem[];
  fields: FieldUse;
}

/** Message-wide context of a conversion. */
export interface MapEnv {
  /** Offset for times sent without one (FHIR requires one): the sender's (MSH-7), else the configured default. */
  timezone: string;
  /** The sending facility's namespace (MSH-4, else MSH-3), for rules with `authority: "sender"`. */
  authority?: string;
}

type Segments = Record<string, Segment | undefined>;

type Converter = (cfg: MappingConfig, rep: Rep, rule: Rule, env: MapEnv) => unknown;

const CONVERTERS: Record<string, Converter> = {
  CX: (cfg, rep, rule, env) => dt.cx(cfg, rep, rule.authority === 'sender' ? env.authority : undefined),
  EI: (cfg, rep) => dt.ei(cfg, rep),
  XPN: (cfg, rep) => dt.xpn(cfg, rep),
  XAD: (_cfg, rep) => dt.xad(rep),
  XTN: (_cfg, rep) => dt.xtn(rep),
  CWE: (cfg, rep) => dt.cwe(cfg, rep),
  XCN: (cfg, rep) => dt.xcn(cfg, rep),
  NDL: (cfg, rep) => dt.ndl(cfg, rep),
  date: (_cfg, rep) => dt.date(rep.c(1)),
  dateTime: (_cfg, rep, _rule, env) => dt.dateTime(rep.c(1), env.timezone),
  instant: (_cfg, rep, _rule, env) => dt.instant(rep.c(1), env.timezone),
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

function convert(cfg: MappingConfig, rule: Rule, rep: Rep, env: MapEnv): unknown {
  const converter = CONVERTERS[rule.type];
  if (!converter) throw new Error(`unknown converter type "${rule.type}"`);
  return converter(cfg, rep, rule, env);
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

/** The top-level element of a path ("name[]" -> "name", "period.start" -> "period"). */
export const topElement = (path: string): string => path.split('.')[0]!.replace(/\[\]$/, '');

/** Places a value at an element path (see the file comment). */
export function place(target: Record<string, unknown>, path: string, value: unknown): void {
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

/** Removes a value placed at `path` (deep-equal items of a list; a single value when equal). */
export function unplace(target: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split('.') as [string, ...string[]];
  const key = head.replace(/\[\]$/, '');
  const item = nest(rest, value);
  const current = target[key];
  if (head.endsWith('[]') && Array.isArray(current)) {
    const left = current.filter((x) => !isDeepStrictEqual(x, item));
    if (left.length) target[key] = left;
    else delete target[key];
  } else if (isDeepStrictEqual(current, item)) delete target[key];
}

/** Places one rule's values in `value`; returns whether the field was sent and whether it gave a value. */
function applyRule(
  cfg: MappingConfig,
  rule: Rule,
  segs: Segments,
  env: MapEnv,
  value: Record<string, unknown>,
  problems: FieldProblem[],
): { sent: boolean; placed: boolean } {
  const sources = Array.isArray(rule.from) ? rule.from : [rule.from];
  const hit = sources.map((p) => ({ p, ...field(segs, p) })).find((f) => f.seg && f.seg.rawField(f.n) !== '');
  let placed = false;
  const reps = !hit?.seg ? [] : rule.to.includes('[]') ? hit.seg.reps(hit.n) : [hit.seg.rep(hit.n)];
  // A required field sent as the null "" is as missing as an empty one.
  const nulled = reps.length > 0 && reps.every((r) => r.raw === '""');
  if ((!hit?.seg || nulled) && rule.required) problems.push({ field: sources[0]!, kind: 'missing', required: true });
  for (const rep of reps) {
    if (rep.isEmpty || rep.raw === '""') continue;
    const v = convert(cfg, rule, rep, env);
    if (v === undefined) {
      const kind = rule.vocabulary ? 'unknown-code' : 'bad-value';
      if (rule.required || rule.vocabulary) problems.push({ field: hit!.p, kind, required: Boolean(rule.required) });
      continue;
    }
    const withSet = rule.set && typeof v === 'object' ? { ...(v as object), ...rule.set } : v;
    place(value, rule.to, withSet);
    placed = true;
  }
  return { sent: hit !== undefined, placed };
}

/** Maps the segments of one group by a segment map; unmapped and empty fields are left out. */
export function applySegmentMap(
  cfg: MappingConfig,
  map: SegmentMap,
  segs: Segments,
  env: MapEnv = { timezone: cfg.messages.defaultTimezone },
): MappedElements {
  const value: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  const sent = new Set<string>();
  const valued = new Set<string>();
  const defaults: FieldUse['defaults'] = [];
  for (const [to, v] of Object.entries(map.fixed ?? {})) place(value, to, structuredClone(v));
  for (const rule of map.rules) {
    const r = applyRule(cfg, rule, segs, env, value, problems);
    if (r.sent) sent.add(topElement(rule.to));
    if (r.placed) valued.add(topElement(rule.to));
    // What the resource says when the message gives no usable value (US Core: gender unknown, name data-absent).
    if (!r.placed) for (const [to, v] of Object.entries(rule.absent ?? {})) place(value, to, structuredClone(v));
    if (rule.absent) defaults.push({ to: rule.to, values: rule.absent, omitted: !r.placed && !r.sent });
  }
  const cleared = [...sent].filter((e) => !valued.has(e));
  return { value, problems, fields: { cleared, defaults } };
}
