// Volume assembly: instances (from a folder or a DICOMweb stream) decoded one at a time into a preallocated
// Int16Array of HU (Modality LUT, PS3.3 C.11.1: HU = stored x Rescale Slope + Rescale Intercept; padding pixels,
// PS3.3 C.7.5.1.1.2, as air), then ordered along the slice normal by Image Position (Patient) (PS3.3 C.7.6.2.1.1)
// with geometry checks and clear errors.
import {
  PixelDataError,
  readPixelData,
  frameCount,
  pixelPadding,
  type DicomDataset,
  type PixelArray,
} from '../dicom/index.js';
import {
  orientationOf,
  positionOf,
  obliquityDeg,
  orientationDifferenceDeg,
  dot,
  type Orientation,
} from './geometry.js';
import { isLocalizer } from './series.js';
import { SliceStore } from './slice-store.js';
import { checkStack, type StackChecks } from './stack.js';
import { VolumeError, type Vec3, type Volume } from './types.js';

export interface AssembleOptions extends Partial<StackChecks> {
  /** Instances expected (QIDO NumberOfSeriesRelatedInstances, folder scan): allocates once, checks the count. */
  expectedSlices?: number;
  /** Largest volume accepted, in voxels; larger series are refused before allocation (default 512x512x1200). */
  maxVoxels?: number;
  /** Required Modality (0008,0060); default CT. */
  modality?: string;
  maxObliquityDeg?: number;
  /** Pixel Spacing row and column values must agree within this fraction (method: square pixels). */
  squarePixelTolerance?: number;
  /** Flip axes so x, y, z run along +L, +P, +S (LPS); default true. */
  canonical?: boolean;
  /** When given, accumulates milliseconds spent decoding (incl. HU) and ordering/checking. */
  timings?: { decodeMs: number; orderMs: number };
}

export const DEFAULT_MAX_VOXELS = 512 * 512 * 1200;

interface Reference {
  rows: number;
  columns: number;
  pixelSpacing: [number, number];
  orientation: Orientation;
  seriesInstanceUid: string;
  studyInstanceUid?: string;
  /** Spacing Between Slices or Slice Thickness: the z spacing of a single-slice series. */
  nominalSpacing?: number;
}

function fail(code: ConstructorParameters<typeof VolumeError>[0], index: number, message: string): never {
  throw new VolumeError(code, `instance ${index + 1}: ${message}`);
}

/** Header checks one instance must pass before its pixels are decoded. */
function checkInstance(ds: DicomDataset, index: number, o: AssembleOptions): void {
  const modality = ds.string('Modality');
  const wanted = o.modality ?? 'CT';
  if (modality !== wanted) fail('non-ct', index, `Modality (0008,0060) is ${modality ?? 'absent'}, not ${wanted}`);
  if (!ds.has('PixelData')) fail('missing-pixel-data', index, 'no Pixel Data (7FE0,0010)');
  if (frameCount(ds) > 1) {
    fail(
      'multi-frame',
      index,
      `${frameCount(ds)} frames in one instance (Enhanced CT); only single-frame CT Image Storage is read`,
    );
  }
  const spp = ds.number('SamplesPerPixel') ?? 1;
  const photometric = ds.string('PhotometricInterpretation') ?? 'MONOCHROME2';
  if (spp !== 1 || !photometric.startsWith('MONOCHROME')) {
    fail(
      'unsupported-pixels',
      index,
      `${spp} samples per pixel, ${photometric}: CT needs one MONOCHROME sample (PS3.3 C.8.2.1)`,
    );
  }
  const rescaleType = ds.string('RescaleType');
  if (rescaleType !== undefined && rescaleType !== 'HU') {
    fail('non-hu-rescale', index, `Rescale Type (0028,1054) is ${rescaleType}, not HU (PS3.3 C.11.1.1.2)`);
  }
  // A rescale that is there but unreadable, or a slope of 0, would give a volume of wrong or constant HU silently.
  for (const keyword of ['RescaleSlope', 'RescaleIntercept']) {
    const text = ds.string(keyword);
    if (text !== undefined && ds.number(keyword) === undefined)
      fail('non-hu-rescale', index, `${ds.describe(keyword)} "${text.slice(0, 20)}" is not a number (PS3.3 C.11.1)`);
  }
  if (ds.number('RescaleSlope') === 0)
    fail('non-hu-rescale', index, `${ds.describe('RescaleSlope')} is 0: every pixel would be one HU (PS3.3 C.11.1)`);
  const tilt = ds.number('GantryDetectorTilt') ?? 0;
  if (Math.abs(tilt) > (o.maxTiltDeg ?? 0.5)) {
    fail(
      'gantry-tilt',
      index,
      `Gantry/Detector Tilt (0018,1120) is ${tilt} deg; tilted acquisitions are not resampled`,
    );
  }
}

