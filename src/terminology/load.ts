// Loads terminology/ once per process: CodeSystems, ConceptMaps, the extraction vocabulary and the critical-findings
// list, each validated (a broken file is a TerminologyError naming file and entry) and the vocabulary compiled.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodeSystem, ConceptMap } from 'fhir/r4.js';
import type { LabelMap, LabelMapTarget } from '../reports/labels.js';
import { compileVocabulary, type Vocabulary, type VocabularySource } from '../reports/vocabulary.js';
import * as files from './files.js';
import {
  CT_ABNORMALITY,
  CT_FHIR_WORKFLOW,
  CT_LOCATION,
  CT_RATE_18,
  MAP_ABNORMALITY_CT_RATE,
  MAP_ABNORMALITY_DICOM,
  MAP_ABNORMALITY_RADLEX,
  MAP_ABNORMALITY_SNOMED,
  MAP_LOCATION_SNOMED,
} from './systems.js';
import { At, TerminologyError, arr, known, obj, oneOf, str } from './validate.js';

/** Triage priority of a critical finding (FHIR request-priority codes). */
export type TriagePriority = 'stat' | 'asap' | 'urgent';

/** Everything under terminology/, validated and compiled. */
export interface Terminology {
  readonly codeSystems: ReadonlyMap<string, CodeSystem>;
  readonly conceptMaps: ReadonlyMap<string, ConceptMap>;
  readonly vocabulary: Vocabulary;
  /** ct-abnormality -> CT-RATE 18 labels, compiled from the ConceptMap (labels in CodeSystem order, by display). */
  readonly ctRate18: LabelMap;
  /** The 83 abnormalities in CT-Net output order (no other_disease). */
  readonly rad83: readonly string[];
  readonly criticalFindings: ReadonlyMap<string, { priority: TriagePriority; reason: string }>;
}

/** The terminology/ folder shipped with the project. */
export const DEFAULT_TERMINOLOGY_DIR = fileURLToPath(new URL('../../terminology/', import.meta.url));

