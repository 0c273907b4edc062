// AI findings for a study written as the classification job writes them (one positive pneumothorax from a test
// model), without running a model: for tests of what follows them (retraction, delivery to the RIS).
import type { ImagingStudy } from 'fhir/r4.js';
import type { FhirContext } from '../../src/fhir/context.js';
import { aiFindingsBundle } from '../../src/findings/ai-findings.js';
import { findingCodes } from '../../src/findings/codes.js';
import { writeFindings } from '../../src/pipeline/fhir-io.js';
import { getTerminology } from '../../src/terminology/load.js';

export async function writeTestAiFindings(ctx: FhirContext, study: ImagingStudy): Promise<void> {
  const codes = findingCodes(getTerminology());
  const { bundle } = aiFindingsBundle({
    study,
    findings: [{ abnormality: 'pneumothorax', location: null, probability: 0.9, positive: true, threshold: 0.5 }],
    codes,
    organizationName: 'Test',
    algorithm: { name: 'test-model', displayName: 'Test model', version: '1', type: 'test', notes: [] },
    now: new Date().toISOString(),
    display: codes.display,
  });
  await writeFindings(ctx, bundle, 'AI findings');
}
