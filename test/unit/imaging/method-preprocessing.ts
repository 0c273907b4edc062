// The method's preprocessing (method.md) on a tiny 4x4x4 model input, shared by the model-input tests.
import type { Preprocessing } from '../../../src/imaging/volume/index.js';

export const METHOD: Preprocessing = {
  spacing: [0.8, 0.8, 0.8],
  clipHU: [-1000, 1000],
  inputClipHU: [-1000, 200],
  scale: [0, 1],
  centre: 0.449,
  shape: [4, 4, 4],
  padValue: 'min',
};
