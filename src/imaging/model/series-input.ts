// The image path of one local series up to the model input: folder -> chosen series -> HU volume -> resampled and
// preprocessed tensor as the manifest says (src/imaging/volume). Shared by `classify`, `eval-model`, the dataset
// script of the training recipe and the inference benchmark, so training and inference see the same input.
import { loadVolumeFromFolder } from '../volume/load-folder.js';
import { preprocessVolume } from '../volume/pipeline.js';
import type { Preprocessing } from '../volume/preprocessing.js';
import type { Volume } from '../volume/types.js';
import type { LoadedModel, Prediction } from './runtime.js';

export interface SeriesInput {
  data: Float32Array;
  /** [z, y, x] of the model input. */
  shape: [number, number, number];
  seriesInstanceUid: string;
  studyInstanceUid?: string;
  warnings: string[];
  /** Milliseconds per stage: read+decode (files -> HU volume), preprocess (resample, pad/crop, scale). */
  timings: { loadMs: number; readMs: number; preprocessMs: number };
}

/** Loads the series chosen under `dir` and preprocesses it for a model (method.md "Preprocessing"). */
export async function seriesInput(dir: string, preprocessing: Preprocessing): Promise<SeriesInput> {
  const t0 = performance.now();
  const io = { readMs: 0 };
  const { volume } = await loadVolumeFromFolder(dir, { timings: io });
  const t1 = performance.now();
  const { input } = preprocessVolume(volume, preprocessing, { consume: true });
  const t2 = performance.now();
  const out: SeriesInput = {
    data: input.data,
    shape: input.shape,
    seriesInstanceUid: volume.seriesInstanceUid,
    warnings: volume.warnings,
    timings: { loadMs: t1 - t0, readMs: io.readMs, preprocessMs: t2 - t1 },
  };
  if (volume.studyInstanceUid) out.studyInstanceUid = volume.studyInstanceUid;
  return out;
}

/** Runs a model on an assembled HU volume (e.g. from DICOMweb in a job): preprocess as its manifest says, infer.
 * The volume's voxels are consumed (the model input may be written over them; volume.data is empty afterwards).
 * Throws ModelError on a wrong shape or non-finite outputs, so a job fails before anything is written. */
export async function classifyVolume(
  model: LoadedModel,
  volume: Volume,
): Promise<Prediction & { preprocessMs: number }> {
  const t0 = performance.now();
  const { input } = preprocessVolume(volume, model.manifest.preprocessing, { consume: true });
  const preprocessMs = performance.now() - t0;
  const prediction = await model.run(input.data, tensorDims(model.manifest.input.shape, input.shape));
  return { ...prediction, preprocessMs };
}

/** Dims of the model input tensor for a [z, y, x] volume and a manifest input shape ([1, z, y, x] or [1, 1, z, y, x]). */
export function tensorDims(inputShape: readonly number[], volume: readonly number[]): number[] {
  return inputShape.length === 5 ? [1, 1, ...volume] : [1, ...volume];
}
