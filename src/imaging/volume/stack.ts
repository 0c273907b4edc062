// Checks on the ordered slice positions (PS3.3 C.7.6.2.1.1): duplicates, gaps (missing slices), uneven spacing,
// gantry tilt (positions not stacked along the normal). Returns the slice spacing measured from the positions.
import { stackTiltDeg } from './geometry.js';
import { VolumeError, type Vec3 } from './types.js';

export interface StackChecks {
  /** Positions closer than this (mm) along the normal are duplicates. */
  duplicateToleranceMm: number;
  /** A gap may differ from the median spacing by this fraction before it is uneven (or missing slices). */
  spacingTolerance: number;
  /** Largest angle (deg) between the stacking direction and the slice normal (gantry tilt). */
  maxTiltDeg: number;
}

export const DEFAULT_STACK_CHECKS: StackChecks = { duplicateToleranceMm: 0.01, spacingTolerance: 0.1, maxTiltDeg: 0.5 };

/** Validates ordered positions; returns the mean slice spacing (mm). */
export function checkStack(
  sorted: { along: number; position: Vec3; slot: number }[],
  zAxis: Vec3,
  options: Partial<StackChecks>,
  warnings: string[],
  nominalSpacing?: number,
): number {
  const o = { ...DEFAULT_STACK_CHECKS, ...options };
  const n = sorted.length;
  if (n === 1) {
    const spacing = nominalSpacing !== undefined && nominalSpacing > 0 ? nominalSpacing : 1;
    warnings.push(
      `single slice: slice spacing ${spacing} mm from ${nominalSpacing ? 'the header' : 'a default'}, not positions`,
    );
    return spacing;
  }
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) {
    const gap = sorted[i]!.along - sorted[i - 1]!.along;
    if (gap < o.duplicateToleranceMm) {
      throw new VolumeError(
        'duplicate-position',
        `instances ${sorted[i - 1]!.slot + 1} and ${sorted[i]!.slot + 1} share position ${sorted[i]!.along.toFixed(3)} mm along the slice normal`,
      );
    }
    gaps.push(gap);
  }
  const median = [...gaps].sort((a, b) => a - b)[gaps.length >> 1]!;
  const tolerance = Math.max(o.spacingTolerance * median, 0.01);
  for (let i = 0; i < gaps.length; i++) {
    const gap = gaps[i]!;
    if (Math.abs(gap - median) <= tolerance) continue;
    const ratio = gap / median;
    const at = `between ${sorted[i]!.along.toFixed(2)} and ${sorted[i + 1]!.along.toFixed(2)} mm`;
    if (Math.abs(ratio - Math.round(ratio)) * median <= tolerance && Math.round(ratio) >= 2) {
      throw new VolumeError(
        'missing-slices',
        `${Math.round(ratio) - 1} slice(s) missing ${at} (gap ${gap.toFixed(3)} mm, spacing ${median.toFixed(3)} mm)`,
      );
    }
    throw new VolumeError(
      'uneven-spacing',
      `uneven slice spacing: gap of ${gap.toFixed(3)} mm ${at} against ${median.toFixed(3)} mm (tolerance ${(o.spacingTolerance * 100).toFixed(0)}%)`,
    );
  }
  const tilt = stackTiltDeg(sorted[0]!.position, sorted[n - 1]!.position, zAxis);
  if (tilt > o.maxTiltDeg) {
    throw new VolumeError(
      'gantry-tilt',
      `slices are stacked ${tilt.toFixed(2)} deg off their normal (gantry tilt); limit ${o.maxTiltDeg} deg`,
    );
  }
  return (sorted[n - 1]!.along - sorted[0]!.along) / (n - 1);
}
