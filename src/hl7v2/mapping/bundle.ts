// Builds the FHIR transaction Bundle a message maps to (FHIR R4 http.html#transaction): conditional update
// (PUT Type?identifier=...) and conditional create (POST + ifNoneExist), with urn:uuid fullUrls
// so entries reference each other before ids exist. The repository executes it; nothing here writes.
//
// One entry per condition: the repository matches each entry's condition against the database only, so two entries
// with one condition (two order groups with one accession or study UID) would create two resources, and every later
// message for that key would then be AE (conditional update matched 2). A repeated condition therefore reuses the
// first entry and its fullUrl. A conditional create is satisfied by that entry as it is. A conditional update
// changes it in place, as a second message with that key would replace the resource: the later resource's elements
// win, except that lists keep the items of both (deduplicated), so a report keeps both groups' results, studies and
// texts, and an order both groups' identifiers.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, BundleEntryRequest, Reference, Resource } from 'fhir/r4.js';
import type { ErrorLocation } from '../ack.js';
import type { FieldUse } from './interpreter.js';

/** Accumulates transaction entries and, for each, the HL7 location to report if the repository rejects it. */
export class TransactionBuilder {
  private readonly entries: BundleEntry[] = [];
  readonly locations: (ErrorLocation | undefined)[] = [];
  /** Per entry: how the message's fields spoke to the resource (conditional updates from a segment map). */
  readonly fields: (FieldUse | undefined)[] = [];
  /** The entry written for each condition (`Type?query`). */
  private readonly byCondition = new Map<string, BundleEntry>();
  /** fullUrls handed out by `refFor` before their entry is added. */
  private readonly reserved = new Map<string, string>();

  /**
   * A reference to the entry a later `upsert(resource of type, query)` writes (or an earlier one did), so resources
   * built before it can point at it; the caller must add that entry.
   */
  refFor(resourceType: string, query: string): Reference {
    const url = `${resourceType}?${query}`;
    const fullUrl = this.byCondition.get(url)?.fullUrl ?? this.reserved.get(url) ?? `urn:uuid:${randomUUID()}`;
    this.reserved.set(url, fullUrl);
    return { reference: fullUrl };
  }

  /** Conditional update: creates or replaces the resource matched by `query`; returns a reference to it. */
  upsert(resource: Resource, query: string, location?: ErrorLocation, fields?: FieldUse): Reference {
    const url = `${resource.resourceType}?${query}`;
    const earlier = this.byCondition.get(url);
    if (!earlier) return this.add(url, resource, { method: 'PUT', url }, location, fields);
    earlier.resource = mergeRepeated(earlier.resource!, resource);
    earlier.request = { method: 'PUT', url };
    const i = this.entries.indexOf(earlier);
    this.fields[i] = mergeFields(this.fields[i], fields);
    return { reference: earlier.fullUrl! };
  }

  /**
   * Update by id (`PUT Type/id`, creating it when absent): for resources whose id the mapping derives itself (the
   * report text's Binary). A repeated id replaces the earlier entry's resource.
   */
  put(resource: Resource & { id: string }, location?: ErrorLocation): Reference {
    const url = `${resource.resourceType}/${resource.id}`;
    const earlier = this.byCondition.get(url);
    if (!earlier) return this.add(url, resource, { method: 'PUT', url }, location);
    earlier.resource = resource;
    return { reference: earlier.fullUrl! };
  }

  /** Conditional create: creates the resource unless `query` matches one; returns a reference to either. */
  createIfNone(resource: Resource, query: string, location?: ErrorLocation): Reference {
    const url = `${resource.resourceType}?${query}`;
    const earlier = this.byCondition.get(url);
    if (earlier) return { reference: earlier.fullUrl! };
    return this.add(url, resource, { method: 'POST', url: resource.resourceType, ifNoneExist: query }, location);
  }

  private add(
    condition: string,
    resource: Resource,
    request: BundleEntryRequest,
    location: ErrorLocation | undefined,
    fields?: FieldUse,
  ): Reference {
    const entry: BundleEntry = {
      fullUrl: this.reserved.get(condition) ?? `urn:uuid:${randomUUID()}`,
      resource,
      request,
    };
    this.entries.push(entry);
    this.locations.push(location);
    this.fields.push(fields);
    this.byCondition.set(condition, entry);
    return { reference: entry.fullUrl! };
  }

  get size(): number {
    return this.entries.length;
  }

  build(): Bundle {
    return { resourceType: 'Bundle', type: 'transaction', entry: [...this.entries] };
  }
}

/** The later resource over the earlier one, lists joined without repeats (see the file comment). */
function mergeRepeated(earlier: Resource, later: Resource): Resource {
  const merged: Record<string, unknown> = { ...earlier, ...later };
  for (const [key, value] of Object.entries(earlier)) {
    const next: unknown = (later as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value) && Array.isArray(next)) merged[key] = union(value, next);
  }
  return merged as unknown as Resource;
}

/** Both groups' field use: cleared by either; a default yields only when both left its field empty. */
function mergeFields(a: FieldUse | undefined, b: FieldUse | undefined): FieldUse | undefined {
  if (!a || !b) return a ?? b;
  return {
    cleared: [...new Set([...a.cleared, ...b.cleared])],
    defaults: a.defaults.map((d, i) => ({ ...d, omitted: d.omitted && (b.defaults[i]?.omitted ?? true) })),
  };
}

function union(a: unknown[], b: unknown[]): unknown[] {
  const seen = new Set(a.map((x) => JSON.stringify(x)));
  return [...a, ...b.filter((x) => !seen.has(JSON.stringify(x)))];
}
