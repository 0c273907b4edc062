// HL7 v2 data types -> FHIR data types, after the v2-to-FHIR IG data type maps (CX[Identifier], XPN[HumanName],
// XAD[Address], XTN[ContactPoint], CWE[CodeableConcept], EI[Identifier], XCN[Reference], DTM[dateTime],
// RP[Attachment], NM[decimal], SN[Quantity|Range|Ratio]).
import type {
  Address,
  Attachment,
  CodeableConcept,
  Coding,
  ContactPoint,
  HumanName,
  Identifier,
  Quantity,
  Range,
  Ratio,
  Reference,
} from 'fhir/r4.js';
import type { Rep } from '../message.js';
import type { MappingConfig, Vocabulary } from './config.js';

/** Looks a v2 code up in a vocabulary (exact, then upper-cased, then aliases). */
export function lookup(vocab: Vocabulary, value: string): string | undefined {
  const v = value.trim();
  return vocab.map[v] ?? vocab.map[v.toUpperCase()] ?? vocab.aliases?.[v.toUpperCase()];
}

/** FHIR system for a v2 assigning authority / namespace (HD: namespace^universal id^universal id type). */
export function authoritySystem(
  cfg: MappingConfig,
  namespace: string,
  universalId = '',
  idType = '',
): string | undefined {
  if (universalId) {
    if (/^ISO$/i.test(idType) || /^\d+(\.\d+)+$/.test(universalId)) return `urn:oid:${universalId}`;
    if (/^(URI|URL)$/i.test(idType) || /^[a-z][a-z0-9+.-]*:/i.test(universalId)) return universalId;
  }
  if (!namespace) return undefined;
  return cfg.messages.localAuthorities[namespace] ?? `${cfg.messages.localSystemBase}${encodeURIComponent(namespace)}`;
}

const ID_TYPE = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** CX -> Identifier (value, system from CX-4, else from a fallback namespace; type from CX-5). */
export function cx(cfg: MappingConfig, r: Rep, fallbackNamespace = ''): Identifier | undefined {
  const value = r.c(1);
  if (!value) return undefined;
  const id: Identifier = { value };
  const sent = r.c(4, 1) || r.c(4, 2) || r.c(4, 3);
  // The fallback stands in for an absent CX-4 only: one that is sent but unusable must not become the sender's.
  const system = sent ? authoritySystem(cfg, r.c(4, 1), r.c(4, 2), r.c(4, 3)) : authoritySystem(cfg, fallbackNamespace);
  if (system) id.system = system;
  const type = r.c(5);
  if (type) id.type = { coding: [{ system: ID_TYPE, code: type }] };
  return id;
}

/** EI -> Identifier (entity id, system from namespace / universal id), with a fallback authority. */
export function ei(cfg: MappingConfig, r: Rep, fallbackNamespace = ''): Identifier | undefined {
  const value = r.c(1);
  if (!value) return undefined;
  const system = authoritySystem(cfg, r.c(2) || fallbackNamespace, r.c(3), r.c(4));
  return system ? { system, value } : { value };
}

/** XPN -> HumanName (family^given^middle^suffix^prefix, XPN-7 name type by the name-use vocabulary). */
export function xpn(cfg: MappingConfig, r: Rep): HumanName | undefined {
  const family = r.c(1);
  const given = [r.c(2), r.c(3)].filter(Boolean);
  if (!family && given.length === 0) return undefined;
  const name: HumanName = {};
  if (family) name.family = family;
  if (given.length) name.given = given;
  if (r.c(4)) name.suffix = [r.c(4)];
  if (r.c(5)) name.prefix = [r.c(5)];
  const use = r.c(7) ? lookup(cfg.vocabularies['name-use']!, r.c(7)) : undefined;
  if (use) name.use = use as HumanName['use'];
  return name;
}

