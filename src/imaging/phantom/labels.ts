// Ground truth of a phantom (labels.json): every placed finding with its location, the locations it implies
// (lobe -> side -> lung, following the label conventions of ../shared/reference/labels.md), size, severity, centre
// and painted voxel count, plus the absent findings. Image and report of one phantom are built from the same list.
import type { Frame } from './geometry.js';
import type { PlacedFinding } from './placement.js';
import { FINDING_NAMES, formatFinding } from './spec.js';

const SIDE_OF: Record<string, string> = {
  right_upper: 'right_lung',
  right_mid: 'right_lung',
  right_lower: 'right_lung',
  left_upper: 'left_lung',
  left_mid: 'left_lung',
  left_lower: 'left_lung',
};

export interface LabelFinding {
  abnormality: string;
  location: string;
  /** The location and every broader location it implies. */
  locations: string[];
  sizeMm?: number;
  severity?: string;
  centerMm?: [number, number, number];
  voxels: number;
  requested: string;
}

export interface PhantomLabels {
  version: 1;
  seed: number;
  size: [number, number, number];
  spacingMm: [number, number, number];
  study: Record<string, string>;
  findings: LabelFinding[];
  /**
   * Abnormality -> locations as a report reader states them (labelLocations), with derived labels: nodulegr1cm
   * (nodule over 10 mm) and calcification (aortic plaque).
   */
  labels: Record<string, string[]>;
  /** Findings the phantom can draw that are absent from this one (their report sentence is a normal statement). */
  absent: string[];
}

/** Locations implied by a location: a lobe implies its side and the lung; a side implies the lung. */
export function impliedLocations(location: string): string[] {
  const side = SIDE_OF[location];
  if (side) return [location, side, 'lung'];
  if (location === 'right_lung' || location === 'left_lung') return [location, 'lung'];
  if (location === 'lung') return ['right_lung', 'left_lung', 'lung'];
  return [location];
}

/**
 * Locations of a finding in the label map, as a SARLE-style reader reports them: the most specific location named
 * (a lobe, a side), and both sides for a bilateral finding ("both lungs").
 */
export function labelLocations(location: string): string[] {
  return location === 'lung' ? ['right_lung', 'left_lung'] : [location];
}

/** Builds labels.json content (call after generating the slices so voxel counts are final). */
export function phantomLabels(
  seed: number,
  frame: Frame,
  findings: readonly PlacedFinding[],
  study: Record<string, string>,
): PhantomLabels {
  const list: LabelFinding[] = findings.map((f) => ({
    abnormality: f.spec.abnormality,
    location: f.location,
    locations: impliedLocations(f.location),
    ...(f.spec.sizeMm !== undefined ? { sizeMm: f.spec.sizeMm } : {}),
    ...(f.spec.severity !== undefined ? { severity: f.spec.severity } : {}),
    ...(f.centerMm ? { centerMm: f.centerMm.map((v) => Math.round(v * 10) / 10) as [number, number, number] } : {}),
    voxels: f.painters.reduce((n, p) => n + p.voxels, 0),
    requested: formatFinding(f.spec),
  }));
  const labels: Record<string, string[]> = {};
  const add = (name: string, locs: string[]): void => {
    labels[name] = [...new Set([...(labels[name] ?? []), ...locs])];
  };
  for (const f of list) {
    const at = labelLocations(f.location);
    add(f.abnormality, at);
    if (f.abnormality === 'nodule' && (f.sizeMm ?? 0) > 10) add('nodulegr1cm', at);
    // Aortic atherosclerosis is drawn and reported as calcified plaque (coronary calcification reads as CAD alone).
    if (f.abnormality === 'atherosclerosis') add('calcification', at);
  }
  return {
    version: 1,
    seed,
    size: [frame.nx, frame.ny, frame.nz],
    spacingMm: [frame.dx, frame.dy, frame.dz],
    study,
    findings: list,
    labels,
    absent: FINDING_NAMES.filter((n) => !list.some((f) => f.abnormality === n)),
  };
}
