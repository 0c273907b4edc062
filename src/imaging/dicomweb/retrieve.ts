// Opens the pixels of a study for the volume assembler: locate (ImagingStudy -> UID + endpoint), list the series
// (QIDO-RS, or a scan of a file:// folder), choose one by the method's rules (volume/series.ts, configurable, reason
// recorded), and stream its instances one at a time (WADO-RS multipart, or file by file).
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ImagingStudy } from 'fhir/r4.js';
import type { SeriesChoice, SeriesCriteria, SeriesSummary } from '../volume/index.js';
import { DEFAULT_SERIES_CRITERIA, VolumeError, scanFolder, selectSeries, seriesProblems } from '../volume/index.js';
import type { DicomwebClientOptions } from './client.js';
import { DicomwebClient, checkUid } from './client.js';
import { DicomwebError, safeUrl } from './errors.js';
import type { PacsAuth } from './http.js';
import type { EndpointResolver, StudyLocation } from './study-ref.js';
import { locateStudy } from './study-ref.js';

export interface RetrieveOptions extends DicomwebClientOptions {
  /** Resolves Endpoint references that are not contained in the ImagingStudy. */
  resolveEndpoint?: EndpointResolver;
  /** PACS used when the ImagingStudy names no Endpoint (DICOMWEB_URL). */
  dicomwebUrl?: string;
  /** Credentials of DICOMWEB_URL: sent only to its origin, never to an address an Endpoint resource names. */
  dicomwebAuth?: PacsAuth;
  /** Series rules; defaults to the method's (CT, ORIGINAL, axial, most instances, more than 30). */
  criteria?: Partial<SeriesCriteria>;
}

/** A study opened for retrieval: the series chosen and why, and its instances as a stream of Part 10 bytes. */
export interface StudyRetrieval {
  studyUid: string;
  source: 'dicomweb' | 'file';
  /** Endpoint URL without credentials or query. */
  url: string;
  location: StudyLocation;
  series: SeriesSummary[];
  choice: SeriesChoice;
  /** Instances of the chosen series, one at a time (each call starts a new retrieval). */
  instances(): AsyncIterable<Uint8Array>;
}

function choose(series: SeriesSummary[], criteria: SeriesCriteria, studyUid: string): SeriesChoice {
  try {
    return selectSeries(series, criteria);
  } catch (err) {
    if (err instanceof VolumeError)
      throw new DicomwebError('no-usable-series', `study ${studyUid}: ${err.message}`, { cause: err });
    throw err;
  }
}

async function openDicomweb(
  location: StudyLocation,
  options: RetrieveOptions,
  criteria: SeriesCriteria,
): Promise<StudyRetrieval> {
  const client = new DicomwebClient(location.url, options);
  const { studyUid } = location;
  const listed = await client.searchSeries(studyUid);
  if (listed.length === 0)
    throw new DicomwebError(
      'not-found',
      `study ${studyUid} is not in the PACS at ${safeUrl(location.url)} (QIDO-RS found no series)`,
    );
  // Image Type and orientation are instance attributes: ask only for series that pass the series-level rules.
  const series = await Promise.all(
    listed.map((s) =>
      seriesProblems(s, { ...criteria, requireOriginal: false, requireAxial: false }).length === 0
        ? client.describeSeries(studyUid, s)
        : s,
    ),
  );
  const choice = choose(series, criteria, studyUid);
  return {
    studyUid,
    source: 'dicomweb',
    url: safeUrl(location.url),
    location,
    series,
    choice,
    instances: () => client.retrieveSeries(studyUid, choice.series.seriesInstanceUid),
  };
}

async function openFolder(location: StudyLocation, criteria: SeriesCriteria): Promise<StudyRetrieval> {
  const dir = fileURLToPath(location.url);
  let scan;
  try {
    scan = await scanFolder(dir);
  } catch (err) {
    throw new DicomwebError('not-found', `cannot read the folder ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const series = scan.series.filter((s) => s.studyInstanceUid === location.studyUid);
  if (series.length === 0)
    throw new DicomwebError(
      'not-found',
      `study ${location.studyUid} is not in ${dir} (${scan.series.length} other series, ${scan.fileCount} files)`,
    );
  const choice = choose(series, criteria, location.studyUid);
  const files = series.find((s) => s.seriesInstanceUid === choice.series.seriesInstanceUid)!.files;
  return {
    studyUid: location.studyUid,
    source: 'file',
    url: location.url,
    location,
    series,
    choice,
    instances: async function* () {
      for (const f of files) yield new Uint8Array(await readFile(f));
    },
  };
}

/** Opens a study at a known location (a DICOMweb base URL or a file:// folder). */
export async function openStudyAt(location: StudyLocation, options: RetrieveOptions = {}): Promise<StudyRetrieval> {
  checkUid(location.studyUid, 'Study Instance UID');
  const criteria = { ...DEFAULT_SERIES_CRITERIA, ...options.criteria };
  if (location.url.startsWith('file://')) return openFolder(location, criteria);
  return openDicomweb(location, options, criteria);
}

/** Opens the study behind an ImagingStudy: locate it, list and choose its series, ready to stream instances. */
export async function openStudy(study: ImagingStudy, options: RetrieveOptions = {}): Promise<StudyRetrieval> {
  const location = await locateStudy(study, {
    resolveEndpoint: options.resolveEndpoint,
    dicomwebUrl: options.dicomwebUrl,
  });
  return openStudyAt(location, { ...options, auth: options.auth ?? configuredAuth(location.url, options) });
}

/**
 * The DICOMWEB_URL credentials where `url` is on that PACS (same origin), unless `url` brings its own user info;
 * never for another address an Endpoint resource names (whoever may write Endpoints could collect them).
 */
function configuredAuth(url: string, options: RetrieveOptions): PacsAuth | undefined {
  if (!options.dicomwebAuth || !options.dicomwebUrl || !/^https?:\/\//.test(url)) return undefined;
  try {
    const target = new URL(url);
    if (target.username || target.password) return undefined;
    return target.origin === new URL(options.dicomwebUrl).origin ? options.dicomwebAuth : undefined;
  } catch {
    return undefined;
  }
}