/** XAD -> Address. */
export function xad(r: Rep): Address | undefined {
  const line = [r.c(1), r.c(2)].filter(Boolean);
  const a: Address = {};
  if (line.length) a.line = line;
  if (r.c(3)) a.city = r.c(3);
  if (r.c(4)) a.state = r.c(4);
  if (r.c(5)) a.postalCode = r.c(5);
  if (r.c(6)) a.country = r.c(6);
  return Object.keys(a).length ? a : undefined;
}

/**
 * XTN -> ContactPoint (v2.3 number in XTN-1, v2.5+ parts or XTN-12 unformatted number, which v2.7 keeps while it
 * withdraws XTN-1; XTN-3 equipment type).
 */
export function xtn(r: Rep): ContactPoint | undefined {
  const email = r.c(4);
  const built = [r.c(5) && `+${r.c(5)}`, r.c(6), r.c(7)].filter(Boolean).join(' ');
  const value = email || r.c(1) || built || r.c(12);
  if (!value) return undefined;
  const equip = r.c(3);
  const system: ContactPoint['system'] = email || equip === 'Internet' ? 'email' : equip === 'FX' ? 'fax' : 'phone';
  return { system, value };
}

/** CWE/CE -> CodeableConcept with the alternate coding (components 4-6) and text. */
export function cwe(cfg: MappingConfig, r: Rep): CodeableConcept | undefined {
  const coding: Coding[] = [];
  const add = (code: string, display: string, sys: string): void => {
    if (!code) return;
    const c: Coding = { code };
    const system =
      cfg.vocabularies['coding-system']?.map[sys.toUpperCase()] ?? (sys ? authoritySystem(cfg, sys) : undefined);
    if (system) c.system = system;
    if (display) c.display = display;
    coding.push(c);
  };
  add(r.c(1), r.c(2), r.c(3));
  add(r.c(4), r.c(5), r.c(6));
  const text = r.c(9) || (coding.length === 0 ? r.c(2) || r.c(1) : '');
  if (coding.length === 0 && !text) return undefined;
  const cc: CodeableConcept = {};
  if (coding.length) cc.coding = coding;
  if (text) cc.text = text;
  return cc;
}

/** NM -> number: an optional sign, digits and an optional decimal point (HL7 v2.5.1 2A.49); else none. */
export function nm(value: string): number | undefined {
  const v = value.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)$/.test(v) ? Number(v) : undefined;
}

/** An SN value as one of Observation.value[x]. */
export type SnValue = { valueQuantity: Quantity } | { valueRange: Range } | { valueRatio: Ratio };

/**
 * SN -> Quantity, Range or Ratio after the v2-to-FHIR IG SN maps: SN.3 names a Range or Ratio of SN.2 and SN.4
 * (vocabulary sn-separator); without SN.3 a Quantity of SN.2 with SN.1 as its comparator (sn-comparator; "=" is
 * none). `unit` (from OBX-6) goes on each quantity but a ratio's. None when the parts do not read, a comparator
 * with a range or ratio included (FHIR has no place for it).
 */
export function sn(cfg: MappingConfig, r: Rep, unit: Quantity = {}): SnValue | undefined {
  const num1 = nm(r.c(2));
  const comparatorText = r.c(1).trim() === '=' ? '' : r.c(1).trim();
  const comparator = comparatorText ? lookup(cfg.vocabularies['sn-comparator']!, comparatorText) : undefined;
  if (num1 === undefined || (comparatorText && !comparator)) return undefined;
  if (!r.c(3).trim()) {
    const quantity: Quantity = { value: num1, ...unit };
    if (comparator) quantity.comparator = comparator as Quantity['comparator'];
    return { valueQuantity: quantity };
  }
  const num2 = nm(r.c(4));
  const kind = lookup(cfg.vocabularies['sn-separator']!, r.c(3));
  if (num2 === undefined || comparator) return undefined;
  if (kind === 'Range') return { valueRange: { low: { value: num1, ...unit }, high: { value: num2, ...unit } } };
  if (kind === 'Ratio') return { valueRatio: { numerator: { value: num1 }, denominator: { value: num2 } } };
  return undefined;
}

