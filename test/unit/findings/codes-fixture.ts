// A minimal FindingCodes for builder tests: own codes only, so assertions do not depend on ConceptMap contents.
import type { FindingCodes } from '../../../src/findings/types.js';

export const testCodes: FindingCodes = {
  abnormality: (code) => ({ coding: [{ system: 'urn:test:abnormality', code }], text: code }),
  location: (code) => (code === 'other_location' ? undefined : { coding: [{ system: 'urn:test:location', code }] }),
  presence: (p) => ({ coding: [{ system: 'urn:test:presence', code: p }] }),
  methodSystem: 'urn:test:method',
  identifierSystem: (kind) => `urn:test:${kind}`,
};
