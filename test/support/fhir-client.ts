// The real fhir-kit-client, typed with @types/fhir resources (its own FhirResource type is a loose record).
import { Client } from 'fhir-kit-client';
import type { Bundle, FhirResource, Resource } from 'fhir/r4.js';

type Options = { headers?: Record<string, string> };
type Loose = Record<string, unknown> & { resourceType: string };
const loose = (r: Resource): Loose => r as unknown as Loose;
const typed = async (p: Promise<unknown> | undefined): Promise<Resource> => (await p) as Resource;

/** fhir-kit-client with @types/fhir types in and out. */
export class FhirClient {
  readonly raw: Client;
  constructor(baseUrl: string) {
    this.raw = new Client({ baseUrl });
  }
  capabilityStatement = (): Promise<Resource> => typed(this.raw.capabilityStatement());
  read = (p: { resourceType: string; id: string }): Promise<Resource> => typed(this.raw.read(p));
  vread = (p: { resourceType: string; id: string; version: string }): Promise<Resource> => typed(this.raw.vread(p));
  create = (p: { resourceType: string; body: FhirResource; options?: Options }): Promise<Resource> =>
    typed(this.raw.create({ ...p, body: loose(p.body) }));
  update = (p: {
    resourceType: string;
    id?: string;
    searchParams?: Record<string, string>;
    body: FhirResource;
    options?: Options;
  }): Promise<Resource> => typed(this.raw.update({ ...p, body: loose(p.body) }));
  delete = (p: { resourceType: string; id: string }): Promise<Resource> => typed(this.raw.delete(p));
  history = (p: { resourceType?: string; id?: string }): Promise<Resource> => typed(this.raw.history(p));
  search = (p: { resourceType: string; searchParams?: Record<string, string | string[]> }): Promise<Resource> =>
    typed(this.raw.search(p));
  request = (url: string): Promise<Resource> => typed(this.raw.request(url));
  operation = (p: { name: string; resourceType?: string; id?: string; input?: FhirResource }): Promise<Resource> =>
    typed(this.raw.operation({ ...p, input: p.input && loose(p.input) }));
  transaction = (p: { body: Bundle<FhirResource> }): Promise<Resource> =>
    typed(this.raw.transaction({ body: loose(p.body) }));
  batch = (p: { body: Bundle<FhirResource> }): Promise<Resource> => typed(this.raw.batch({ body: loose(p.body) }));
  /** The next page of a searchset or history Bundle, or undefined on the last page. */
  nextPage = (bundle: Bundle): Promise<Resource> | undefined => {
    const next = this.raw.nextPage({ bundle: loose(bundle) as Loose & { link: [] } });
    return next ? typed(next) : undefined;
  };
}
