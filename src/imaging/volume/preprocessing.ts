// The preprocessing a model expects, as its manifest states it (models/<name>/model.json, section "preprocessing";
// ../shared/reference/method.md "Preprocessing"), validated on load so a bad manifest fails with a clear message.

export interface Preprocessing {
  /** Target voxel spacing [z, y, x] in mm (method: 0.8 mm isotropic). */
  spacing: [number, number, number];
  /** Clip after resampling, the range stored as int16 (method: [-1000, 1000] HU). */
  clipHU: [number, number];
  /** Clip at model input (method: [-1000, 200] HU). */
  inputClipHU: [number, number];
  /** Output range that inputClipHU maps to linearly (method: [0, 1]). */
  scale: [number, number];
  /** Subtracted after scaling (method: 0.449, ImageNet-style centring). */
  centre: number;
  /** Model input shape [z, y, x] reached by centred pad / crop (method: [402, 420, 420]). */
  shape: [number, number, number];
  /** Pad value in HU, or 'min' for the volume's minimum (method). */
  padValue: 'min' | number;
}

export class PreprocessingError extends Error {
  override name = 'PreprocessingError';
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function numbers(
  src: Record<string, unknown>,
  key: string,
  length: number,
  check: (n: number) => boolean,
  rule: string,
): number[] {
  const v = src[key];
  if (
    !Array.isArray(v) ||
    v.length !== length ||
    !v.every((n) => typeof n === 'number' && Number.isFinite(n) && check(n))
  ) {
    throw new PreprocessingError(`preprocessing.${key} must be ${length} ${rule}, got ${JSON.stringify(v)}`);
  }
  return v as number[];
}

function range(src: Record<string, unknown>, key: string): [number, number] {
  const [lo, hi] = numbers(src, key, 2, () => true, 'numbers [low, high]');
  if (!(lo! < hi!)) throw new PreprocessingError(`preprocessing.${key} must have low < high, got [${lo}, ${hi}]`);
  return [lo!, hi!];
}

/** Validates a manifest's preprocessing section (unknown input) into a Preprocessing. */
export function parsePreprocessing(value: unknown): Preprocessing {
  if (!isObject(value)) throw new PreprocessingError('preprocessing must be an object');
  const spacing = numbers(value, 'spacing', 3, (n) => n > 0, 'positive numbers [z, y, x] (mm)') as [
    number,
    number,
    number,
  ];
  const shape = numbers(value, 'shape', 3, (n) => Number.isInteger(n) && n > 0, 'positive integers [z, y, x]') as [
    number,
    number,
    number,
  ];
  const centre = value.centre ?? 0;
  if (typeof centre !== 'number' || !Number.isFinite(centre))
    throw new PreprocessingError(`preprocessing.centre must be a number, got ${JSON.stringify(centre)}`);
  const pad = value.padValue ?? 'min';
  if (pad !== 'min' && (typeof pad !== 'number' || !Number.isFinite(pad))) {
    throw new PreprocessingError(`preprocessing.padValue must be "min" or a number (HU), got ${JSON.stringify(pad)}`);
  }
  return {
    spacing,
    clipHU: range(value, 'clipHU'),
    inputClipHU: range(value, 'inputClipHU'),
    scale: range(value, 'scale'),
    centre,
    shape,
    padValue: pad,
  };
}
