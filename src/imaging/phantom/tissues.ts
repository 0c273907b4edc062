// Tissue classes of the phantom's label map and their attenuation, read from tissues.json (data, not code).
import tissueData from './tissues.json' with { type: 'json' };

export interface Tissue {
  name: string;
  /** Mean attenuation in Hounsfield units. */
  hu: number;
  /** Standard deviation of the voxel noise in HU. */
  sd: number;
}

/** All tissue classes; the index is the value stored in a label map. */
export const TISSUES: readonly Tissue[] = tissueData.tissues;

const BY_NAME = new Map(TISSUES.map((t, i) => [t.name, i]));

/** Label value of a tissue by name (throws on a name missing from tissues.json, a programming error). */
export function tissue(name: string): number {
  const id = BY_NAME.get(name);
  if (id === undefined) throw new Error(`unknown phantom tissue "${name}"`);
  return id;
}

/** Label values used by the renderers (resolved once). */
export const T = {
  outside: tissue('outside_air'),
  fat: tissue('subcutaneous_fat'),
  muscle: tissue('muscle'),
  cortex: tissue('cortical_bone'),
  marrow: tissue('marrow_bone'),
  lung: tissue('lung'),
  vessel: tissue('vessel'),
  heart: tissue('heart'),
  aorta: tissue('aorta'),
  airway: tissue('airway_lumen'),
  airwayWall: tissue('airway_wall'),
  mediastinalFat: tissue('mediastinal_fat'),
  liver: tissue('liver'),
  canal: tissue('spinal_canal'),
  disc: tissue('disc'),
  fissure: tissue('fissure'),
  esophagus: tissue('esophagus'),
  table: tissue('table'),
  cartilage: tissue('cartilage'),
  abdomen: tissue('abdomen'),
  nodule: tissue('nodule'),
  mass: tissue('mass'),
  pleuralFluid: tissue('pleural_fluid'),
  pneumothorax: tissue('pneumothorax_air'),
  consolidation: tissue('consolidation'),
  groundglass: tissue('groundglass'),
  atelectasis: tissue('atelectasis'),
  emphysema: tissue('emphysema'),
  calcification: tissue('calcification'),
  node: tissue('lymph_node'),
  pericardialFluid: tissue('pericardial_fluid'),
  pleura: tissue('visceral_pleura'),
} as const;
