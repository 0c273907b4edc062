// Where an ImagingStudy's pixels live: its Study Instance UID (identifier with system urn:dicom:uid, value
// urn:oid:<uid>, FHIR R4 ImagingStudy.identifier) and its DICOMweb endpoint (ImagingStudy.endpoint -> Endpoint with
// connectionType dicom-wado-rs, contained or resolved by the caller), else the configured DICOMWEB_URL.
import type { Endpoint, ImagingStudy } from 'fhir/r4.js';
import { DicomwebError } from './errors.js';

/** Resolves a reference ("Endpoint/123", an absolute URL) to an Endpoint; undefined when it does not exist. */
export type EndpointResolver = (reference: string) => Promise<Endpoint | undefined>;

export interface StudyLocation {
  studyUid: string;
  /** Base URL of the DICOMweb service (http(s)://...) or a local folder (file://...). */
  url: string;
  /** Where the URL came from: an Endpoint (its reference) or the configuration. */
  from: { endpoint: string } | { config: 'DICOMWEB_URL' };
}

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const WADO_RS = 'dicom-wado-rs';
const UNUSABLE_STATUS = new Set(['off', 'error', 'entered-in-error', 'suspended']);

function uidValue(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const uid = value.startsWith('urn:oid:') ? value.slice(8) : value;
  return UID.test(uid) && uid.length <= 64 ? uid : undefined;
}

/** The Study Instance UID of an ImagingStudy (urn:dicom:uid identifier; also any urn:oid: identifier, or STU3 `uid`). */
export function studyUidOf(study: ImagingStudy): string {
  const ids = study.identifier ?? [];
  const dicom = ids.filter((i) => i.system === 'urn:dicom:uid');
  for (const id of dicom) {
    const uid = uidValue(id.value);
    if (uid) return uid;
  }
  if (dicom.length > 0) {
    throw new DicomwebError(
      'bad-request',
      `ImagingStudy/${study.id ?? '?'}: identifier urn:dicom:uid value "${String(dicom[0]!.value).slice(0, 80)}" is not a DICOM UID`,
    );
  }
  for (const id of ids) if (id.value?.startsWith('urn:oid:') && uidValue(id.value)) return uidValue(id.value)!;
  const legacy = (study as unknown as { uid?: unknown }).uid;
  if (typeof legacy === 'string' && uidValue(legacy)) return uidValue(legacy)!;
  throw new DicomwebError(
    'bad-request',
    `ImagingStudy/${study.id ?? '?'} has no Study Instance UID (identifier with system urn:dicom:uid)`,
    {
      retryable: false,
    },
  );
}

function isWadoRs(e: Endpoint): boolean {
  return e.connectionType?.code === WADO_RS && !UNUSABLE_STATUS.has(e.status) && typeof e.address === 'string';
}

/** Finds the study UID and the DICOMweb base URL of an ImagingStudy. */
export async function locateStudy(
  study: ImagingStudy,
  options: { resolveEndpoint?: EndpointResolver; dicomwebUrl?: string } = {},
): Promise<StudyLocation> {
  const studyUid = studyUidOf(study);
  const seen: string[] = [];
  for (const ref of study.endpoint ?? []) {
    const reference = ref.reference;
    if (!reference) continue;
    let endpoint: Endpoint | undefined;
    if (reference.startsWith('#')) {
      endpoint = study.contained?.find(
        (r): r is Endpoint => r.resourceType === 'Endpoint' && r.id === reference.slice(1),
      );
    } else if (options.resolveEndpoint) {
      endpoint = await options.resolveEndpoint(reference);
    }
    if (!endpoint) {
      seen.push(`${reference} (not found)`);
      continue;
    }
    if (!isWadoRs(endpoint)) {
      seen.push(`${reference} (connectionType ${endpoint.connectionType?.code ?? '?'}, status ${endpoint.status})`);
      continue;
    }
    if (!/^(https?|file):\/\//.test(endpoint.address)) {
      seen.push(`${reference} (address is not http(s):// or file://)`);
      continue;
    }
    return { studyUid, url: endpoint.address, from: { endpoint: reference } };
  }
  if (options.dicomwebUrl) return { studyUid, url: options.dicomwebUrl, from: { config: 'DICOMWEB_URL' } };
  const tried = seen.length > 0 ? `; endpoints tried: ${seen.join(', ')}` : '';
  throw new DicomwebError(
    'bad-request',
    `ImagingStudy/${study.id ?? '?'} names no usable Endpoint with connectionType ${WADO_RS} and DICOMWEB_URL is not set${tried}`,
  );
}
