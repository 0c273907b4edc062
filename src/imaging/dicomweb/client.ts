// DICOMweb client (PS3.18): QIDO-RS series search (10.6), instance attributes for the series choice, and WADO-RS
// series retrieval (10.4) as multipart/related; type="application/dicom", yielded one instance at a time.
import { parseDicom } from '../dicom/parse.js';
import { isLocalizer, type SeriesSummary } from '../volume/index.js';
import type { DicomJsonObject } from './dicom-json.js';
import { asDicomJsonArray, jsonNumber, jsonNumbers, jsonString, jsonStrings } from './dicom-json.js';
import { DicomwebError, safeUrl } from './errors.js';
import type { HttpOptions } from './http.js';
import { backoffDelay, getJson, openGet, splitCredentials, withRetries } from './http.js';
import type { MultipartLimits } from './multipart.js';
import { boundaryOf, parseContentType, readMultipart } from './multipart.js';

export interface DicomwebClientOptions extends HttpOptions {
  /** transfer-syntax parameter of the WADO-RS Accept header; "*" (default) asks for the stored syntax. */
  transferSyntax?: string;
  multipart?: MultipartLimits;
}

const TAG = {
  Modality: '00080060',
  SeriesDescription: '0008103E',
  SeriesInstanceUID: '0020000E',
  StudyInstanceUID: '0020000D',
  SeriesNumber: '00200011',
  NumberOfSeriesRelatedInstances: '00201209',
  ImageType: '00080008',
  ImageOrientationPatient: '00200037',
} as const;

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
/** Instances asked for to describe a series: enough to get past the localizers filed with it. */
const DESCRIBE_LIMIT = 8;

/** Checks a UID before it goes into a URL path (PS3.5 9.1). */
export function checkUid(uid: string, what: string): string {
  if (!UID.test(uid) || uid.length > 64)
    throw new DicomwebError('bad-request', `${what} "${uid.slice(0, 80)}" is not a valid DICOM UID`);
  return uid;
}

/** Series summary of one QIDO-RS series result. */
export function seriesFromJson(obj: DicomJsonObject, studyUid: string): SeriesSummary | undefined {
  const uid = jsonString(obj, TAG.SeriesInstanceUID);
  if (!uid) return undefined;
  return {
    seriesInstanceUid: uid,
    studyInstanceUid: jsonString(obj, TAG.StudyInstanceUID) ?? studyUid,
    modality: jsonString(obj, TAG.Modality),
    seriesNumber: jsonNumber(obj, TAG.SeriesNumber),
    description: jsonString(obj, TAG.SeriesDescription),
    instanceCount: jsonNumber(obj, TAG.NumberOfSeriesRelatedInstances) ?? 0,
  };
}

export class DicomwebClient {
  /** The base URL without user info (that becomes Basic auth unless `options.auth` is given). */
  readonly baseUrl: string;
  readonly options: DicomwebClientOptions;

