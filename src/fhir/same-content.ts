// Whether two versions of a resource say the same thing: everything but the server-assigned meta fields
// (versionId, lastUpdated) compared as canonical JSON. An update with the same content as the current version
// writes nothing (the repository answers with the current version).
import type { Resource } from 'fhir/r4.js';
import { canonicalJson } from '../store/rows.js';

function comparable(resource: Resource): string {
  const meta = { ...resource.meta };
  delete meta.versionId;
  delete meta.lastUpdated;
  const copy: Resource = { ...resource, meta };
  if (Object.keys(meta).length === 0) delete copy.meta;
  return canonicalJson(copy);
}

export function sameContent(a: Resource, b: Resource): boolean {
  return comparable(a) === comparable(b);
}
