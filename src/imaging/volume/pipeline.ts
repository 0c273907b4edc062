// Preprocessing as the model manifest describes it (method.md "Preprocessing"): resample to the model spacing with
// the storage clip (int16), then pad/crop, clip, scale and centre into the Float32 model input.
import { resampleToModelInput, type ModelInput, type ModelInputOptions } from './model-input.js';
import type { Preprocessing } from './preprocessing.js';
import { resample, type Resampled } from './resample.js';
import type { VolumeGeometry } from './types.js';

/** Resamples to p.spacing and stores int16 clipped to p.clipHU. */
export function resampleForModel(
  volume: VolumeGeometry & { data: Int16Array },
  p: Preprocessing,
): Resampled<Int16Array> {
  return resample(volume, p.spacing, { clip: p.clipHU, output: 'int16' });
}

/**
 * The whole preprocessing: volume in HU -> model input tensor, streamed so that the resampled volume is never held
 * whole unless `keepResampled` asks for it (peak memory: HU volume + model input; with `consume`, where the
 * volume's buffer allows, about the larger of the two, and the volume's voxels are gone afterwards).
 */
export function preprocessVolume(
  volume: VolumeGeometry & { data: Int16Array },
  p: Preprocessing,
  options: ModelInputOptions = {},
): { input: ModelInput; resampled?: Resampled<Int16Array> } {
  return resampleToModelInput(volume, p, options);
}
