// ONNX Runtime adapter: loads a model folder (model.json + ONNX file) into one InferenceSession that is reused for
// every run, choosing the first execution provider that loads (INFERENCE_PROVIDERS=cuda,cpu falls back to CPU and
// logs which ran), and runs it under the per-device concurrency limit. Pure checks live in predictions.ts.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import type { InferenceSession } from 'onnxruntime-node';
import type { Logger } from '../../log.js';
import { ModelError } from './errors.js';
import type { LabelVocabulary, ModelManifest } from './manifest.js';
import { validateManifest } from './manifest.js';
import type { Provider, RuntimeOptions } from './options.js';
import { checkInput, toFindings } from './predictions.js';
import type { Finding } from './predictions.js';
import { Semaphore } from './semaphore.js';

/** The result of one run: the `classify` contract plus what ran it. */
export interface Prediction {
  model: string;
  version: string;
  provider: Provider;
  findings: Finding[];
  inferenceMs: number;
}

/** A loaded model: its manifest and a reusable session. */
export interface LoadedModel {
  readonly dir: string;
  readonly manifest: ModelManifest;
  readonly provider: Provider;
  /** Runs one preprocessed volume (dims = manifest.input.shape). */
  run(input: Float32Array, dims: readonly number[]): Promise<Prediction>;
  /** Keeps the session open (across preprocessing, say) until the returned function is called. */
  retain(): () => void;
  /** Releases the session once the runs in flight and retains have finished. */
  close(): Promise<void>;
}

/** One semaphore per device, shared by every model of the process. */
export type DeviceLimits = Record<Provider, Semaphore>;

/** Creates the per-device concurrency limits from the runtime options. */
export function createDeviceLimits(options: RuntimeOptions): DeviceLimits {
  return { cpu: new Semaphore(options.concurrency.cpu), cuda: new Semaphore(options.concurrency.cuda) };
}

export interface LoadOptions {
  runtime: RuntimeOptions;
  limits: DeviceLimits;
  logger: Logger;
  /** ct-abnormality / ct-location codes; labels are checked against them when given. */
  vocabulary?: LabelVocabulary;
}