  constructor(baseUrl: string, options: DicomwebClientOptions = {}) {
    if (!/^https?:\/\//.test(baseUrl))
      throw new DicomwebError('bad-request', `DICOMweb base URL must be http(s), got "${safeUrl(baseUrl)}"`);
    const { url, auth } = splitCredentials(baseUrl, options.auth);
    this.baseUrl = url.replace(/\/+$/, '');
    this.options = { ...options, auth };
  }

  private url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** QIDO-RS: the series of a study with modality, number, description and instance count (PS3.18 10.6.1). */
  async searchSeries(studyUid: string): Promise<SeriesSummary[]> {
    checkUid(studyUid, 'Study Instance UID');
    const fields = [TAG.Modality, TAG.SeriesDescription, TAG.SeriesNumber, TAG.NumberOfSeriesRelatedInstances];
    const query = fields.map((f) => `includefield=${f}`).join('&');
    const url = this.url(`/studies/${studyUid}/series?${query}`);
    const json = asDicomJsonArray(await getJson(url, this.options), `QIDO-RS ${safeUrl(url)}`);
    return json.map((o) => seriesFromJson(o, studyUid)).filter((s): s is SeriesSummary => s !== undefined);
  }

  /**
   * Adds Image Type and Image Orientation (Patient) of one instance (QIDO-RS instance level), skipping localizers:
   * a scout filed in the axial series must not make it look non-axial. Asks for a few instances, not one or all
   * (a PACS may read every file to answer these attributes).
   */
  async describeSeries(studyUid: string, series: SeriesSummary): Promise<SeriesSummary> {
    const uid = checkUid(series.seriesInstanceUid, 'Series Instance UID');
    const url = this.url(
      `/studies/${studyUid}/series/${uid}/instances?includefield=${TAG.ImageType}&includefield=${TAG.ImageOrientationPatient}&limit=${DESCRIBE_LIMIT}`,
    );
    const instances = asDicomJsonArray(await getJson(url, this.options), `QIDO-RS ${safeUrl(url)}`);
    const first = instances.find((i) => !isLocalizer(jsonStrings(i, TAG.ImageType))) ?? instances[0];
    if (!first) return series;
    return {
      ...series,
      imageType: jsonStrings(first, TAG.ImageType) ?? series.imageType,
      orientation: jsonNumbers(first, TAG.ImageOrientationPatient) ?? series.orientation,
    };
  }

  /**
   * WADO-RS: the instances of a series as Part 10 bytes, one at a time, parsed from the multipart stream as it
   * arrives. A retryable failure mid-stream re-requests the series and skips the instances already delivered.
   */
  async *retrieveSeries(studyUid: string, seriesUid: string): AsyncGenerator<Uint8Array> {
    checkUid(studyUid, 'Study Instance UID');
    checkUid(seriesUid, 'Series Instance UID');
    const url = this.url(`/studies/${studyUid}/series/${seriesUid}`);
    let accept = `multipart/related; type="application/dicom"; transfer-syntax=${this.options.transferSyntax ?? '*'}`;
    const retries = this.options.retries ?? 3;
    // Instances already delivered, by SOP Instance UID: a PACS need not answer a re-request in the same order
    // (PS3.18 fixes none). Parts without a readable UID fall back to their position in the response.
    const deliveredUids = new Set<string>();
    let delivered = 0;
    for (let restart = 0; ; restart++) {
      const res = await withRetries(`GET ${safeUrl(url)}`, this.options, async () => {
        try {
          return await openGet(url, accept, this.options);
        } catch (err) {
          // A PACS that does not offer transfer-syntax=* (406) gets the default request: Explicit VR LE (PS3.18 8.7.3.5.2).
          if (!(err instanceof DicomwebError && err.upstreamStatus === 406) || this.options.transferSyntax) throw err;
          accept = 'multipart/related; type="application/dicom"';
          return openGet(url, accept, this.options);
        }
      });
      let index = 0;
      try {
        const boundary = boundaryOf(res.headers.get('content-type'));
        for await (const part of readMultipart(res.body, boundary, this.options.multipart)) {
          const type = part.headers['content-type'];
          if (type !== undefined && parseContentType(type).type !== 'application/dicom') {
            throw new DicomwebError(
              'protocol',
              `WADO-RS part ${index + 1} of ${safeUrl(url)} is ${type}, not application/dicom`,
            );
          }
          const uid = sopInstanceUid(part.body);
          const already = uid !== undefined ? deliveredUids.has(uid) : index < delivered;
          index++;
          if (already) continue;
          if (uid !== undefined) deliveredUids.add(uid);
          delivered++;
          yield part.body;
        }
        return;
      } catch (err) {
        res.cancel();
        if (!(err instanceof DicomwebError) || !err.retryable || restart >= retries) throw err;
        this.options.logger?.warn('dicomweb resume', {
          url: safeUrl(url),
          delivered,
          restart: restart + 1,
          kind: err.kind,
        });
        await new Promise((r) => setTimeout(r, backoffDelay(restart + 1, this.options)));
      }
    }
  }
}

/** The SOP Instance UID (0008,0018) of a Part 10 instance, reading the header only; undefined when unreadable. */
function sopInstanceUid(bytes: Uint8Array): string | undefined {
  try {
    return parseDicom(bytes, { untilTag: 0x00080019 }).string(0x00080018) || undefined;
  } catch {
    return undefined;
  }
}
