// Synthetic chest CT phantoms: generator, DICOM writer, report text and ground-truth labels (issue 5, "Phantoms").
export { createPhantom, HU_MIN, HU_MAX, type Phantom, type PhantomOptions, type PhantomSlice } from './generate.js';
export { frameOf, type Frame, type PhantomGeometry } from './geometry.js';
export {
  parseFindings,
  randomFindings,
  formatFinding,
  FINDING_NAMES,
  PhantomSpecError,
  type FindingSpec,
} from './spec.js';
export { phantomIdentity, instanceUid, ctSliceDataset, CT_IMAGE_STORAGE, type SeriesIdentity } from './ct-image.js';
export {
  encodePart10,
  formatDS,
  DicomWriteError,
  EXPLICIT_VR_LITTLE_ENDIAN,
  type WriteDataset,
} from './dicom-writer.js';
export { uidFromName, UID_ROOT, IMPLEMENTATION_CLASS_UID } from './uid.js';
export { phantomReport } from './report.js';
export { phantomLabels, impliedLocations, type PhantomLabels, type LabelFinding } from './labels.js';
export { phantomInstances, writePhantom, type WrittenPhantom } from './series-writer.js';
export { createRng, type Rng } from './prng.js';
export { TISSUES, T as TISSUE } from './tissues.js';
