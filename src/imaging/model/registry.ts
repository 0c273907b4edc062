// Model registry: holds the loaded model of a folder and notices when the folder is swapped (model.json or the ONNX
// file replaced, or the folder renamed over): the next job loads and uses the new version while runs already in
// flight finish on the old session. A missing or broken model never throws at startup: status() says why for
// /readyz and acquire() fails each job with the same clear ModelError.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { ModelError } from './errors.js';
import type { LabelVocabulary } from './manifest.js';
import type { Provider, RuntimeOptions } from './options.js';
import { createDeviceLimits, loadModel, readManifest } from './runtime.js';
import type { DeviceLimits, LoadedModel } from './runtime.js';

/** What /readyz shows about the model. */
export interface ModelStatus {
  ready: boolean;
  dir: string;
  model?: string;
  version?: string;
  provider?: Provider;
  synthetic?: boolean;
  loadedAt?: string;
  error?: { reason: string; message: string };
}

export interface RegistryOptions {
  runtime: RuntimeOptions;
  logger: Logger;
  vocabulary?: LabelVocabulary;
  limits?: DeviceLimits;
}

async function statKey(path: string): Promise<string> {
  try {
    const s = await stat(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

/** Identifies the folder's current contents cheaply (two stats and the manifest's file name). */
async function fingerprint(dir: string): Promise<string> {
  const manifestKey = await statKey(join(dir, 'model.json'));
  let file = 'model.onnx';
  try {
    file = (await readManifest(dir)).file;
  } catch {
    // an unreadable manifest is reported by the load itself
  }
  return `${manifestKey}|${await statKey(join(dir, file))}`;
}

/** Loads a model folder on demand and reloads it when its files change. */
export class ModelRegistry {
  private current?: { key: string; model: LoadedModel; loadedAt: string };
  private failure?: { key: string; error: ModelError };
  private loading?: { key: string; promise: Promise<LoadedModel> };
  /** Loads run one after another: each swaps from the model the one before it left, so none is left open. */
  private loads: Promise<unknown> = Promise.resolve();
  private readonly limits: DeviceLimits;

  constructor(
    readonly dir: string,
    private readonly options: RegistryOptions,
  ) {
    this.limits = options.limits ?? createDeviceLimits(options.runtime);
  }

  /** The runtime options models are loaded with (providers, threads, per-device concurrency). */
  get runtime(): RuntimeOptions {
    return this.options.runtime;
  }

  /** The model for a new job: the folder's current version, loaded once and reused (throws ModelError). */
  async acquire(): Promise<LoadedModel> {
    const key = await fingerprint(this.dir);
    if (this.current?.key === key) return this.current.model;
    if (this.failure?.key === key) throw this.failure.error;
    if (this.loading?.key === key) return this.loading.promise;
    const promise = this.loads.then(() => this.load(key));
    this.loads = promise.catch(() => undefined);
    this.loading = { key, promise };
    try {
      return await promise;
    } finally {
      if (this.loading?.promise === promise) this.loading = undefined;
    }
  }

  /** Runs `job` with the current model held open for its whole duration, even if the folder is swapped meanwhile. */
  async use<T>(job: (model: LoadedModel) => Promise<T>): Promise<T> {
    let model = await this.acquire();
    let release = model.retain();
    // A swap between acquire and retain may have closed this model; take the new one instead.
    for (let tries = 0; this.current?.model !== model && tries < 3; tries++) {
      release();
      model = await this.acquire();
      release = model.retain();
    }
    try {
      return await job(model);
    } finally {
      release();
    }
  }

  /** Loads (or re-checks) the folder and returns the status for /readyz; never throws. */
  async refresh(): Promise<ModelStatus> {
    try {
      await this.acquire();
    } catch {
      // reflected in status()
    }
    return this.status();
  }

  /** The last known state, without touching the disk. */
  status(): ModelStatus {
    if (this.failure && !this.current) {
      return {
        ready: false,
        dir: this.dir,
        error: { reason: this.failure.error.reason, message: this.failure.error.message },
      };
    }
    if (!this.current)
      return { ready: false, dir: this.dir, error: { reason: 'not-loaded', message: 'model not loaded yet' } };
    const m = this.current.model;
    return {
      ready: true,
      dir: this.dir,
      model: m.manifest.name,
      version: m.manifest.version,
      provider: m.provider,
      synthetic: m.manifest.synthetic,
      loadedAt: this.current.loadedAt,
    };
  }

  /** Releases the session (after runs in flight). */
  async close(): Promise<void> {
    const model = this.current?.model;
    this.current = undefined;
    if (model) await model.close();
  }

  private async load(key: string): Promise<LoadedModel> {
    const log = this.options.logger;
    const previous = this.current;
    try {
      const model = await loadModel(this.dir, { ...this.options, limits: this.limits });
      if (model.manifest.weights !== 'trained') {
        // Random weights (export_ctnet_full.py without --weights) are for timing: they must never write findings.
        void model.close();
        throw new ModelError(
          'untrained-weights',
          `model ${model.manifest.name} ${model.manifest.version} declares weights "${model.manifest.weights}": ` +
            'not served for findings (set "weights": "trained" once trained weights are exported)',
        );
      }
      this.current = { key, model, loadedAt: new Date().toISOString() };
      this.failure = undefined;
      if (previous) {
        log.info('model swapped', {
          dir: this.dir,
          from: previous.model.manifest.version,
          to: model.manifest.version,
        });
        void previous.model.close();
      } else {
        log.info('model loaded', { dir: this.dir, model: model.manifest.name, version: model.manifest.version });
      }
      return model;
    } catch (err) {
      const error =
        err instanceof ModelError
          ? err
          : new ModelError('model-broken', `model ${this.dir}: ${(err as Error).message}`);
      // A swap to a broken folder takes the old model out of service too: jobs must not silently use a version the
      // operator replaced.
      this.current = undefined;
      if (previous) void previous.model.close();
      this.failure = { key, error };
      log.error('model unavailable', { dir: this.dir, reason: error.reason, error: error.message });
      throw error;
    }
  }
}
