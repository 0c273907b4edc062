// An Inferno session against one server: the requests Inferno's US Core search, read, revinclude, validation,
// must-support and reference-resolution tests send, with the checks they make (us-core-test-kit search_test.rb,
// read_test.rb, reference_resolution_test.rb, must_support_test.rb, validation_test.rb), and a scratch of what the
// earlier tests returned as the later ones use it.
import assert from 'node:assert/strict';
import type { Bundle, Resource } from 'fhir/r4.js';
import {
  conformance,
  DIAGNOSTIC_REPORT,
  ENCOUNTER,
  OBSERVATION,
  ORGANIZATION_GROUP,
  PATIENT,
  PROVENANCE,
  SERVICE_REQUEST,
} from './groups.js';
import {
  comparatorValue,
  mismatches,
  present,
  resolvePath,
  searchValue,
  type GroupSpec,
  type Json,
  type SearchSpec,
} from './matching.js';

/** Characters Addressable's query normalization leaves literal (its QUERY class less `&`, `;`; `+` stays encoded). */
const LITERAL_IN_QUERY = /%(21|24|27|28|29|2A|2C|3D|3A|40|2F|3F)/g;

/** A query string as fhir_client's resource_url builds it: Addressable query_values= (sorted), then normalize. */
export function addressableQuery(params: Record<string, string>): string {
  const enc = (v: string): string =>
    encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return Object.entries(params)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${enc(k)}=${enc(v)}`.replace(LITERAL_IN_QUERY, (m) => decodeURIComponent(m)))
    .join('&');
}

/** One search of a test: its parameters, their system|code variants, and the resource the values came from. */
interface ParamSet {
  pid?: string;
  params: Record<string, string>;
  system?: Record<string, string>;
  source?: Resource;
}

interface Scratch {
  all: Resource[];
  byPatient: Map<string, Resource[]>;
}

export class InfernoSession {
  readonly scratch = new Map<GroupSpec, Scratch>();
  /** Provenance returned by the _revinclude searches; references saved for the delayed groups (Organization). */
  readonly provenance: Resource[] = [];
  readonly delayed = new Set<string>();
  /** Every resource the validation tests saw (the data-absent-reason tests look at them). */
  readonly validated: Resource[] = [];

  constructor(
    readonly baseUrl: string,
    readonly patientIds: string[],
  ) {}

  scratchOf(g: GroupSpec): Scratch {
    let s = this.scratch.get(g);
    if (!s) this.scratch.set(g, (s = { all: [], byPatient: new Map() }));
    return s;
  }

  private async fetchJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: Json }> {
    // fhir_client's headers (FHIR::ResourceAddress.fhir_headers with Inferno's JSON default format).
    const headers = { 'user-agent': 'Ruby FHIR Client', 'accept-charset': 'utf-8', accept: 'application/fhir+json' };
    const res = await fetch(url, { ...init, headers: { ...headers, ...init.headers } });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  }

  async read(type: string, id: string): Promise<Resource> {
    const { status, body } = await this.fetchJson(`${this.baseUrl}/${type}/${encodeURIComponent(id)}`);
    assert.equal(status, 200, `GET ${type}/${id}: ${JSON.stringify(body)}`);
    assert.equal(body.resourceType, type);
    assert.equal(body.id, id);
    return body as unknown as Resource;
  }

  async metadata(): Promise<{ status: number; body: Json }> {
    return this.fetchJson(`${this.baseUrl}/metadata`);
  }

  /**
   * fhir_search + check_search_response + fetch_all_bundled_resources (at most 20 pages). GET sends the query as
   * fhir_client builds it (Addressable: keys sorted, `+` `&` `;` `|` `\` and spaces percent-encoded, other
   * sub-delimiters, `:` and `/` literal); POST sends the parameters as a form body.
   */
  async search(type: string, params: Record<string, string>, method: 'GET' | 'POST' = 'GET'): Promise<Resource[]> {
    const request = method === 'GET' ? `GET ${type}?${addressableQuery(params)}` : `POST ${type}/_search`;
    let page =
      method === 'GET'
        ? await this.fetchJson(`${this.baseUrl}/${type}?${addressableQuery(params)}`)
        : await this.fetchJson(`${this.baseUrl}/${type}/_search`, {
            method: 'POST',
            body: new URLSearchParams(params).toString(),
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          });
    const resources: Resource[] = [];
    for (let pages = 1; ; pages++) {
      assert.equal(page.status, 200, `${request} ${JSON.stringify(params)}: ${JSON.stringify(page.body)}`);
      assert.equal(page.body.resourceType, 'Bundle', request);
      assert.equal(page.body.type, 'searchset', request);
      const bundle = page.body as unknown as Bundle;
      resources.push(...(bundle.entry ?? []).map((e) => e.resource!));
      const next = bundle.link?.find((l) => l.relation === 'next')?.url;
      if (!next || pages === 20) return resources;
      page = await this.fetchJson(next);
    }
  }

  /** A search of `g.type` whose results all match `params` (Inferno's rules) and include `expected`. */
  private async found(g: GroupSpec, s: SearchSpec, params: Record<string, string>, expected?: Resource) {
    const found = (await this.search(g.type, params)).filter((r) => r.resourceType === g.type);
    const query = `${s.id}: ${g.type}?${new URLSearchParams(params).toString()}`;
    assert.deepEqual(
      found.flatMap((r) => mismatches(g, r, params, this.baseUrl)),
      [],
      query,
    );
    if (expected)
      assert.ok(
        found.some((r) => r.id === expected.id),
        `${query} misses ${g.type}/${expected.id}`,
      );
    return found;
  }

  /**
   * all_search_params: the parameter sets of a search test. Inferno takes the values from the first resource that
   * gives them all; which one that is depends on the server's order, so every resource's values are tried.
   */
  private paramSets(g: GroupSpec, s: SearchSpec): ParamSet[] {
    const scratch = this.scratchOf(g);
    const isPatientParam = (n: string): boolean => n === 'patient' || (n === '_id' && g.type === 'Patient');
    const sets: ParamSet[] = [];
    for (const pid of s.perPatient ? this.patientIds : [undefined]) {
      if (s.fixed) {
        const fixed = s.names.find((n) => !isPatientParam(n))!;
        for (const v of g.params[fixed]!.values!) sets.push({ pid, params: { patient: pid!, [fixed]: v } });
        continue;
      }
      if (s.names.every(isPatientParam)) {
        sets.push({ pid, params: Object.fromEntries(s.names.map((n) => [n, pid!])) });
        continue;
      }
      for (const source of pid === undefined ? scratch.all : (scratch.byPatient.get(pid) ?? [])) {
        const from = (names: string[], withSystem: boolean): Record<string, string> | undefined => {
          const params: Record<string, string> = {};
          for (const n of names) {
            const v = isPatientParam(n) ? pid : searchValue(g, n, source, withSystem, s.comparators ?? []);
            if (v === undefined) return undefined;
            params[n] = v;
          }
          return params;
        };
        const params = from(s.names, false);
        if (!params || sets.some((x) => JSON.stringify(x.params) === JSON.stringify(params))) continue;
        sets.push({ pid, params, system: s.tokens && from(s.tokens, true), source });
      }
    }
    return sets;
  }

  /** run_search_test for one Inferno search test; returns what it found (Inferno skips when that is nothing). */
  async runSearch(g: GroupSpec, s: SearchSpec): Promise<Resource[]> {
    const sets = this.paramSets(g, s);
    if (sets.length === 0 && s.skip) return [];
    assert.ok(sets.length > 0, `${s.id}: no values for ${s.names.join(', ')} in ${this.scratchOf(g).all.length}`);
    const all: Resource[] = [];
    const compared = new Set<string>();
    for (const set of sets) {
      const returned = await this.found(g, s, set.params, set.source);
      if (returned.length === 0) continue;
      all.push(...returned);
      if (s.first) this.keep(g, set.pid, returned);
      for (const name of s.comparators ?? []) await this.comparatorSearches(g, s, set, name, compared);
      await this.variants(g, s, set, returned.length);
    }
    for (const name of s.multipleOr ?? []) await this.multipleOr(g, s, name, sets);
    return all;
  }

  /** The first search's results are the group's resources for the later tests; delayed references are saved. */
  private keep(g: GroupSpec, pid: string | undefined, returned: Resource[]): void {
    const scratch = this.scratchOf(g);
    for (const r of returned) {
      this.saveDelayed(g, r);
      if (!scratch.all.some((x) => x.id === r.id)) scratch.all.push(r);
      if (pid === undefined) continue;
      const mine = scratch.byPatient.get(pid) ?? [];
      if (!mine.some((x) => x.id === r.id)) mine.push(r);
      scratch.byPatient.set(pid, mine);
    }
  }

  /**
   * perform_comparator_searches: gt, ge, lt, le with a date of the patient's resources one day before or after
   * (Inferno uses the first date it finds; every one is tried). The resource the date came from is inside every
   * bound, so it comes back whenever its other values match.
   */
  private async comparatorSearches(g: GroupSpec, s: SearchSpec, set: ParamSet, name: string, done: Set<string>) {
    const scratch = this.scratchOf(g);
    const pool = set.pid === undefined ? scratch.all : (scratch.byPatient.get(set.pid) ?? []);
    const path = g.params[name]!.path;
    for (const from of pool) {
      // date_comparator_value: a Period's start, else its end.
      const found = resolvePath(from, path)[0] as string | { start?: string; end?: string } | undefined;
      const date = typeof found === 'object' ? (found.start ?? found.end) : found;
      if (typeof date !== 'string' || done.has(`${set.pid}:${date}`)) continue;
      done.add(`${set.pid}:${date}`);
      for (const comparator of ['gt', 'ge', 'lt', 'le']) {
        const params = { ...set.params, [name]: comparatorValue(comparator, date) };
        const expected = mismatches(g, from, params, this.baseUrl).length === 0 ? from : undefined;
        await this.found(g, s, params, expected);
      }
    }
  }

  /** The same search by POST and with patient=Patient/id (same count), and with system|code tokens (found). */
  private async variants(g: GroupSpec, s: SearchSpec, set: ParamSet, count: number): Promise<void> {
    const query = new URLSearchParams(set.params).toString();
    if (s.post) {
      const posted = (await this.search(g.type, set.params, 'POST')).filter((r) => r.resourceType === g.type);
      assert.equal(posted.length, count, `${s.id}: POST ${g.type}/_search ${query}`);
    }
    if (s.referenceVariants) {
      const typed = { ...set.params, patient: `Patient/${set.params.patient}` };
      assert.equal((await this.found(g, s, typed)).length, count, `${s.id}: patient=Patient/id, ${query}`);
    }
    if (set.system) {
      const found = await this.found(g, s, { ...set.params, ...set.system }, set.source);
      assert.ok(found.length > 0, `${s.id}: no resources for system|code, ${query}`);
    }
  }

  /** perform_multiple_or_search_test: every value the patient's resources have comes back from one OR search. */
  private async multipleOr(g: GroupSpec, s: SearchSpec, name: string, sets: ParamSet[]): Promise<void> {
    for (const pid of this.patientIds) {
      const first = sets.find((x) => x.pid === pid)?.params;
      if (!first) continue;
      const existing = new Set(
        (this.scratchOf(g).byPatient.get(pid) ?? []).map((r) => resolvePath(r, g.params[name]!.path)[0] as string),
      );
      if (existing.size === 0) continue;
      const params = { ...first, [name]: g.params[name]!.values!.join(',') };
      const found = (await this.search(g.type, params)).filter((r) => r.resourceType === g.type);
      const values = new Set(found.map((r) => resolvePath(r, g.params[name]!.path)[0] as string));
      const q = new URLSearchParams(params).toString();
      assert.deepEqual(
        [...existing].filter((v) => !values.has(v)),
        [],
        `${s.id} multiple-or: ${q}`,
      );
    }
  }

  /** run_provenance_revinclude_search_test: the first search's parameters with _revinclude=Provenance:target. */
  async runRevinclude(g: GroupSpec): Promise<Resource[]> {
    const first = g.searches.find((s) => s.first)!;
    const found: Resource[] = [];
    for (const pid of first.perPatient ? this.patientIds : [undefined]) {
      const fixed = first.names.find((n) => n !== 'patient' && !(n === '_id' && g.type === 'Patient'));
      const values = fixed ? g.params[fixed]!.values! : [undefined];
      for (const v of values) {
        const params: Record<string, string> = Object.fromEntries(first.names.map((n) => [n, n === fixed ? v! : pid!]));
        const resources = await this.search(g.type, { ...params, _revinclude: 'Provenance:target' });
        found.push(...resources.filter((r) => r.resourceType === 'Provenance'));
      }
    }
    for (const p of found) {
      if (!this.provenance.some((x) => x.id === p.id)) this.provenance.push(p);
      this.saveDelayed(PROVENANCE, p);
    }
    return found;
  }

  /** save_delayed_references: Organization references for the delayed Organization group. */
  saveDelayed(g: GroupSpec, resource: Resource): void {
    const paths = g === PROVENANCE ? ['agent.who', 'agent.onBehalfOf'] : g === DIAGNOSTIC_REPORT ? ['performer'] : [];
    if (g === SERVICE_REQUEST) paths.push('requester');
    if (g === ENCOUNTER) paths.push('participant.individual', 'serviceProvider');
    for (const ref of paths.flatMap((p) => resolvePath(resource, p)))
      if (/^Organization\/[^/]+$/.test(((ref as Json).reference as string) ?? ''))
        this.delayed.add(((ref as Json).reference as string).split('/')[1]!);
  }

  /** perform_read_test with read_all_resources. */
  async runRead(g: GroupSpec, resources: Resource[]): Promise<void> {
    assert.ok(resources.length > 0, `no ${g.type} to read`);
    for (const r of resources) await this.read(g.type, r.id!);
  }

  /** perform_validation_test: every resource conforms to the profile. */
  runValidation(g: GroupSpec, resources: Resource[]): void {
    assert.ok(resources.length > 0, `no ${g.type} to validate`);
    this.validated.push(...resources);
    assert.deepEqual(
      resources.flatMap((r) => conformance(g, r)),
      [],
      g.profile,
    );
  }

  /** perform_must_support_test: what is missing from every resource is a known gap (Inferno skips then). */
  runMustSupport(g: GroupSpec, resources: Resource[]): string[] {
    const missing = [
      ...g.mustSupport.filter((p) => !resources.some((r) => resolvePath(r, p, g).some(present))),
      ...g.slices
        .filter((sl) => !resources.some((r) => resolvePath(r, sl.path).some((v) => sl.match(v as Json))))
        .map((sl) => sl.name),
    ];
    assert.deepEqual(
      missing.filter((m) => !(m in g.gaps)),
      [],
      `${g.type}: must-support elements missing`,
    );
    return missing;
  }

  /**
   * perform_reference_resolution_test: every literal must-support reference reads back; a path(target) pair is
   * confirmed when one of its targets conforms to the target profile, and an unconfirmed one must be a known case.
   */
  async runReferences(g: GroupSpec, resources: Resource[]): Promise<string[]> {
    const unconfirmed: string[] = [];
    for (const { path, targets } of g.references) {
      const refs = resources
        .flatMap((r) => resolvePath(r, path))
        .map((v) => (v as Json).reference as string | undefined);
      if (refs.length === 0) continue;
      const read: Resource[] = [];
      for (const ref of new Set(refs.filter((x): x is string => typeof x === 'string'))) {
        const [type, id] = ref.replace(`${this.baseUrl}/`, '').split('/') as [string, string];
        read.push(await this.read(type, id));
      }
      for (const target of targets) {
        const group = [
          ...[PATIENT, OBSERVATION, DIAGNOSTIC_REPORT, SERVICE_REQUEST, ENCOUNTER, PROVENANCE, ORGANIZATION_GROUP],
        ].find((x) => x.profile === target);
        const ok =
          group !== undefined && read.some((r) => r.resourceType === group.type && !conformance(group, r).length);
        if (!ok) unconfirmed.push(`${path}(${target})`);
      }
    }
    assert.deepEqual(
      unconfirmed.filter((u) => !(u in g.unconfirmed)),
      [],
      `${g.type}: references not confirmed`,
    );
    return unconfirmed;
  }
}
