// The US Core 5.0.1 groups of Inferno's test kit for the profiles ct-fhir claims (metadata.yml of each
// lib/us_core_test_kit/generated/v5.0.1 group: search parameters, the searches in test order, must-support elements
// and references; comparators are the SHALL ones), what ct-fhir's output lacks of them and why, and profile
// conformance: the project's validator where it ships the profile, the profile's rules otherwise. The groups are data
// (groups.json); this loads and checks them, and holds what is code: slice matching and the profile rules.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from 'fhir/r4.js';
import { checkResource } from '../../../src/fhir/validation.js';
import { DEFAULT_TERMINOLOGY_DIR } from '../../../src/terminology/load.js';
import {
  children,
  codingIn,
  emptyElements,
  present,
  resolvePath,
  type GroupSpec,
  type Json,
  type ParamDef,
} from './matching.js';

const LOINC = 'http://loinc.org';

// --- The groups, as groups.json declares them ---

/** How groups.json says which elements a slice takes: a coding among `coding` (a CodeableConcept), or `equals`. */
interface SliceMatch {
  /** The child of the slice element to look at (the element itself when left out). */
  at?: string;
  /** The slice element has a coding of one of these (`system` left out: any system). */
  coding?: { system?: string; codes: string[] }[];
  equals?: string;
}
type GroupData = Omit<GroupSpec, 'slices'> & { slices: { name: string; path: string; match: SliceMatch }[] };

const GROUPS_FILE = new URL('./groups.json', import.meta.url);
const PARAM_TYPES: readonly ParamDef['type'][] = [
  'Reference',
  'CodeableConcept',
  'Coding',
  'Identifier',
  'HumanName',
  'Address',
  'date',
  'dateTime',
  'string',
  'token',
];

/** Checks a value of groups.json at `where` (`group <id>: <field>`), throwing when it is malformed. */
type Check = (value: unknown, where: string) => void;

function malformed(where: string, problem: string): never {
  throw new Error(`test/support/inferno/groups.json: ${where.replace(/:$/, '')}: ${problem}`);
}
/** `where`'s field `key`: `group <id>: a.b`. */
const field = (where: string, key: string): string => (where.endsWith(':') ? `${where} ${key}` : `${where}.${key}`);
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const expect =
  (what: string, ok: (value: unknown) => boolean): Check =>
  (value, where) => {
    if (!ok(value)) malformed(where, `expected ${what}, got ${JSON.stringify(value)}`);
  };
const isString = expect('a string', (v) => typeof v === 'string');
const isTrue = expect('true', (v) => v === true);
const isBoolean = expect('a boolean', (v) => typeof v === 'boolean');
const isParamType = expect(`one of ${PARAM_TYPES.join(', ')}`, (v) => PARAM_TYPES.includes(v as ParamDef['type']));
const listOf =
  (check: Check): Check =>
  (value, where) => {
    if (!Array.isArray(value)) malformed(where, `expected a list, got ${JSON.stringify(value)}`);
    value.forEach((item, i) => check(item, `${where}[${i}]`));
  };
const recordOf =
  (check: Check): Check =>
  (value, where) => {
    if (!isObject(value)) malformed(where, `expected an object, got ${JSON.stringify(value)}`);
    for (const [key, item] of Object.entries(value)) check(item, field(where, key));
  };
/** An object with these fields (a `?` after a name: optional) and no others. */
const shape =
  (fields: Record<string, Check>, extra?: (value: Json, where: string) => void): Check =>
  (value, where) => {
    if (!isObject(value)) malformed(where, `expected an object, got ${JSON.stringify(value)}`);
    const known = new Map(Object.entries(fields).map(([name, check]) => [name.replace(/\?$/, ''), check]));
    for (const key of Object.keys(value)) if (!known.has(key)) malformed(field(where, key), 'unknown key');
    for (const [name, check] of Object.entries(fields)) {
      const key = name.replace(/\?$/, '');
      if (value[key] !== undefined) check(value[key], field(where, key));
      else if (!name.endsWith('?')) malformed(field(where, key), 'missing');
    }
    extra?.(value, where);
  };
const isStrings = listOf(isString);

const checkGroup = shape({
  id: isString,
  type: isString,
  profile: isString,
  params: recordOf(shape({ path: isString, type: isParamType, 'values?': isStrings })),
  searches: listOf(
    shape({
      id: isString,
      names: isStrings,
      ...{ 'first?': isTrue, 'fixed?': isTrue, 'post?': isTrue, 'referenceVariants?': isTrue },
      ...{ 'tokens?': isStrings, 'comparators?': isStrings, 'multipleOr?': isStrings },
      ...{ 'perPatient?': isTrue, 'skip?': isString },
    }),
  ),
  provenanceExpected: isBoolean,
  mustSupport: isStrings,
  slices: listOf(
    shape({
      name: isString,
      path: isString,
      match: shape(
        { 'at?': isString, 'coding?': listOf(shape({ 'system?': isString, codes: isStrings })), 'equals?': isString },
        (m, where) => {
          if ((m.coding === undefined) === (m.equals === undefined)) malformed(where, 'needs one of coding and equals');
        },
      ),
    }),
  ),
  gaps: recordOf(isString),
  references: listOf(shape({ path: isString, targets: isStrings })),
  unconfirmed: recordOf(isString),
});

function sliceMatch(m: SliceMatch): (element: Json) => boolean {
  const at = (element: Json): unknown => (m.at === undefined ? element : element[m.at]);
  const { equals } = m;
  if (equals !== undefined) return (element) => at(element) === equals;
  const tests = m.coding!.map((c) => codingIn(c.system, c.codes));
  return (element) => tests.some((test) => test(at(element) as Json | undefined));
}

