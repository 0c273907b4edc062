// Finding requests of a phantom: parsing "nodule@right_upper:12mm,pleural_effusion@left_lung:large", validation
// against findings.json, and random draws for training sets. Pure; errors are PhantomSpecError with a clear message.
import catalogJson from './findings.json' with { type: 'json' };
import type { Rng } from './prng.js';

interface SizeRule {
  min: number;
  max: number;
  random: [number, number];
}
interface CatalogEntry {
  locations: string[];
  defaultLocation: string;
  size?: SizeRule;
  severity?: Record<string, Record<string, number>>;
  /** Locations random draws use (default: all allowed); large lesions skip the small lobes. */
  randomLocations?: string[];
}
export interface Catalog {
  lobes: Record<string, number[]>;
  findings: Record<string, CatalogEntry>;
  nodeStations: Record<string, [number, number, number][]>;
  massSites: Record<string, [number, number, number][]>;
}

/** The findings catalog (findings.json). */
export const CATALOG = catalogJson as unknown as Catalog;

/** Names of the findings the phantom can place, in catalog order. */
export const FINDING_NAMES: readonly string[] = Object.keys(CATALOG.findings);

/** One requested finding. */
export interface FindingSpec {
  abnormality: string;
  location: string;
  /** Diameter (nodule, mass) or short axis (lymph node) in mm. */
  sizeMm?: number;
  /** Severity word for findings graded by severity. */
  severity?: string;
}

export class PhantomSpecError extends Error {
  override name = 'UsageError';
}

/** Severity words allowed for a finding (empty when it is sized in mm). */
export function severitiesOf(abnormality: string): string[] {
  return Object.keys(CATALOG.findings[abnormality]?.severity ?? {});
}

/** Rendering parameters of a finding at its severity. */
export function severityParams(spec: FindingSpec): Record<string, number> {
  const table = CATALOG.findings[spec.abnormality]?.severity;
  const params = table && spec.severity ? table[spec.severity] : undefined;
  if (!params) throw new PhantomSpecError(`${spec.abnormality} needs a severity`);
  return params;
}

function parseOne(text: string): FindingSpec {
  const m = /^([a-z_]+)(?:@([a-z_]+))?(?::([A-Za-z0-9.]+))?$/.exec(text.trim());
  if (!m)
    throw new PhantomSpecError(
      `finding "${text}" must look like name[@location][:size|severity], e.g. nodule@right_upper:12mm`,
    );
  const abnormality = m[1]!;
  const entry = CATALOG.findings[abnormality];
  if (!entry) throw new PhantomSpecError(`unknown finding "${abnormality}" (known: ${FINDING_NAMES.join(', ')})`);
  const location = m[2] ?? entry.defaultLocation;
  if (!entry.locations.includes(location)) {
    throw new PhantomSpecError(
      `location "${location}" is not allowed for ${abnormality} (allowed: ${entry.locations.join(', ')})`,
    );
  }
  const spec: FindingSpec = { abnormality, location };
  const qual = m[3];
  if (entry.size) {
    if (qual === undefined) {
      spec.sizeMm = Math.round((entry.size.random[0] + entry.size.random[1]) / 2);
    } else {
      const sm = /^(\d+(?:\.\d+)?)(mm|cm)$/.exec(qual);
      if (!sm) throw new PhantomSpecError(`size "${qual}" of ${abnormality} must be a number with mm or cm, e.g. 12mm`);
      const mm = Number(sm[1]) * (sm[2] === 'cm' ? 10 : 1);
      if (mm < entry.size.min || mm > entry.size.max) {
        const hint = abnormality === 'nodule' && mm > entry.size.max ? '; use mass for larger lesions' : '';
        throw new PhantomSpecError(
          `size ${mm} mm of ${abnormality} is outside ${entry.size.min}-${entry.size.max} mm${hint}`,
        );
      }
      spec.sizeMm = mm;
    }
  } else {
    const allowed = severitiesOf(abnormality);
    const severity = qual ?? allowed[Math.floor(allowed.length / 2)]!;
    if (!allowed.includes(severity)) {
      throw new PhantomSpecError(`severity "${severity}" of ${abnormality} is not one of ${allowed.join(', ')}`);
    }
    spec.severity = severity;
  }
  return spec;
}

const SINGLETONS = new Set([
  'cardiomegaly',
  'pericardial_effusion',
  'coronary_artery_disease',
  'atherosclerosis',
  'emphysema',
]);

/** Checks a list of findings for combinations the phantom cannot draw (duplicates of whole-organ findings). */
export function checkCombination(specs: readonly FindingSpec[]): void {
  const seen = new Set<string>();
  for (const s of specs) {
    const key = SINGLETONS.has(s.abnormality) ? s.abnormality : `${s.abnormality}@${s.location}`;
    if (seen.has(key) && s.abnormality !== 'nodule' && s.abnormality !== 'lymphadenopathy') {
      throw new PhantomSpecError(
        `${s.abnormality} is requested twice${SINGLETONS.has(s.abnormality) ? '' : ` at ${s.location}`}`,
      );
    }
    seen.add(key);
  }
}

/** Parses a comma-separated finding list (empty string = a normal chest). */
export function parseFindings(text: string): FindingSpec[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const specs = parts.map(parseOne);
  checkCombination(specs);
  return specs;
}

/** Draws a random set of findings (0-4, a quarter of draws normal) for training sets. */
export function randomFindings(rng: Rng): FindingSpec[] {
  if (rng.next() < 0.25) return [];
  const count = rng.int(1, 4);
  const names = [...FINDING_NAMES];
  const specs: FindingSpec[] = [];
  for (let n = 0; n < count && names.length > 0; n++) {
    const abnormality = names.splice(rng.int(0, names.length - 1), 1)[0]!;
    const entry = CATALOG.findings[abnormality]!;
    const spec: FindingSpec = { abnormality, location: rng.pick(entry.randomLocations ?? entry.locations) };
    if (entry.size) spec.sizeMm = rng.int(entry.size.random[0], entry.size.random[1]);
    else spec.severity = rng.pick(severitiesOf(abnormality));
    specs.push(spec);
  }
  return specs;
}

/** Formats a spec back to the command-line syntax. */
export function formatFinding(s: FindingSpec): string {
  const q = s.sizeMm !== undefined ? `:${s.sizeMm}mm` : s.severity ? `:${s.severity}` : '';
  return `${s.abnormality}@${s.location}${q}`;
}
