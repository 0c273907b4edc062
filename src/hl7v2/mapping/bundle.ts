// Builds the FHIR transaction Bundle a message maps to (FHIR R4 http.html#transaction): conditional update
// (PUT Type?identifier=...) and conditional create (POST + ifNoneExist), with urn:uuid fullUrls
// so entries reference each other before ids exist. The repository executes it; nothing here writes.
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Reference, Resource } from 'fhir/r4.js';
import type { ErrorLocation } from '../ack.js';

/** Accumulates transaction entries and, for each, the HL7 location to report if the repository rejects it. */
export class TransactionBuilder {
  private readonly entries: BundleEntry[] = [];
  readonly locations: (ErrorLocation | undefined)[] = [];

  /** Conditional update: creates or replaces the resource matched by `query`; returns a reference to it. */
  upsert(resource: Resource, query: string, location?: ErrorLocation): Reference {
    const fullUrl = `urn:uuid:${randomUUID()}`;
    this.entries.push({ fullUrl, resource, request: { method: 'PUT', url: `${resource.resourceType}?${query}` } });
    this.locations.push(location);
    return { reference: fullUrl };
  }

  /** Conditional create: creates the resource unless `query` matches one; returns a reference to either. */
  createIfNone(resource: Resource, query: string, location?: ErrorLocation): Reference {
    const fullUrl = `urn:uuid:${randomUUID()}`;
    this.entries.push({
      fullUrl,
      resource,
      request: { method: 'POST', url: resource.resourceType, ifNoneExist: query },
    });
    this.locations.push(location);
    return { reference: fullUrl };
  }

  get size(): number {
    return this.entries.length;
  }

  build(): Bundle {
    return { resourceType: 'Bundle', type: 'transaction', entry: [...this.entries] };
  }
}
