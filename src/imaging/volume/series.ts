// Series choice (../shared/reference/method.md "Preprocessing"): the ORIGINAL axial CT series with the most
// instances, more than 30; every rule configurable, and the reason for the choice and each rejection recorded.
// Works on summaries, so a folder scan and a QIDO-RS series query use the same rules.
import { obliquityDeg, cross } from './geometry.js';
import { VolumeError, type Vec3 } from './types.js';

export interface SeriesSummary {
  seriesInstanceUid: string;
  studyInstanceUid?: string;
  modality?: string;
  seriesNumber?: number;
  description?: string;
  /** Image Type (0008,0008) values of an instance, when known (QIDO may not return it). */
  imageType?: string[];
  /** Image Orientation (Patient) of an instance, when known. */
  orientation?: number[];
  instanceCount: number;
}

export interface SeriesCriteria {
  modality: string;
  requireOriginal: boolean;
  requireAxial: boolean;
  /** Largest angle between the slice normal and the feet-head axis still called axial. */
  maxObliquityDeg: number;
  /** Fewest instances accepted (method: more than 30, so 31). */
  minSlices: number;
  /** Take this series, skipping the choice (the other rules still apply). */
  seriesInstanceUid?: string;
}

export const DEFAULT_SERIES_CRITERIA: SeriesCriteria = {
  modality: 'CT',
  requireOriginal: true,
  requireAxial: true,
  maxObliquityDeg: 5,
  minSlices: 31,
};

export interface SeriesChoice {
  series: SeriesSummary;
  reason: string;
  rejected: { seriesInstanceUid: string; description?: string; reasons: string[] }[];
}

/**
 * A localizer (scout) image: Image Type value 3 LOCALIZER (PS3.3 C.8.2.1.1.1). Scanners file it inside the axial
 * series at times; it is no slice of the volume, and its orientation says nothing about the series.
 */
export function isLocalizer(imageType: readonly string[] | undefined): boolean {
  return imageType?.[2]?.trim().toUpperCase() === 'LOCALIZER';
}

/** Reasons a series fails the criteria ([] when it qualifies). */
export function seriesProblems(s: SeriesSummary, c: SeriesCriteria): string[] {
  const reasons: string[] = [];
  if (c.modality && s.modality !== undefined && s.modality !== c.modality)
    reasons.push(`modality ${s.modality}, not ${c.modality}`);
  if (c.requireOriginal && s.imageType && s.imageType[0] !== 'ORIGINAL') {
    reasons.push(`Image Type ${s.imageType.join('\\') || '(empty)'} is not ORIGINAL`);
  }
  // Described from a localizer only when every instance looked at was one: a scout series, not a volume.
  if (isLocalizer(s.imageType)) reasons.push('localizer images (Image Type value 3 LOCALIZER)');
  if (c.requireAxial && s.orientation && s.orientation.length === 6) {
    const o = s.orientation;
    const angle = obliquityDeg(cross([o[0]!, o[1]!, o[2]!] as Vec3, [o[3]!, o[4]!, o[5]!] as Vec3));
    if (!(angle <= c.maxObliquityDeg))
      reasons.push(`not axial (slice normal ${angle.toFixed(1)} deg from feet-head axis)`);
  }
  if (s.instanceCount < c.minSlices) reasons.push(`${s.instanceCount} instance(s), fewer than ${c.minSlices}`);
  return reasons;
}

const label = (s: SeriesSummary): string =>
  `series ${s.seriesNumber ?? '?'}${s.description ? ` "${s.description}"` : ''} (${s.seriesInstanceUid})`;

/** Picks the series to use; VolumeError('no-series') listing every rejection when none qualifies. */
export function selectSeries(all: SeriesSummary[], c: SeriesCriteria = DEFAULT_SERIES_CRITERIA): SeriesChoice {
  const pool = c.seriesInstanceUid ? all.filter((s) => s.seriesInstanceUid === c.seriesInstanceUid) : all;
  if (c.seriesInstanceUid && pool.length === 0) {
    throw new VolumeError(
      'no-series',
      `requested series ${c.seriesInstanceUid} is not in the study (${all.length} series found)`,
    );
  }
  const rejected: SeriesChoice['rejected'] = [];
  const candidates: SeriesSummary[] = [];
  for (const s of pool) {
    const reasons = seriesProblems(s, c);
    if (reasons.length) rejected.push({ seriesInstanceUid: s.seriesInstanceUid, description: s.description, reasons });
    else candidates.push(s);
  }
  if (candidates.length === 0) {
    const why = rejected.map((r) => `${r.seriesInstanceUid}: ${r.reasons.join(', ')}`).join('; ');
    throw new VolumeError('no-series', `no usable series among ${pool.length}${why ? ` (${why})` : ''}`);
  }
  candidates.sort(
    (a, b) => b.instanceCount - a.instanceCount || (a.seriesNumber ?? Infinity) - (b.seriesNumber ?? Infinity),
  );
  const best = candidates[0]!;
  for (const s of candidates.slice(1)) {
    rejected.push({
      seriesInstanceUid: s.seriesInstanceUid,
      description: s.description,
      reasons: [`${s.instanceCount} instances, fewer than the chosen series`],
    });
  }
  const rules = [c.modality, c.requireOriginal ? 'ORIGINAL' : '', c.requireAxial ? 'axial' : '']
    .filter(Boolean)
    .join(', ');
  const reason = c.seriesInstanceUid
    ? `${label(best)} requested; ${rules}, ${best.instanceCount} instances`
    : `${label(best)}: ${rules}, ${best.instanceCount} instances (>= ${c.minSlices}), the most of ${candidates.length} qualifying of ${pool.length} series`;
  return { series: best, reason, rejected };
}