function referenceOf(ds: DicomDataset, o: AssembleOptions): Reference {
  const orientation = orientationOf(ds);
  const angle = obliquityDeg(orientation.normal);
  if (angle > (o.maxObliquityDeg ?? 5)) {
    throw new VolumeError(
      'non-axial',
      `slices are not axial: normal ${angle.toFixed(1)} deg from the feet-head axis (limit ${o.maxObliquityDeg ?? 5})`,
    );
  }
  const ps = ds.numbers('PixelSpacing');
  if (ps.length !== 2 || !(ps[0]! > 0 && ps[1]! > 0))
    throw new VolumeError('unsupported-pixels', 'Pixel Spacing (0028,0030) must hold two positive values');
  const tol = o.squarePixelTolerance ?? 0.01;
  if (Math.abs(ps[0]! - ps[1]!) > tol * Math.max(ps[0]!, ps[1]!)) {
    throw new VolumeError(
      'non-square-pixels',
      `Pixel Spacing ${ps[0]}\\${ps[1]} is not square (method: square pixels)`,
    );
  }
  return {
    rows: ds.number('Rows') ?? 0,
    columns: ds.number('Columns') ?? 0,
    pixelSpacing: [ps[0]!, ps[1]!],
    orientation,
    seriesInstanceUid: ds.string('SeriesInstanceUID') ?? '',
    studyInstanceUid: ds.string('StudyInstanceUID'),
    nominalSpacing: ds.number('SpacingBetweenSlices') ?? ds.number('SliceThickness'),
  };
}

function checkAgainst(ds: DicomDataset, ref: Reference, index: number): void {
  const rows = ds.number('Rows');
  const columns = ds.number('Columns');
  if (rows !== ref.rows || columns !== ref.columns) {
    fail('mixed-sizes', index, `${rows}x${columns} pixels but the series started with ${ref.rows}x${ref.columns}`);
  }
  const series = ds.string('SeriesInstanceUID') ?? '';
  if (series !== ref.seriesInstanceUid)
    fail('mixed-series', index, `belongs to series ${series}, not ${ref.seriesInstanceUid}`);
  const ps = ds.numbers('PixelSpacing');
  if (Math.abs((ps[0] ?? 0) - ref.pixelSpacing[0]) > 1e-3 || Math.abs((ps[1] ?? 0) - ref.pixelSpacing[1]) > 1e-3) {
    fail('mixed-sizes', index, `Pixel Spacing ${ps.join('\\')} differs from ${ref.pixelSpacing.join('\\')}`);
  }
  const diff = orientationDifferenceDeg(orientationOf(ds), ref.orientation);
  if (diff > 0.5)
    fail(
      'inconsistent-orientation',
      index,
      `Image Orientation (Patient) differs by ${diff.toFixed(2)} deg from the first instance`,
    );
}

/**
 * HU given to padding pixels (PS3.3 C.7.5.1.1.2: outside the reconstructed field of view, not tissue): air, so that
 * resampling blends the edge of the field of view with air, not with -2000 or -3024 HU.
 */
export const PADDING_HU = -1000;

/**
 * Stored values -> HU into dst, rounded half away from zero and clamped to int16; stored values within `padding`
 * ([low, high], Pixel Padding Value and Range Limit) become PADDING_HU. Returns the number of padding pixels.
 */
