// `ct-fhir inspect --dicom <dir> [--json]`: loads a folder the way the worker does (series choice, assembly, checks)
// and prints what a user needs to trust the volume: the series chosen and why, size, spacing, orientation, HU range,
// transfer syntaxes and every problem found. An unusable series is one line on stderr and exit code 1.
import { DicomParseError, PixelDataError, transferSyntax } from '../imaging/dicom/index.js';
import {
  huRange,
  loadVolumeFromFolder,
  scanFolder,
  VolumeError,
  type FolderLoad,
  type SeriesCriteria,
} from '../imaging/volume/index.js';
import { parseFlags, requireFolder, UsageError } from './usage.js';

interface Options {
  dir: string;
  json: boolean;
  criteria: Partial<SeriesCriteria>;
  maxVoxels?: number;
}

export const HELP = `usage: ct-fhir inspect --dicom <dir> [--json] [--series <uid>] [--min-slices N] [--max-voxels N]
                       [--allow-derived] [--modality CT]
`;

function positiveInt(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  // Digits only: Number() would take "0x10" and "1e3".
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= Number.MAX_SAFE_INTEGER))
    throw new UsageError(`--${flag} must be a positive integer, got "${raw}"`);
  return n;
}

function options(argv: string[]): Options {
  const { values } = parseFlags(
    argv,
    {
      dicom: { type: 'string' },
      json: { type: 'boolean' },
      series: { type: 'string' },
      'min-slices': { type: 'string' },
      'max-voxels': { type: 'string' },
      'allow-derived': { type: 'boolean' },
      modality: { type: 'string' },
    },
    HELP,
  );
  if (!values.dicom) throw new UsageError(`--dicom <dir> is required\n${HELP}`);
  const criteria: Partial<SeriesCriteria> = {};
  if (values.series) criteria.seriesInstanceUid = values.series;
  const minSlices = positiveInt('min-slices', values['min-slices']);
  if (minSlices !== undefined) criteria.minSlices = minSlices;
  if (values['allow-derived']) criteria.requireOriginal = false;
  if (values.modality) criteria.modality = values.modality;
  return {
    dir: values.dicom,
    json: values.json ?? false,
    criteria,
    maxVoxels: positiveInt('max-voxels', values['max-voxels']),
  };
}

const tsName = (uid: string): string => `${transferSyntax(uid)?.name ?? 'unknown transfer syntax'} (${uid})`;
const fmt = (v: number[], digits = 3): string => v.map((n) => n.toFixed(digits)).join(', ');

/** The report as data (also the --json output). */
function report(load: FolderLoad) {
  const { volume, choice, scan } = load;
  const range = huRange(volume.data);
  const chosen = scan.series.find((s) => s.seriesInstanceUid === choice.series.seriesInstanceUid);
  const problems = [
    ...scan.problems,
    ...choice.rejected.map(
      (r) =>
        `series ${r.seriesInstanceUid}${r.description ? ` "${r.description}"` : ''} not used: ${r.reasons.join(', ')}`,
    ),
    ...volume.warnings,
  ];
  if (range.max > 3071 || range.min < -1024)
    problems.push(`HU outside the usual CT range [-1024, 3071]: ${range.min}..${range.max}`);
  return {
    ok: true as const,
    series: {
      seriesInstanceUid: volume.seriesInstanceUid,
      studyInstanceUid: volume.studyInstanceUid,
      description: chosen?.description,
      seriesNumber: chosen?.seriesNumber,
      reason: choice.reason,
    },
    size: { columns: volume.shape[2], rows: volume.shape[1], slices: volume.shape[0] },
    spacingMm: { x: volume.spacing[2], y: volume.spacing[1], z: volume.spacing[0] },
    imageOrientationPatient: chosen?.orientation,
    direction: volume.direction,
    originMm: volume.origin,
    hu: range,
    transferSyntaxes: volume.transferSyntaxes.map((uid) => ({ uid, name: transferSyntax(uid)?.name ?? 'unknown' })),
    seriesFound: scan.series.length,
    filesScanned: scan.fileCount,
    problems,
  };
}

function text(r: ReturnType<typeof report>): string {
  const lines = [
    `series       ${r.series.reason}`,
    `size         ${r.size.columns} x ${r.size.rows} x ${r.size.slices} (columns x rows x slices)`,
    `spacing      ${fmt([r.spacingMm.x, r.spacingMm.y, r.spacingMm.z])} mm (x, y, z)`,
    `orientation  Image Orientation (Patient) ${r.imageOrientationPatient?.join('\\') ?? '?'}; volume axes x [${fmt(r.direction.x, 2)}] y [${fmt(r.direction.y, 2)}] z [${fmt(r.direction.z, 2)}]`,
    `origin       ${fmt(r.originMm, 2)} mm`,
    `HU range     ${r.hu.min} .. ${r.hu.max} (mean ${r.hu.mean.toFixed(1)})`,
    `transfer     ${r.transferSyntaxes.map((t) => tsName(t.uid)).join('; ')}`,
    `scanned      ${r.filesScanned} files, ${r.seriesFound} series`,
    r.problems.length ? `problems     ${r.problems.length}` : 'problems     none',
    ...r.problems.map((p) => `  - ${p}`),
  ];
  return lines.join('\n') + '\n';
}

function oneLine(err: unknown): string | undefined {
  if (err instanceof VolumeError) return `${err.message} [${err.code}]`;
  if (err instanceof DicomParseError || err instanceof PixelDataError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES') return (err as Error).message;
  return undefined;
}

/** CLI entry: see the file comment. */
export async function inspect(argv: string[]): Promise<number> {
  const o = options(argv);
  await requireFolder('dicom', o.dir);
  try {
    const load = await loadVolumeFromFolder(o.dir, { criteria: o.criteria, assemble: { maxVoxels: o.maxVoxels } });
    const r = report(load);
    process.stdout.write(o.json ? JSON.stringify(r, null, 2) + '\n' : text(r));
    return 0;
  } catch (err) {
    const message = oneLine(err);
    if (message === undefined) throw err;
    process.stderr.write(`ct-fhir inspect: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (o.json) {
      const scan = await scanFolder(o.dir).catch(() => undefined);
      const error = { code: err instanceof VolumeError ? err.code : (err as Error).name, message };
      process.stdout.write(JSON.stringify({ ok: false, error, problems: scan?.problems ?? [] }, null, 2) + '\n');
    }
    return 1;
  }
}