function loadGroups(): Map<string, GroupSpec> {
  const file: unknown = JSON.parse(readFileSync(GROUPS_FILE, 'utf8'));
  shape({ $comment: isString, groups: listOf(expect('an object', isObject)) })(file, 'top level:');
  const groups = new Map<string, GroupSpec>();
  ((file as Json).groups as Json[]).forEach((g, i) => {
    if (typeof g.id !== 'string' || g.id === '') malformed(`groups[${i}].id`, 'missing');
    if (groups.has(g.id)) malformed(`group ${g.id}`, 'declared twice');
    checkGroup(g, `group ${g.id}:`);
    const data = g as unknown as GroupData;
    groups.set(g.id, { ...data, slices: data.slices.map((s) => ({ ...s, match: sliceMatch(s.match) })) });
  });
  return groups;
}

const GROUPS = loadGroups();

function group(id: string): GroupSpec {
  const g = GROUPS.get(id);
  if (!g) throw new Error(`test/support/inferno/groups.json declares no group ${id}`);
  return g;
}

export const PATIENT: GroupSpec = group('us_core_v501_patient');
export const OBSERVATION: GroupSpec = group('us_core_v501_observation_imaging');
export const DIAGNOSTIC_REPORT: GroupSpec = group('us_core_v501_diagnostic_report_note');
export const SERVICE_REQUEST: GroupSpec = group('us_core_v501_service_request');
/** The report texts of HL7 v2 ORU^R01 reports (US Core clinical notes guidance; src/hl7v2/mapping/clinical-note.ts). */
export const DOCUMENT_REFERENCE: GroupSpec = group('us_core_v501_document_reference');
export const ENCOUNTER: GroupSpec = group('us_core_v501_encounter');
export const PROVENANCE: GroupSpec = group('us_core_v501_provenance');
export const ORGANIZATION_GROUP: GroupSpec = group('us_core_v501_organization');

// --- Profile conformance ---

export const claimed = JSON.parse(readFileSync(join(DEFAULT_TERMINOLOGY_DIR, 'supported-profiles.json'), 'utf8')) as {
  profiles: { type: string; url: string; mandatory?: string[] }[];
};

/** When a parent element is present, every instance of it has the child (cardinality 1..). */
function hasMandatory(resource: Resource, path: string): boolean {
  const parts = path.split('.');
  const parents = parts.length === 1 ? [resource] : resolvePath(resource, parts.slice(0, -1).join('.'));
  return (parts.length > 1 || parents.length > 0) && parents.every((p) => present(children(p, parts.at(-1)!)[0]));
}

const isPatientRef = (ref: unknown): boolean => typeof ref === 'string' && /^Patient\/[^/]+$/.test(ref);

/** Rules of the US Core 5.0.1 profiles the validator here does not ship, beyond their mandatory elements. */
const PROFILE_RULES: Record<string, (r: Json) => string[]> = {
  [OBSERVATION.profile]: (r) => [
    ...((r.category as Json[]).some(OBSERVATION.slices[0]!.match) ? [] : ['no imaging category']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  [DIAGNOSTIC_REPORT.profile]: (r) => [
    ...((r.category as Json[]).some(DIAGNOSTIC_REPORT.slices[0]!.match) ? [] : ['no us-core category']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  [SERVICE_REQUEST.profile]: (r) => [
    ...((r.category as Json[]).some((c) => SERVICE_REQUEST.slices[0]!.match(c)) ? [] : ['no us-core category']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  // provenance-1: onBehalfOf when the agent is a Practitioner or a Device.
  [PROVENANCE.profile]: (r) =>
    (r.agent as Json[])
      .filter((a) => /^(Device|Practitioner)\//.test(((a.who as Json).reference as string) ?? '') && !a.onBehalfOf)
      .map(() => 'provenance-1: agent.onBehalfOf missing'),
  [ORGANIZATION_GROUP.profile]: () => [],
  [DOCUMENT_REFERENCE.profile]: (r) => [
    ...((r.category as Json[]).some(DOCUMENT_REFERENCE.slices[0]!.match) ? [] : ['no us-core category']),
    ...(codingIn(LOINC, ['18748-4'])(r.type as Json) ? [] : ['type is not a LOINC document code']),
    ...((r.content as Json[]).every((c) => present((c.attachment as Json).url) || present((c.attachment as Json).data))
      ? []
      : ['us-core-6: attachment has neither url nor data']),
    ...(isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
  ],
  [ENCOUNTER.profile]: (r) => (isPatientRef((r.subject as Json).reference) ? [] : ['subject is not a Patient']),
};

export function conformance(g: GroupSpec, resource: Resource): string[] {
  const entry = claimed.profiles.find((p) => p.url === g.profile);
  assert.ok(entry, `${g.profile} is not claimed`);
  const validated = !entry.mandatory; // listed without mandatory elements: the validator has the profile
  const outcome = checkResource(resource, validated ? g.profile : undefined).outcome;
  const errors = outcome.issue
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .map((i) => `${i.expression?.join(',') ?? ''} ${i.diagnostics ?? ''}`);
  errors.push(...emptyElements(resource, resource.resourceType));
  for (const path of entry.mandatory ?? []) if (!hasMandatory(resource, path)) errors.push(`${path} missing`);
  if (!validated) errors.push(...PROFILE_RULES[g.profile]!(resource as unknown as Json));
  return errors.map((e) => `${resource.resourceType}/${resource.id}: ${e}`);
}