/** One JSON file of `dir`, parsed; a TerminologyError naming the file when it cannot be read or parsed. */
export function readJson(dir: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    throw new TerminologyError(`terminology/${file}: cannot read: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new TerminologyError(
      `terminology/${file}: invalid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** Compiles the CT-RATE ConceptMap into label targets: displays are the CT-RATE names, dependsOn the locations. */
export function compileLabelMap(map: ConceptMap, labels: CodeSystem): LabelMap {
  const display = new Map((labels.concept ?? []).map((c) => [c.code, c.display ?? c.code]));
  const targets = new Map<string, LabelMapTarget[]>();
  const grouped = new Map<string, { label: string; locations: Set<string> | null }>();
  for (const group of map.group ?? []) {
    for (const el of group.element ?? []) {
      for (const t of el.target ?? []) {
        if (t.equivalence === 'unmatched' || !t.code || !el.code) continue;
        const label = display.get(t.code) ?? t.code;
        const key = `${el.code}|${label}`;
        const deps = (t.dependsOn ?? []).map((d) => d.value);
        let entry = grouped.get(key);
        if (!entry) {
          entry = { label, locations: deps.length > 0 ? new Set() : null };
          grouped.set(key, entry);
          const list = targets.get(el.code) ?? [];
          list.push(entry);
          targets.set(el.code, list);
        }
        if (deps.length === 0) entry.locations = null;
        else if (entry.locations) for (const d of deps) entry.locations.add(d);
      }
    }
  }
  return { labels: (labels.concept ?? []).map((c) => c.display ?? c.code), targets };
}

/** Reads and validates every terminology file in `dir` (no caching; see getTerminology). */
export function loadTerminology(dir: string = DEFAULT_TERMINOLOGY_DIR): Terminology {
  const read = (file: string): [unknown, At] => [readJson(dir, file), new At(file)];
  const abn = files.codeSystem(...read('codesystem-ct-abnormality.json'), CT_ABNORMALITY, true);
  const loc = files.codeSystem(...read('codesystem-ct-location.json'), CT_LOCATION, true);
  const rate = files.codeSystem(...read('codesystem-ct-rate-18.json'), CT_RATE_18, false);
  const workflow = files.codeSystem(...read('codesystem-ct-fhir-workflow.json'), CT_FHIR_WORKFLOW, false);
  const abnCodes = new Set(abn.codes.map((c) => c.code));
  const locCodes = new Set(loc.codes.map((c) => c.code));
  const rateCodes = new Set(rate.codes.map((c) => c.code));
  const maps: [string, string, ReadonlySet<string>, ReadonlySet<string> | null][] = [
    ['conceptmap-ct-abnormality-to-snomed.json', MAP_ABNORMALITY_SNOMED, abnCodes, null],
    ['conceptmap-ct-abnormality-to-radlex.json', MAP_ABNORMALITY_RADLEX, abnCodes, null],
    ['conceptmap-ct-abnormality-to-dicom.json', MAP_ABNORMALITY_DICOM, abnCodes, null],
    ['conceptmap-ct-location-to-snomed.json', MAP_LOCATION_SNOMED, locCodes, null],
    ['conceptmap-ct-abnormality-to-ct-rate-18.json', MAP_ABNORMALITY_CT_RATE, abnCodes, rateCodes],
  ];
  const conceptMaps = new Map<string, ConceptMap>();
  for (const [file, url, src, tgt] of maps)
    conceptMaps.set(url, files.conceptMap(...read(file), url, src, tgt, locCodes));
  const v = (file: string): [unknown, At] => read(`vocabulary/${file}`);
  const source: VocabularySource = {
    abnormalities: abn.codes,
    locations: loc.codes,
    abnormalityTerms: files.abnormalityTerms(...v('abnormality-terms.json'), abnCodes),
    locationTerms: files.locationTerms(...v('location-terms.json'), locCodes),
    sentenceRules: files.sentenceRules(...v('sentence-rules.json')),
    sizeRules: files.sizeRules(...v('size-rules.json'), abnCodes),
    sections: files.sections(...v('sections.json')),
    sanityRules: files.sanityRules(...v('sanity-rules.json'), abnCodes, locCodes),
  };
  const [critJson, critAt] = read('critical-findings.json');
  const criticalFindings = new Map<string, { priority: TriagePriority; reason: string }>();
  arr(obj(critJson, critAt).findings, critAt.at('findings')).forEach((f, i) => {
    const fat = critAt.at('findings').at(i);
    const o = obj(f, fat);
    const code = known(o.code, abnCodes, 'abnormality', fat.at('code'));
    criticalFindings.set(code, {
      priority: oneOf(o.priority, ['stat', 'asap', 'urgent'] as const, fat.at('priority')),
      reason: str(o.reason, fat.at('reason')),
    });
  });
  const ctnetIndex = (code: string): number => {
    const c = abn.resource.concept?.find((x) => x.code === code);
    return c?.property?.find((p) => p.code === 'ctnet-index')?.valueInteger ?? -1;
  };
  const rad83 = abn.codes
    .map((c) => c.code)
    .filter((c) => ctnetIndex(c) >= 0)
    .sort((a, b) => ctnetIndex(a) - ctnetIndex(b));
  return {
    codeSystems: new Map([
      [CT_ABNORMALITY, abn.resource],
      [CT_LOCATION, loc.resource],
      [CT_RATE_18, rate.resource],
      [CT_FHIR_WORKFLOW, workflow.resource],
    ]),
    conceptMaps,
    vocabulary: compileVocabulary(source),
    ctRate18: compileLabelMap(conceptMaps.get(MAP_ABNORMALITY_CT_RATE)!, rate.resource),
    rad83,
    criticalFindings,
  };
}

const cache = new Map<string, Terminology>();

/** The terminology of `dir`, loaded once and cached for the life of the process. */
export function getTerminology(dir: string = DEFAULT_TERMINOLOGY_DIR): Terminology {
  let t = cache.get(dir);
  if (!t) {
    t = loadTerminology(dir);
    cache.set(dir, t);
  }
  return t;
}
