// DICOMweb client (PS3.18): QIDO-RS series search (10.6), instance attributes for the series choice, and WADO-RS
// series retrieval (10.4) as multipart/related; type="application/dicom", yielded one instance at a time.
import { EXPLICIT_VR_LITTLE_ENDIAN, Tags, isDecodable, parseDicom, transferSyntax } from '../dicom/index.js';
import { isLocalizer, type SeriesSummary } from '../volume/index.js';
import type { DicomJsonObject } from './dicom-json.js';
import { asDicomJsonArray, jsonNumber, jsonNumbers, jsonString, jsonStrings } from './dicom-json.js';
import { DicomwebError, safeUrl } from './errors.js';
import type { HttpOptions, OpenResponse } from './http.js';
import { backoffDelay, getJson, openGet, splitCredentials, withRetries } from './http.js';
import type { MultipartLimits } from './multipart.js';
import { boundaryOf, parseContentType, readMultipart } from './multipart.js';

export interface DicomwebClientOptions extends HttpOptions {
  /**
   * transfer-syntax parameter of the first WADO-RS request; "*" (default) asks for the stored syntax. Instances that
   * arrive in a syntax ct-fhir cannot decode are asked for again as Explicit VR Little Endian.
   */
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
   *
   * Transfer syntax (PS3.18 8.7.3.5): first the stored one ("*", or `options.transferSyntax`), so nothing is
   * transcoded in the common case. When the PACS refuses that (406) or sends an instance ct-fhir cannot decode (JPEG
   * Baseline, HTJ2K...), the rest of the series is asked for again as Explicit VR Little Endian, which the PACS
   * transcodes to; a refusal of that ends the retrieval with a 'transfer-syntax' error. One syntax per request: a
   * list in the Accept header is not honoured alike (Orthanc's plugin takes the last one).
   */
  async *retrieveSeries(studyUid: string, seriesUid: string): AsyncGenerator<Uint8Array> {
    checkUid(studyUid, 'Study Instance UID');
    checkUid(seriesUid, 'Series Instance UID');
    const url = this.url(`/studies/${studyUid}/series/${seriesUid}`);
    const state: SeriesStream = {
      url,
      seriesUid,
      syntax: this.options.transferSyntax ?? '*',
      deliveredUids: new Set(),
      delivered: 0,
    };
    const retries = this.options.retries ?? 3;
    for (let restart = 0; ;) {
      let res: OpenResponse;
      try {
        res = await this.openSeries(url, state.syntax, state.transcoding !== undefined);
      } catch (err) {
        if (state.transcoding === undefined && err instanceof DicomwebError && err.upstreamStatus === 406) {
          this.transcode(state, `it answered 406 to transfer-syntax=${state.syntax}`);
          continue;
        }
        throw state.transcoding !== undefined ? refused(state, err) : err;
      }
      try {
        if ((yield* this.parts(res, state)) === 'end') return;
        res.cancel();
      } catch (err) {
        res.cancel();
        if (!(err instanceof DicomwebError) || !err.retryable || restart >= retries) {
          throw state.transcoding !== undefined ? refused(state, err) : err;
        }
        restart++;
        this.options.logger?.warn('dicomweb resume', {
          url: safeUrl(url),
          delivered: state.delivered,
          restart,
          kind: err.kind,
        });
        await new Promise((r) => setTimeout(r, backoffDelay(restart, this.options)));
      }
    }
  }

  /** Asks for the rest of the series as Explicit VR Little Endian from now on. */
  private transcode(state: SeriesStream, why: string): void {
    state.transcoding = why;
    state.syntax = EXPLICIT_VR_LITTLE_ENDIAN;
    this.options.logger?.warn('dicomweb transcode', { url: safeUrl(state.url), delivered: state.delivered, why });
  }

  /**
   * The parts of one WADO-RS answer not delivered before, in a syntax ct-fhir decodes. Ends with 'transcode' at the
   * first instance it cannot decode (the series is then asked for again), 'end' after the last part.
   */
  private async *parts(res: OpenResponse, state: SeriesStream): AsyncGenerator<Uint8Array, 'end' | 'transcode'> {
    let index = 0;
    const boundary = boundaryOf(res.headers.get('content-type'));
    for await (const part of readMultipart(res.body, boundary, this.options.multipart)) {
      const type = part.headers['content-type'];
      if (type !== undefined && parseContentType(type).type !== 'application/dicom') {
        throw new DicomwebError(
          'protocol',
          `WADO-RS part ${index + 1} of ${safeUrl(state.url)} is ${type}, not application/dicom`,
        );
      }
      const { sopInstanceUid: uid, transferSyntaxUid: ts } = partHeader(part.body);
      const already = uid !== undefined ? state.deliveredUids.has(uid) : index < state.delivered;
      index++;
      if (already) continue;
      if (ts !== undefined && !isDecodable(ts)) {
        const what = `instance ${uid ?? index} is in ${syntaxName(ts)}, which ct-fhir cannot decode`;
        if (state.transcoding === undefined) {
          this.transcode(state, what);
          return 'transcode';
        }
        throw new DicomwebError(
          'transfer-syntax',
          `PACS sent series ${state.seriesUid} in a transfer syntax ct-fhir cannot decode: ${what}, although ` +
            `Explicit VR Little Endian was asked for (${state.transcoding})`,
          { url: safeUrl(state.url) },
        );
      }
      if (uid !== undefined) state.deliveredUids.add(uid);
      state.delivered++;
      yield part.body;
    }
    return 'end';
  }

  /**
   * Opens the WADO-RS series request for one transfer syntax, with the retry policy. When transcoding, a 500 is the
   * PACS failing to transcode (Orthanc's answer for a syntax it cannot decode), not worth retrying.
   */
  private openSeries(url: string, syntax: string, transcoding: boolean): Promise<OpenResponse> {
    const accept = `multipart/related; type="application/dicom"; transfer-syntax=${syntax}`;
    return withRetries(`GET ${safeUrl(url)}`, this.options, async () => {
      try {
        return await openGet(url, accept, this.options);
      } catch (err) {
        if (!transcoding || !(err instanceof DicomwebError) || err.upstreamStatus !== 500) throw err;
        throw new DicomwebError('http', err.message, { url: err.url, upstreamStatus: 500, retryable: false });
      }
    });
  }
}

/** A series retrieval in progress: what is asked for, and what has been delivered (by SOP Instance UID). */
interface SeriesStream {
  url: string;
  seriesUid: string;
  /** transfer-syntax parameter of the next request. */
  syntax: string;
  /** Why the series is being asked for as Explicit VR Little Endian; undefined until it is. */
  transcoding?: string;
  // A PACS need not answer a re-request in the same order (PS3.18 fixes none). Parts without a readable UID fall
  // back to their position in the response.
  deliveredUids: Set<string>;
  delivered: number;
}

/** The 'transfer-syntax' error for a PACS that could not send the series as Explicit VR Little Endian. */
function refused(state: SeriesStream, err: unknown): unknown {
  if (!(err instanceof DicomwebError) || err.kind === 'not-found' || err.kind === 'transfer-syntax') return err;
  const after = state.delivered > 0 ? ` after ${state.delivered} instance(s)` : '';
  return new DicomwebError(
    'transfer-syntax',
    `PACS cannot send series ${state.seriesUid} in a transfer syntax ct-fhir decodes: ${state.transcoding}; asked ` +
      `to transcode to Explicit VR Little Endian (${EXPLICIT_VR_LITTLE_ENDIAN}), it failed${after}: ${err.message}`,
    { url: safeUrl(state.url), upstreamStatus: err.upstreamStatus, retryable: err.retryable, cause: err },
  );
}

function syntaxName(uid: string): string {
  const ts = transferSyntax(uid);
  return ts ? `${ts.name} (${uid})` : `unknown transfer syntax ${uid.slice(0, 64)}`;
}

/**
 * The SOP Instance UID (0008,0018) and Transfer Syntax UID (0002,0010) of a Part 10 instance, reading the header
 * only; either undefined when unreadable or absent.
 */
function partHeader(bytes: Uint8Array): { sopInstanceUid?: string; transferSyntaxUid?: string } {
  try {
    const ds = parseDicom(bytes, { untilTag: 0x00080019 });
    return {
      sopInstanceUid: ds.string(0x00080018) || undefined,
      transferSyntaxUid: ds.string(Tags.TransferSyntaxUID) || undefined,
    };
  } catch {
    return {};
  }
}