/** XCN -> Reference with identifier (XCN-1, authority XCN-9) and display; no Practitioner resource is created. */
export function xcn(cfg: MappingConfig, r: Rep): Reference | undefined {
  const id = r.c(1);
  const display = [r.c(6), r.c(3), r.c(2)].filter(Boolean).join(' ');
  if (!id && !display) return undefined;
  const ref: Reference = { type: 'Practitioner' };
  if (id) {
    const system = authoritySystem(cfg, r.c(9, 1), r.c(9, 2), r.c(9, 3));
    ref.identifier = system ? { system, value: id } : { value: id };
  }
  if (display) ref.display = display;
  return ref;
}

/** NDL (OBR-32 principal result interpreter): the name is a CNN in component 1 with subcomponents. */
export function ndl(cfg: MappingConfig, r: Rep): Reference | undefined {
  const id = r.c(1, 1);
  const display = [r.c(1, 6), r.c(1, 3), r.c(1, 2)].filter(Boolean).join(' ');
  if (!id && !display) return xcn(cfg, r);
  const ref: Reference = { type: 'Practitioner' };
  if (id) {
    const system = authoritySystem(cfg, r.c(1, 9), r.c(1, 10), r.c(1, 11));
    ref.identifier = system ? { system, value: id } : { value: id };
  }
  if (display) ref.display = display;
  return ref;
}

const DTM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/;

/** The UTC offset of a DTM/TS as FHIR writes it ("+01:00"); none when the value has no offset. */
export function offsetOf(value: string): string | undefined {
  const m = DTM.exec(value.trim())?.[8];
  return m ? `${m.slice(0, 3)}:${m.slice(3)}` : undefined;
}

/** DTM/TS -> FHIR date (precision kept, YYYY to YYYY-MM-DD). */
export function date(value: string): string | undefined {
  const m = DTM.exec(value.trim());
  if (!m) return undefined;
  return [m[1], m[2], m[3]].filter(Boolean).join('-');
}

/** DTM/TS -> FHIR dateTime; a time without offset gets `tz` (FHIR requires one when a time is given). */
export function dateTime(value: string, tz = 'Z'): string | undefined {
  const m = DTM.exec(value.trim());
  if (!m) return undefined;
  const d = [m[1], m[2], m[3]].filter(Boolean).join('-');
  if (!m[4] || !m[3]) return d;
  const offset = offsetOf(value) ?? tz;
  return `${d}T${m[4]}:${m[5] ?? '00'}:${m[6] ?? '00'}${m[7] ?? ''}${offset}`;
}

/** DTM/TS -> FHIR instant (date-only values become midnight). */
export function instant(value: string, tz = 'Z'): string | undefined {
  const dt = dateTime(value, tz);
  if (!dt) return undefined;
  return dt.includes('T') ? dt : /^\d{4}-\d{2}-\d{2}$/.test(dt) ? `${dt}T00:00:00${tz}` : undefined;
}

// IANA top-level media types: an RP.3 that is one of these was sent as a MIME type already.
const MEDIA_TYPES = /^(application|audio|image|text|video|multipart|model|message|font)$/i;

/**
 * RP (reference pointer) -> Attachment: RP.1 -> url; RP.3 "/" RP.4 -> contentType through the rp-content-type
 * vocabulary (HL7 tables 0191/0291), or as sent when it is a MIME type already; otherwise no contentType.
 */
export function rp(cfg: MappingConfig, r: Rep, title?: string): Attachment | undefined {
  const url = r.c(1);
  if (!url) return undefined;
  const att: Attachment = { url };
  const [type, subtype] = [r.c(3).trim(), r.c(4).trim()];
  const vocab = cfg.vocabularies['rp-content-type'];
  const contentType =
    (type && subtype && vocab && lookup(vocab, `${type}/${subtype}`)) ||
    (MEDIA_TYPES.test(type) && /^[\w.+-]+$/.test(subtype) ? `${type}/${subtype}`.toLowerCase() : undefined);
  if (contentType) att.contentType = contentType;
  if (title) att.title = title;
  return att;
}