/** Reads and validates `<dir>/model.json` (format: models/README.md). */
export async function readManifest(dir: string, vocabulary?: LabelVocabulary): Promise<ModelManifest> {
  const path = join(dir, 'model.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ModelError('model-missing', `model manifest ${path} cannot be read (${(err as Error).message})`, {
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ModelError('manifest-invalid', `${path} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const result = validateManifest(doc, vocabulary);
  if (!result.ok) throw new ModelError('manifest-invalid', `${path} is invalid: ${result.problems.join('; ')}`);
  return result.manifest;
}

type Ort = typeof OrtModule;

async function createSession(
  ort: Ort,
  file: string,
  manifest: ModelManifest,
  { runtime, logger }: LoadOptions,
): Promise<{ session: InferenceSession; provider: Provider }> {
  const failures: string[] = [];
  for (const provider of runtime.providers) {
    const options: InferenceSession.SessionOptions = { executionProviders: [provider], graphOptimizationLevel: 'all' };
    if (runtime.intraOpThreads > 0) options.intraOpNumThreads = runtime.intraOpThreads;
    if (runtime.interOpThreads > 0) options.interOpNumThreads = runtime.interOpThreads;
    try {
      const session = await ort.InferenceSession.create(file, options);
      logger.info('inference provider selected', {
        model: manifest.name,
        version: manifest.version,
        provider,
        tried: runtime.providers.slice(0, runtime.providers.indexOf(provider) + 1),
        fallback: failures.length > 0,
      });
      return { session, provider };
    } catch (err) {
      const message = (err as Error).message.split('\n')[0]!;
      failures.push(`${provider}: ${message}`);
      logger.warn('inference provider unavailable', { model: manifest.name, provider, error: message });
    }
  }
  throw new ModelError(
    'model-broken',
    `model ${manifest.name} ${manifest.version} (${file}) cannot be loaded: ${failures.join('; ')}`,
  );
}

/** Checks the ONNX graph's declared input/output against the manifest (names, static dims). */
function checkGraph(session: InferenceSession, manifest: ModelManifest, file: string): void {
  const problems: string[] = [];
  const input = session.inputMetadata.find((m) => m.name === manifest.input.name);
  if (!input) problems.push(`no input named "${manifest.input.name}" (graph has ${session.inputNames.join(', ')})`);
  else if (input.isTensor && input.shape.length > 0) {
    const want = manifest.input.shape;
    const ok =
      input.shape.length === want.length && input.shape.every((d, i) => typeof d === 'string' || d === want[i]);
    if (!ok) problems.push(`input shape [${input.shape.join(', ')}] differs from manifest [${want.join(', ')}]`);
    if (input.type !== 'float32') problems.push(`input type ${input.type}, manifest says float32`);
  }
  const output = session.outputMetadata.find((m) => m.name === manifest.output.name);
  if (!output) problems.push(`no output named "${manifest.output.name}" (graph has ${session.outputNames.join(', ')})`);
  else if (output.isTensor && output.shape.length > 0) {
    const last = output.shape[output.shape.length - 1];
    if (typeof last === 'number' && last !== manifest.labels.length) {
      problems.push(`output has ${last} values, manifest lists ${manifest.labels.length} labels`);
    }
  }
  if (problems.length > 0) {
    throw new ModelError('model-broken', `${file} does not match its manifest: ${problems.join('; ')}`);
  }
}

/** Loads a model folder: validates the manifest, opens one session (provider fallback), checks graph vs manifest. */
export async function loadModel(dir: string, options: LoadOptions): Promise<LoadedModel> {
  const manifest = await readManifest(dir, options.vocabulary);
  const file = join(dir, manifest.file);
  try {
    await stat(file);
  } catch (err) {
    throw new ModelError(
      'model-missing',
      `model file ${file} is missing (model ${manifest.name} ${manifest.version}${manifest.weights === 'not-shipped' ? ': weights are not shipped, export your own' : ''})`,
      { cause: err },
    );
  }
  const ort = await import('onnxruntime-node');
  // ONNX Runtime's own stderr lines are not JSON; every failure it reports also surfaces as an exception that is
  // logged (JSON) or thrown as a ModelError, so its native logger is kept to fatal messages only.
  ort.env.logLevel = 'fatal';
  const { session, provider } = await createSession(ort, file, manifest, options);
  try {
    checkGraph(session, manifest, file);
  } catch (err) {
    await session.release();
    throw err;
  }
  const limit = options.limits[provider];
  let holds = 0;
  let closing: (() => void) | undefined;
  let closed: Promise<void> | undefined;
  const retain = (): (() => void) => {
    holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      holds--;
      if (holds === 0 && closing) closing();
    };
  };

  const run = async (data: Float32Array, dims: readonly number[]): Promise<Prediction> => {
    if (closed && holds === 0) {
      throw new ModelError('model-missing', `model ${manifest.name} ${manifest.version} was closed`);
    }
    checkInput(manifest, data, dims);
    const release = retain();
    try {
      return await limit.run(async () => {
        const started = performance.now();
        const feeds = { [manifest.input.name]: new ort.Tensor('float32', data, [...dims]) };
        const out = await session.run(feeds, [manifest.output.name]);
        const tensor = out[manifest.output.name];
        if (!tensor || tensor.type !== 'float32') {
          throw new ModelError(
            'model-broken',
            `model ${manifest.name} returned no float32 output "${manifest.output.name}"`,
          );
        }
        const findings = toFindings(manifest, tensor.data as Float32Array);
        const inferenceMs = performance.now() - started;
        return { model: manifest.name, version: manifest.version, provider, findings, inferenceMs };
      });
    } finally {
      release();
    }
  };

  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      closing = resolve;
      if (holds === 0) resolve();
    }).then(() => session.release());
    return closed;
  };

  return { dir, manifest, provider, run, retain, close };
}
