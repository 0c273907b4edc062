// The search contract shared by the parser (fhir/search), the indexer and the SQL builder (store/).
// FHIR R4 search: http://hl7.org/fhir/R4/search.html
import type { Resource } from 'fhir/r4.js';

export type SearchParamType =
  'string' | 'token' | 'reference' | 'date' | 'number' | 'quantity' | 'uri' | 'composite' | 'special';

/** One search parameter definition as the server uses it (from the R4 SearchParameter resources). */
export interface SearchParamDef {
  code: string;
  type: SearchParamType;
  /** The resource types this definition applies to (base). */
  base: string[];
  /** FHIRPath expression, already narrowed to one resource type where the definition is shared. */
  expression: string;
  /** Reference targets (reference params only). */
  target?: string[];
  /**
   * True when `target` narrows a shared element by `resolve() is X` (e.g. `patient` = subject that is a Patient):
   * references of other types are then not indexed under this code. Otherwise every typed reference is indexed,
   * even one of a type outside the element's declared targets.
   */
  restrictedTargets?: boolean;
  /** Composite components: the codes of the component params in order, with their FHIRPath relative to the composite. */
  components?: { code: string; type: SearchParamType; expression: string }[];
  url?: string;
}

/** Comparison prefixes for ordered types (date, number, quantity). */
export type Prefix = 'eq' | 'ne' | 'gt' | 'lt' | 'ge' | 'le' | 'sa' | 'eb' | 'ap';

/** A parsed search value; ranges are half-open [start, end) in ms since epoch (dates) or numbers. */
export type SearchValue =
  | { kind: 'string'; value: string }
  /** system undefined = any system; system '' = no system (`|code`); code undefined = any code (`system|`). */
  | { kind: 'token'; system?: string; code?: string; text?: string }
  /** A reference: `Type/id`, a bare id (any type allowed by the param), or an absolute URL. */
  | { kind: 'reference'; resourceType?: string; id?: string; url?: string }
  /** `text`: the value as written (without prefix), kept so that the request formats back unchanged. */
  | { kind: 'date'; prefix: Prefix; start: number; end: number; text?: string }
  | { kind: 'number'; prefix: Prefix; value: number; lower: number; upper: number; text?: string }
  | {
      kind: 'quantity';
      prefix: Prefix;
      value: number;
      lower: number;
      upper: number;
      system?: string;
      code?: string;
      text?: string;
    }
  | { kind: 'uri'; value: string }
  | { kind: 'composite'; parts: SearchValue[] }
  | { kind: 'missing'; missing: boolean };

export type Modifier =
  | 'exact'
  | 'contains'
  | 'not'
  | 'text'
  | 'missing'
  | 'above'
  | 'below'
  | 'in'
  | 'not-in'
  | 'of-type'
  | 'identifier'
  | 'type';

/** One parameter occurrence: its values are ORed; the filters of a request are ANDed. */
export interface SearchFilter {
  param: SearchParamDef;
  modifier?: Modifier;
  /** With modifier 'type' (`subject:Patient=`), the resource type named. */
  targetType?: string;
  /** One-level chaining (`subject:Patient.identifier=x`): the filter applies to the referenced resource. */
  chain?: { targetType: string; filter: SearchFilter };
  values: SearchValue[];
}

export interface SortRule {
  /** The param code, or '_id' / '_lastUpdated'. */
  param: SearchParamDef;
  descending: boolean;
}

/** `_include=Type:param[:target]` or `_revinclude=Type:param[:target]`, optionally `:iterate`. */
export interface IncludeTarget {
  resourceType: string;
  param: SearchParamDef;
  targetType?: string;
  iterate: boolean;
}

/** A resource's place in a search sorted by `_lastUpdated` (then id): its lastUpdated (ms) and id. */
export interface SearchKey {
  lastUpdated: number;
  id: string;
}

export interface SearchRequest {
  resourceType: string;
  filters: SearchFilter[];
  sort: SortRule[];
  count: number;
  offset: number;
  /**
   * Paging by position, for sorts led by `_lastUpdated` only: the page after this place (`after`), or the `count`
   * matches just before it (`before`, still in sort order). A write between two pages then shifts nothing else.
   */
  after?: SearchKey;
  before?: SearchKey;
  total: 'none' | 'estimate' | 'accurate';
  summary?: 'true' | 'false' | 'count' | 'text' | 'data';
  elements?: string[];
  include: IncludeTarget[];
  revinclude: IncludeTarget[];
  /** Ignored parameters / modifiers (lenient handling), to return in an OperationOutcome entry. */
  warnings?: string[];
}

/** Rows written to the index tables for one resource version, extracted with FHIRPath at write time. */
export interface IndexRows {
  /** value: normalised (lower case, accents folded) for default / :contains; exact: as written, for :exact. */
  string: { code: string; value: string; exact?: string }[];
  /** Also Reference.identifier of reference params (same code, for `:identifier`). text: normalised
   * CodeableConcept.text + Coding.display, or Identifier.type.text (for `:text`). */
  token: { code: string; system: string | null; value: string | null; text?: string | null }[];
  /** `Type/id` -> targetType + targetId; absolute URLs -> url (+ targetType when the URL ends in Type/id). */
  reference: { code: string; targetType: string | null; targetId: string | null; url: string | null }[];
  /** Half-open [start, end) in ms; open Period ends are DATE_MIN / DATE_MAX (date.ts). */
  date: { code: string; start: number; end: number }[];
  number: { code: string; value: number }[];
  quantity: { code: string; value: number; system: string | null; unit: string | null }[];
  uri: { code: string; value: string }[];
  /** Composite rows: one per combination, parts in the order of SearchParamDef.components. */
  composite: { code: string; parts: IndexPart[] }[];
}

export type IndexPart =
  | { type: 'token'; system: string | null; value: string | null }
  | { type: 'quantity'; value: number; system: string | null; unit: string | null }
  | { type: 'date'; start: number; end: number }
  | { type: 'string'; value: string };

export interface SearchResult<T extends Resource = Resource> {
  /** Matches, in order, for the requested page. */
  resources: T[];
  /** Resources added by _include / _revinclude (search mode 'include'). */
  included: Resource[];
  /** Total number of matches when requested (total != 'none'), else undefined. */
  total?: number;
  /** True when there is a page after this one (before it, for a request paged `before` a position). */
  hasMore: boolean;
  /** Warnings to return in an OperationOutcome entry (e.g. ignored unknown parameters). */
  warnings: string[];
}

/** A history version's place in the newest-first order of history Bundles (store/history-sql.ts). */
export interface HistoryKey {
  lastUpdated: number;
  resourceType: string;
  id: string;
  versionId: number;
}
