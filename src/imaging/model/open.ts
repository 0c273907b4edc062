// One place that opens a model folder for a command or a worker: runtime options from the environment, the label
// vocabulary from terminology/, one loaded session. Commands turn its ModelError into a one-line message.
import type { Logger } from '../../log.js';
import { runtimeOptionsFromEnv, type RuntimeOptions } from './options.js';
import { ModelRegistry } from './registry.js';
import { createDeviceLimits, loadModel } from './runtime.js';
import type { LoadedModel } from './runtime.js';
import { loadLabelVocabulary } from './vocabulary.js';

/** Default model folder (design.md: MODEL, default the bundled demo model). */
export const DEFAULT_MODEL_DIR = 'models/ctnet-phantom';

/** Loads the model in `dir` once (labels checked against terminology/ when its CodeSystems are present). */
export async function openModel(dir: string, logger: Logger, env = process.env): Promise<LoadedModel> {
  const runtime = runtimeOptionsFromEnv(env);
  const vocabulary = await loadLabelVocabulary();
  if (!vocabulary) logger.warn('ct-abnormality/ct-location CodeSystems not found; label codes checked for syntax only');
  return loadModel(dir, { runtime, limits: createDeviceLimits(runtime), logger, vocabulary });
}

/**
 * A registry for a long-running process (server, worker): reloads a swapped folder, reports status for /readyz.
 * `runtime` from the process's Config, so --inference-* flags count as their environment variables do.
 */
export async function openRegistry(
  dir: string,
  logger: Logger,
  runtime: RuntimeOptions = runtimeOptionsFromEnv(),
): Promise<ModelRegistry> {
  const vocabulary = await loadLabelVocabulary();
  if (!vocabulary) logger.warn('ct-abnormality/ct-location CodeSystems not found; label codes checked for syntax only');
  const registry = new ModelRegistry(dir, { runtime, logger, vocabulary });
  await registry.refresh();
  return registry;
}