export function storeHU(
  src: PixelArray,
  dst: Int16Array,
  slope: number,
  intercept: number,
  padding?: [number, number],
): number {
  const n = dst.length;
  const [lo, hi] = padding ?? [Infinity, -Infinity];
  let padded = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i]!;
    if (s >= lo && s <= hi) {
      dst[i] = PADDING_HU;
      padded++;
      continue;
    }
    let v = s * slope + intercept;
    v = v >= 0 ? v + 0.5 : v - 0.5;
    dst[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return padded;
}

interface Placed {
  slot: number;
  position: Vec3;
}

/**
 * Assembles a CT volume from the instances of one series, decoding each into its slot as it arrives (PS3.3 C.7.6.2,
 * C.11.1). Accepts arrays, generators and async streams (DICOMweb), so memory stays one volume plus one instance.
 */
export async function assembleVolume(
  instances: Iterable<DicomDataset> | AsyncIterable<DicomDataset>,
  options: AssembleOptions = {},
): Promise<Volume> {
  let ref: Reference | undefined;
  let store: SliceStore | undefined;
  const placed: Placed[] = [];
  const transferSyntaxes = new Set<string>();
  const warnings: string[] = [];
  let localizers = 0;
  let padded = 0;
  for await (const ds of instances) {
    if (isLocalizer(ds.strings('ImageType'))) {
      localizers++;
      continue;
    }
    const index = placed.length;
    checkInstance(ds, index, options);
    if (!ref) {
      ref = referenceOf(ds, options);
      store = new SliceStore(ref.rows * ref.columns, options.expectedSlices, options.maxVoxels ?? DEFAULT_MAX_VOXELS);
    } else checkAgainst(ds, ref, index);
    if (options.expectedSlices !== undefined && index >= options.expectedSlices) {
      throw new VolumeError('instance-count', `more instances than the ${options.expectedSlices} expected`);
    }
    const t0 = performance.now();
    let pixels: PixelArray;
    try {
      pixels = await readPixelData(ds);
    } catch (err) {
      if (err instanceof PixelDataError) fail('unsupported-pixels', index, err.message);
      throw err;
    }
    const slope = ds.number('RescaleSlope');
    const intercept = ds.number('RescaleIntercept');
    if (slope === undefined || intercept === undefined) {
      if (!warnings.some((w) => w.startsWith('Rescale')))
        warnings.push('Rescale Slope/Intercept absent: stored values taken as HU');
    }
    const padding = pixelPadding(ds);
    store!.fill(index, (slice) => {
      padded += storeHU(pixels, slice, slope ?? 1, intercept ?? 0, padding);
    });
    if (options.timings) options.timings.decodeMs += performance.now() - t0;
    placed.push({ slot: index, position: positionOf(ds) });
    transferSyntaxes.add(ds.transferSyntaxUid);
    for (const w of ds.warnings) if (!warnings.includes(w) && warnings.length < 50) warnings.push(w);
  }
  checkCount(placed.length, localizers, options.expectedSlices);
  if (!ref || !store) throw new VolumeError('no-series', 'no instances to assemble');
  if (localizers > 0) warnings.push(`skipped ${localizers} localizer image(s) (Image Type value 3 LOCALIZER)`);
  if (padded > 0) warnings.push(`${padded} padding pixel(s) (Pixel Padding Value) set to ${PADDING_HU} HU (air)`);
  const t1 = performance.now();
  const volume = finish(ref, store, placed, [...transferSyntaxes], warnings, options);
  if (options.timings) options.timings.orderMs += performance.now() - t1;
  return volume;
}

/** The slices that arrived against the expected count, which includes the localizers skipped (QIDO, folder scan). */
function checkCount(arrived: number, localizers: number, expectedSlices: number | undefined): void {
  const besides = localizers > 0 ? ` besides ${localizers} localizer(s)` : '';
  if (arrived === 0) throw new VolumeError('no-series', `no instances to assemble${besides}`);
  const expected = expectedSlices === undefined ? arrived : expectedSlices - localizers;
  if (arrived !== expected) {
    throw new VolumeError('instance-count', `${arrived} instances arrived, ${expected} expected${besides}`);
  }
}

