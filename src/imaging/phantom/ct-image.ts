// The CT Image IOD of one phantom slice (PS3.3 A.3: patient, general study, general series, frame of reference,
// general equipment, general/plane/pixel image, CT image and SOP common modules) as a dataset for the writer.
import type { Frame } from './geometry.js';
import { xOf, yOf } from './geometry.js';
import type { WriteDataset } from './dicom-writer.js';
import { uidFromName } from './uid.js';

/** CT Image Storage SOP class (PS3.4 B.5). */
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
/** Stored value = HU - RESCALE_INTERCEPT, 12 bits stored (0..4095). */
export const RESCALE_INTERCEPT = -1024;

/** Patient, study and series identity shared by every slice of a series. */
export interface SeriesIdentity {
  patientName: string;
  patientId: string;
  patientBirthDate: string;
  patientSex: 'M' | 'F' | 'O';
  studyInstanceUid: string;
  studyId: string;
  accessionNumber: string;
  studyDate: string;
  studyTime: string;
  studyDescription: string;
  seriesInstanceUid: string;
  seriesNumber: number;
  seriesDescription: string;
  frameOfReferenceUid: string;
  modality: string;
  sopClassUid: string;
  imageType: string[];
  /** Name prefix from which instance UIDs are derived. */
  uidName: string;
}

/** Identity of a phantom series: deterministic from the seed and a salt (distinct salts give distinct studies). */
export function phantomIdentity(seed: number, salt = '', overrides: Partial<SeriesIdentity> = {}): SeriesIdentity {
  const name = `phantom/${seed}/${salt}`;
  const day = 1 + (seed % 28);
  const month = 1 + (Math.floor(seed / 28) % 12);
  // Series and instance UIDs are named after the series number, so extra series of one study never collide.
  const seriesNumber = overrides.seriesNumber ?? 2;
  const uidName = `${name}/series/${seriesNumber}`;
  const id: SeriesIdentity = {
    patientName: `PHANTOM^${seed}`,
    patientId: `PH${String(seed).padStart(8, '0')}`,
    patientBirthDate: `19${50 + (seed % 40)}0101`,
    patientSex: seed % 2 === 0 ? 'F' : 'M',
    studyInstanceUid: uidFromName(`${name}/study`),
    studyId: String(seed % 100000),
    accessionNumber: `PHA${String(seed).padStart(10, '0')}`.slice(0, 16),
    studyDate: `2026${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`,
    studyTime: '093000',
    studyDescription: 'CT CHEST WITHOUT CONTRAST',
    seriesInstanceUid: uidFromName(uidName),
    seriesNumber,
    seriesDescription: 'AXIAL CHEST',
    frameOfReferenceUid: uidFromName(`${name}/frame-of-reference`),
    modality: 'CT',
    sopClassUid: CT_IMAGE_STORAGE,
    imageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    uidName,
    ...overrides,
  };
  return id;
}

/** SOP Instance UID of slice k of a series. */
export function instanceUid(id: SeriesIdentity, k: number): string {
  return uidFromName(`${id.uidName}/instance/${k}`);
}

/** Converts HU to 12-bit stored values (clamped to 0..4095). */
export function storedPixels(hu: Int16Array): Uint16Array {
  const out = new Uint16Array(hu.length);
  for (let n = 0; n < hu.length; n++) {
    const v = hu[n]! - RESCALE_INTERCEPT;
    out[n] = v < 0 ? 0 : v > 4095 ? 4095 : v;
  }
  return out;
}

const round4 = (v: number): number => Math.round(v * 1e4) / 1e4;

/** The dataset of slice k (position z) with its pixels in HU. Orientation is axial (1,0,0 / 0,1,0), head first supine. */
export function ctSliceDataset(frame: Frame, id: SeriesIdentity, k: number, z: number, hu: Int16Array): WriteDataset {
  return {
    SpecificCharacterSet: 'ISO_IR 100',
    ImageType: id.imageType,
    SOPClassUID: id.sopClassUid,
    SOPInstanceUID: instanceUid(id, k),
    StudyDate: id.studyDate,
    SeriesDate: id.studyDate,
    ContentDate: id.studyDate,
    StudyTime: id.studyTime,
    SeriesTime: id.studyTime,
    ContentTime: id.studyTime,
    AccessionNumber: id.accessionNumber,
    Modality: id.modality,
    Manufacturer: 'ct-fhir',
    ManufacturerModelName: 'chest phantom',
    ReferringPhysicianName: '',
    StudyDescription: id.studyDescription,
    SeriesDescription: id.seriesDescription,
    PatientName: id.patientName,
    PatientID: id.patientId,
    PatientBirthDate: id.patientBirthDate,
    PatientSex: id.patientSex,
    BodyPartExamined: 'CHEST',
    SliceThickness: frame.dz,
    KVP: 120,
    SpacingBetweenSlices: frame.dz,
    ReconstructionDiameter: Math.round(frame.nx * frame.dx * 10) / 10,
    GantryDetectorTilt: 0,
    ConvolutionKernel: 'STANDARD',
    PatientPosition: 'HFS',
    StudyInstanceUID: id.studyInstanceUid,
    SeriesInstanceUID: id.seriesInstanceUid,
    StudyID: id.studyId,
    SeriesNumber: id.seriesNumber,
    AcquisitionNumber: 1,
    InstanceNumber: k + 1,
    ImagePositionPatient: [round4(xOf(frame, 0)), round4(yOf(frame, 0)), round4(z)],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    FrameOfReferenceUID: id.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    SliceLocation: round4(z),
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: frame.ny,
    Columns: frame.nx,
    PixelSpacing: [frame.dy, frame.dx],
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    WindowCenter: -600,
    WindowWidth: 1500,
    RescaleIntercept: RESCALE_INTERCEPT,
    RescaleSlope: 1,
    RescaleType: 'HU',
    PixelData: storedPixels(hu),
  };
}
