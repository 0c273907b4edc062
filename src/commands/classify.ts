// `ct-fhir classify --dicom <dir> --out findings.json [--model <dir>]`: the whole image path on a local series
// (issue 7 "Command line"): choose the series, build the HU volume, preprocess as the model's manifest says, infer,
// write { model, version, findings }. An unusable series or model is one clear line on stderr and exit code 1.
import { createLogger } from '../log.js';
import { OperationOutcomeError } from '../fhir/outcomes.js';
import { DEFAULT_MODEL_DIR, openModel } from '../imaging/model/open.js';
import { seriesInput, tensorDims } from '../imaging/model/series-input.js';
import { PreprocessingError } from '../imaging/volume/preprocessing.js';
import { VolumeError } from '../imaging/volume/types.js';
import { batchLogLevel, checkWritable, parseFlags, requireFolder, UsageError, writeOutput } from './usage.js';

export const HELP =
  'usage: ct-fhir classify --dicom <dir> --out findings.json [--model <dir>]\n' +
  '  --model defaults to MODEL, else models/ctnet-phantom; LOG_LEVEL=info shows the provider chosen\n';

/** Errors that mean "this series or model cannot be classified" (not a bug): reported as one line. */
export function isExpectedFailure(err: unknown): err is Error {
  if (err instanceof VolumeError || err instanceof OperationOutcomeError || err instanceof PreprocessingError)
    return true;
  // a folder that does not exist or is not a folder
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return err instanceof Error && (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES');
}

/** Entry point of `ct-fhir classify`. */
export async function classify(argv: string[]): Promise<number> {
  const { values } = parseFlags(
    argv,
    {
      dicom: { type: 'string' },
      out: { type: 'string' },
      model: { type: 'string' },
    },
    HELP,
  );
  if (!values.dicom || !values.out) throw new UsageError(`--dicom and --out are required\n${HELP}`);
  const logger = createLogger(batchLogLevel(), { command: 'classify' });
  const modelDir = values.model ?? process.env.MODEL ?? DEFAULT_MODEL_DIR;
  // Before the model loads and the series is read: a typo in a path should not cost a whole run.
  await requireFolder('dicom', values.dicom);
  await checkWritable('out', values.out);
  try {
    const model = await openModel(modelDir, logger);
    const { manifest } = model;
    const input = await seriesInput(values.dicom, manifest.preprocessing);
    const prediction = await model.run(input.data, tensorDims(manifest.input.shape, input.shape));
    await model.close();
    const result = { model: prediction.model, version: prediction.version, findings: prediction.findings };
    await writeOutput('out', values.out, JSON.stringify(result, null, 2) + '\n');
    const positives = prediction.findings.filter((f) => f.positive).map((f) => f.abnormality);
    const t = input.timings;
    process.stderr.write(
      `classify: ${manifest.name} ${manifest.version} on ${prediction.provider}; ${positives.length} positive of ` +
        `${prediction.findings.length}${positives.length ? ` (${positives.join(', ')})` : ''}; load ${ms(t.loadMs)}, ` +
        `preprocess ${ms(t.preprocessMs)}, infer ${ms(prediction.inferenceMs)}\n`,
    );
    return 0;
  } catch (err) {
    if (!isExpectedFailure(err)) throw err;
    process.stderr.write(`ct-fhir classify: ${err.message.split('\n')[0]}\n`);
    return 1;
  }
}

function ms(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}