function finish(
  ref: Reference,
  store: SliceStore,
  placed: Placed[],
  transferSyntaxes: string[],
  warnings: string[],
  o: AssembleOptions,
): Volume {
  const { row, column, normal } = ref.orientation;
  const canonical = o.canonical ?? true;
  // Order along the normal; canonical output runs feet to head whichever way the normal points.
  const sign = canonical && normal[2] < 0 ? -1 : 1;
  const zAxis: Vec3 = [normal[0] * sign + 0, normal[1] * sign + 0, normal[2] * sign + 0]; // + 0: no -0
  const sorted = placed.map((p) => ({ ...p, along: dot(p.position, zAxis) })).sort((a, b) => a.along - b.along);
  const spacingZ = checkStack(sorted, zAxis, o, warnings, ref.nominalSpacing);
  store.trim(placed.length);
  store.permute(sorted.map((p) => p.slot));
  const n = placed.length;
  let [rows, columns] = [ref.rows, ref.columns];
  let [dy, dx] = ref.pixelSpacing;
  let origin: Vec3 = sorted[0]!.position;
  let xAxis = row;
  let yAxis = column;
  // Rows running front to back (decubitus, rotated acquisitions, e.g. 0\1\0\-1\0\0): swap rows and columns so that
  // x runs along left-right before the flips; flips alone would leave x along P and y along R.
  if (canonical && Math.abs(row[0]) < Math.abs(column[0])) {
    transposeInPlane(store.data, n, rows, columns);
    [rows, columns] = [columns, rows];
    [dy, dx] = [dx, dy];
    [xAxis, yAxis] = [yAxis, xAxis];
    warnings.push('transposed rows and columns to LPS order');
  }
  const flipX = canonical && xAxis[0] < 0;
  const flipY = canonical && yAxis[1] < 0;
  if (flipX || flipY) {
    flipInPlane(store.data, n, rows, columns, flipX, flipY);
    // The first voxel is now the one at the far end of each flipped axis.
    if (flipX) {
      origin = add(origin, xAxis, dx * (columns - 1));
      xAxis = [-xAxis[0] + 0, -xAxis[1] + 0, -xAxis[2] + 0];
    }
    if (flipY) {
      origin = add(origin, yAxis, dy * (rows - 1));
      yAxis = [-yAxis[0] + 0, -yAxis[1] + 0, -yAxis[2] + 0];
    }
    warnings.push(`flipped ${[flipX ? 'x' : '', flipY ? 'y' : ''].filter(Boolean).join(' and ')} to LPS order`);
  }
  return {
    data: store.data,
    shape: [n, rows, columns],
    spacing: [spacingZ, dy, dx],
    origin,
    direction: { x: xAxis, y: yAxis, z: zAxis },
    seriesInstanceUid: ref.seriesInstanceUid,
    studyInstanceUid: ref.studyInstanceUid,
    transferSyntaxes,
    warnings,
  };
}

const add = (p: Vec3, axis: Vec3, mm: number): Vec3 => [p[0] + axis[0] * mm, p[1] + axis[1] * mm, p[2] + axis[2] * mm];

/** Transposes each rows x columns slice into a columns x rows one (one slice of scratch memory). */
function transposeInPlane(data: Int16Array, slices: number, rows: number, columns: number): void {
  const size = rows * columns;
  const scratch = new Int16Array(size);
  for (let z = 0; z < slices; z++) {
    const slice = data.subarray(z * size, (z + 1) * size);
    scratch.set(slice);
    for (let y = 0; y < rows; y++) for (let x = 0; x < columns; x++) slice[x * rows + y] = scratch[y * columns + x]!;
  }
}

function flipInPlane(
  data: Int16Array,
  slices: number,
  rows: number,
  columns: number,
  flipX: boolean,
  flipY: boolean,
): void {
  const size = rows * columns;
  const line = new Int16Array(columns);
  for (let z = 0; z < slices; z++) {
    const slice = data.subarray(z * size, (z + 1) * size);
    if (flipX) for (let y = 0; y < rows; y++) slice.subarray(y * columns, (y + 1) * columns).reverse();
    if (flipY) {
      for (let y = 0; y < rows >> 1; y++) {
        const a = slice.subarray(y * columns, (y + 1) * columns);
        const b = slice.subarray((rows - 1 - y) * columns, (rows - y) * columns);
        line.set(a);
        a.set(b);
        b.set(line);
      }
    }
  }
}
