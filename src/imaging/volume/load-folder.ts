// Local folder adapter: scans DICOM files (headers only, first 64 KiB), groups them into series, applies the series
// choice, then streams the chosen series' files into assembleVolume with a few reads in flight.
import { open, readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DicomParseError, parseDicom, Tags, type DicomDataset } from '../dicom/index.js';
import { assembleVolume, type AssembleOptions } from './assemble.js';
import {
  DEFAULT_SERIES_CRITERIA,
  isLocalizer,
  selectSeries,
  type SeriesChoice,
  type SeriesCriteria,
  type SeriesSummary,
} from './series.js';
import { VolumeError, type Volume } from './types.js';

const HEADER_BYTES = 64 * 1024;
const READ_AHEAD = 4;

export interface FolderSeries extends SeriesSummary {
  files: string[];
  transferSyntaxes: string[];
}

export interface FolderScan {
  series: FolderSeries[];
  /** Files skipped and why (relative paths; no patient data). */
  problems: string[];
  fileCount: number;
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

/** Parses the header (everything before Pixel Data) of a file, reading only its start when that suffices. */
export async function readHeader(path: string): Promise<DicomDataset> {
  const handle = await open(path, 'r');
  let prefix: Uint8Array;
  let size: number;
  try {
    size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.min(size, HEADER_BYTES));
    await handle.read(buffer, 0, buffer.length, 0);
    prefix = buffer;
  } finally {
    await handle.close();
  }
  try {
    return parseDicom(prefix, { untilTag: Tags.PixelData, prefix: size > prefix.byteLength });
  } catch (err) {
    if (!(err instanceof DicomParseError && err.truncated && size > prefix.byteLength)) throw err;
    return parseDicom(await readFile(path), { untilTag: Tags.PixelData });
  }
}

/** Reads every file's header under `dir` (recursively) and groups DICOM instances by series. */
export async function scanFolder(dir: string): Promise<FolderScan> {
  const files: string[] = [];
  await walk(dir, files);
  files.sort();
  const bySeries = new Map<string, FolderSeries>();
  const problems: string[] = [];
  const headers = await mapLimit(files, 8, async (f) => {
    try {
      return await readHeader(f);
    } catch (err) {
      problems.push(`skipped ${relative(dir, f)}: ${(err as Error).message}`);
      return undefined;
    }
  });
  headers.forEach((ds, i) => {
    if (!ds) return;
    const uid = ds.string('SeriesInstanceUID');
    if (!uid) {
      problems.push(`skipped ${relative(dir, files[i]!)}: no Series Instance UID (0020,000E)`);
      return;
    }
    let s = bySeries.get(uid);
    if (!s) {
      s = {
        seriesInstanceUid: uid,
        studyInstanceUid: ds.string('StudyInstanceUID'),
        modality: ds.string('Modality'),
        seriesNumber: ds.number('SeriesNumber'),
        description: ds.string('SeriesDescription'),
        imageType: ds.strings('ImageType'),
        orientation: ds.numbers('ImageOrientationPatient'),
        instanceCount: 0,
        files: [],
        transferSyntaxes: [],
      };
      bySeries.set(uid, s);
    }
    // A localizer first in file order must not stand for the series (its orientation is not the slices').
    if (isLocalizer(s.imageType) && !isLocalizer(ds.strings('ImageType'))) {
      s.imageType = ds.strings('ImageType');
      s.orientation = ds.numbers('ImageOrientationPatient');
    }
    s.instanceCount++;
    s.files.push(files[i]!);
    if (!s.transferSyntaxes.includes(ds.transferSyntaxUid)) s.transferSyntaxes.push(ds.transferSyntaxUid);
  });
  problems.sort(); // reads finish in any order; report in a stable one
  return { series: [...bySeries.values()], problems, fileCount: files.length };
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * Parsed instances of the files, in order, with up to READ_AHEAD reads in flight. A read that fails while an earlier
 * one is awaited must not become an unhandled rejection (which ends the process): each gets a handler at once and
 * its error is raised in turn; reads still in flight are aborted when the consumer stops early or fails.
 */
export async function* readInstances(files: string[], timings?: { readMs: number }): AsyncGenerator<DicomDataset> {
  const abort = new AbortController();
  const pending: Promise<Buffer>[] = [];
  let next = 0;
  const fill = (): void => {
    while (pending.length < READ_AHEAD && next < files.length) {
      const read = readFile(files[next++]!, { signal: abort.signal });
      read.catch(() => undefined);
      pending.push(read);
    }
  };
  try {
    for (let i = 0; i < files.length; i++) {
      fill();
      const t0 = performance.now();
      let ds: DicomDataset;
      try {
        ds = parseDicom(await pending.shift()!);
      } catch (err) {
        throw new VolumeError('unreadable', `${files[i]}: ${(err as Error).message}`);
      }
      if (timings) timings.readMs += performance.now() - t0;
      yield ds;
    }
  } finally {
    abort.abort();
  }
}

export interface FolderLoad {
  volume: Volume;
  choice: SeriesChoice;
  scan: FolderScan;
}

/** Loads the volume of the series chosen under `dir` (method's series rules unless `criteria` says otherwise). */
export async function loadVolumeFromFolder(
  dir: string,
  options: { criteria?: Partial<SeriesCriteria>; assemble?: AssembleOptions; timings?: { readMs: number } } = {},
): Promise<FolderLoad> {
  const scan = await scanFolder(dir);
  if (scan.series.length === 0) {
    throw new VolumeError(
      'no-series',
      `no DICOM instances under ${dir} (${scan.fileCount} files${scan.problems[0] ? `; ${scan.problems[0]}` : ''})`,
    );
  }
  const choice = selectSeries(scan.series, { ...DEFAULT_SERIES_CRITERIA, ...options.criteria });
  const files = scan.series.find((s) => s.seriesInstanceUid === choice.series.seriesInstanceUid)!.files;
  const volume = await assembleVolume(readInstances(files, options.timings), {
    maxObliquityDeg: options.criteria?.maxObliquityDeg,
    modality: options.criteria?.modality,
    ...options.assemble,
    expectedSlices: files.length,
  });
  return { volume, choice, scan };
}
