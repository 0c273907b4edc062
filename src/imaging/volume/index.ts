// Public API of CT volume handling: series choice, assembly from instances (folder or DICOMweb stream), geometry
// checks, resampling and model-input preparation driven by a model manifest's preprocessing section.
export { assembleVolume, storeHU, DEFAULT_MAX_VOXELS, type AssembleOptions } from './assemble.js';
export { parseInstances } from './instances.js';
export { DEFAULT_STACK_CHECKS, type StackChecks } from './stack.js';
export {
  selectSeries,
  seriesProblems,
  isLocalizer,
  DEFAULT_SERIES_CRITERIA,
  type SeriesSummary,
  type SeriesCriteria,
  type SeriesChoice,
} from './series.js';
export {
  scanFolder,
  readHeader,
  readInstances,
  loadVolumeFromFolder,
  type FolderScan,
  type FolderSeries,
  type FolderLoad,
} from './load-folder.js';
export {
  resample,
  axisMap,
  resampledShape,
  streamResampled,
  type ResampleOptions,
  type SliceOrder,
  type Resampled,
} from './resample.js';
export {
  prepareModelInput,
  resampleToModelInput,
  valueTable,
  minimum,
  type ModelInput,
  type ModelInputOptions,
} from './model-input.js';
export { overlayLayout, type OverlayGeometry, type OverlayLayout } from './overlay.js';
export { parsePreprocessing, PreprocessingError, type Preprocessing } from './preprocessing.js';
export { preprocessVolume, resampleForModel } from './pipeline.js';
export { huRange } from './stats.js';
export { VolumeError, type Volume, type VolumeGeometry, type VolumeErrorCode, type Vec3 } from './types.js';
