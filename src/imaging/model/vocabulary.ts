// Finds the ct-abnormality and ct-location CodeSystems under terminology/ (whatever the file names) and returns their
// codes, so a manifest's labels can be checked against the product's own vocabulary at load.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CodeSystem, CodeSystemConcept } from 'fhir/r4.js';
import type { LabelVocabulary } from './manifest.js';

async function jsonFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await jsonFiles(path)));
    else if (e.name.endsWith('.json')) out.push(path);
  }
  return out;
}

function collect(concepts: CodeSystemConcept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    into.add(c.code);
    collect(c.concept, into);
  }
}

function isCodeSystem(doc: unknown): doc is CodeSystem {
  return typeof doc === 'object' && doc !== null && (doc as { resourceType?: unknown }).resourceType === 'CodeSystem';
}

/** Reads the codes of CodeSystems whose id or url ends with `ct-abnormality` / `ct-location` (FHIR R4 CodeSystem).
 * Returns undefined when either is absent, so callers can fall back to syntax-only checks. */
export async function loadLabelVocabulary(terminologyDir = 'terminology'): Promise<LabelVocabulary | undefined> {
  const abnormality = new Set<string>();
  const location = new Set<string>();
  for (const file of await jsonFiles(terminologyDir)) {
    let doc: unknown;
    try {
      doc = JSON.parse(await readFile(file, 'utf8'));
    } catch {
      continue; // not ours to judge; the terminology module validates its own files
    }
    if (!isCodeSystem(doc)) continue;
    const ids = [doc.id ?? '', doc.url ?? ''];
    if (ids.some((s) => s.endsWith('ct-abnormality'))) collect(doc.concept, abnormality);
    else if (ids.some((s) => s.endsWith('ct-location'))) collect(doc.concept, location);
  }
  return abnormality.size > 0 && location.size > 0 ? { abnormality, location } : undefined;
}
