// CapabilityStatement generated from what the server really supports: resource types and search parameters from
// the registry, interactions from the router, operations registered in the context, and as supportedProfile only the
// profiles ct-fhir's own output conforms to (terminology/supported-profiles.json), not every profile the validator can
// check: clients such as Inferno read supportedProfile as a promise about the resources of that type.
// FHIR R4 CapabilityStatement: http://hl7.org/fhir/R4/capabilitystatement.html
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestResourceSearchParam,
} from 'fhir/r4.js';
import { DEFAULT_TERMINOLOGY_DIR, readJson } from '../terminology/load.js';
import { arr, At, obj, str, strings } from '../terminology/validate.js';
import type { FhirContext } from './context.js';
import { getResourceTypes, getSearchParams } from './search/registry.js';
import { knownProfiles } from './validation.js';

const TYPE_INTERACTIONS = [
  'read',
  'vread',
  'update',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
] as const;
const US_CORE_SERVER = 'http://hl7.org/fhir/us/core/CapabilityStatement/us-core-server';

/** Recursively freezes a value so that it can be shared (and its serialization cached) safely. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The array, or undefined when empty: FHIR JSON has no empty arrays (json.html), and the HL7 validator behind
 * Inferno's CapabilityStatement test rejects them ("Array cannot be empty").
 */
function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

/** A profile the server claims for a resource type (CapabilityStatement.rest.resource.supportedProfile). */
export interface SupportedProfile {
  type: string;
  url: string;
}

const SUPPORTED_PROFILES_FILE = 'supported-profiles.json';

/**
 * Reads and checks `supported-profiles.json` of a terminology folder: each entry names a resource type the server
 * serves; a profile the validator knows must constrain that type, and one it does not know must say why
 * (`notValidatedHere`) and list the `mandatory` elements the output is checked for instead (by the tests).
 */
export function loadSupportedProfiles(dir: string = DEFAULT_TERMINOLOGY_DIR): SupportedProfile[] {
  const at = new At(SUPPORTED_PROFILES_FILE).at('profiles');
  const entries = arr(obj(readJson(dir, SUPPORTED_PROFILES_FILE), new At(SUPPORTED_PROFILES_FILE)).profiles, at);
  const types = new Set(getResourceTypes());
  const validatable = new Map(knownProfiles().map((p) => [p.url, p.type]));
  return entries.map((e, i) => {
    const o = obj(e, at.at(i));
    const type = str(o.type, at.at(i).at('type'));
    if (!types.has(type)) at.at(i).at('type').fail(`"${type}" is not a resource type this server serves`);
    const url = str(o.url, at.at(i).at('url'));
    str(o.conformingOutput, at.at(i).at('conformingOutput'));
    const constrains = validatable.get(url);
    if (constrains !== undefined && constrains !== type) at.at(i).at('type').fail(`${url} constrains ${constrains}`);
    if (constrains === undefined) {
      str(o.notValidatedHere, at.at(i).at('notValidatedHere'));
      if (strings(o.mandatory, at.at(i).at('mandatory')).length === 0) at.at(i).at('mandatory').fail('empty');
    }
    return { type, url };
  });
}

// Read on first use (GET /metadata) and kept: the file ships with the release, like the rest of terminology/.
let shipped: SupportedProfile[] | undefined;

const published = new WeakMap<FhirContext, { operations: number; statement: CapabilityStatement }>();

/**
 * The server's CapabilityStatement, built once per context (rebuilt if operations are registered later) and frozen:
 * it describes the running server, so its date is when that description was made, and the HTTP layer can serialize
 * a frozen body once instead of per request.
 */
export function publishedCapabilityStatement(
  ctx: FhirContext,
  software: { name: string; version: string },
): CapabilityStatement {
  const cached = published.get(ctx);
  if (cached && cached.operations === ctx.operations.length) return cached.statement;
  const statement = deepFreeze(capabilityStatement(ctx, software));
  published.set(ctx, { operations: ctx.operations.length, statement });
  return statement;
}

/** Builds the server's CapabilityStatement (GET [base]/metadata). */
export function capabilityStatement(
  ctx: FhirContext,
  software: { name: string; version: string },
): CapabilityStatement {
  const profiles = (shipped ??= loadSupportedProfiles());
  const resource: CapabilityStatementRestResource[] = getResourceTypes().map((type) => {
    const searchParam: CapabilityStatementRestResourceSearchParam[] = getSearchParams(type)
      .filter((p) => !p.code.startsWith('_') || p.code === '_id' || p.code === '_lastUpdated')
      .map((p) => ({ name: p.code, type: p.type, definition: p.url }));
    const supportedProfile = profiles.filter((p) => p.type === type).map((p) => p.url);
    const entry: CapabilityStatementRestResource = {
      type: type as CapabilityStatementRestResource['type'],
      interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: 'full-support',
      conditionalUpdate: true,
      conditionalDelete: 'single',
      referencePolicy: ['literal', 'logical'],
      searchInclude: ['*'],
      searchRevInclude: ['*'],
      searchParam: nonEmpty(searchParam),
      operation: nonEmpty(
        ctx.operations
          .filter((op) => op.types === undefined || op.types.includes(type))
          .filter((op) => op.instance || op.types)
          .map((op) => ({ name: op.name, definition: op.definition })),
      ),
    };
    if (supportedProfile.length > 0) entry.supportedProfile = supportedProfile;
    return entry;
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    instantiates: [US_CORE_SERVER],
    software,
    implementation: { description: 'ct-fhir FHIR R4 server', url: ctx.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        resource,
        interaction: [{ code: 'transaction' }, { code: 'batch' }, { code: 'history-system' }],
        operation: nonEmpty(
          ctx.operations.filter((op) => op.system).map((op) => ({ name: op.name, definition: op.definition })),
        ),
      },
    ],
  };
}
