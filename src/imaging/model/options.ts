// Runtime options from the environment (design.md "Environment"): providers, ONNX Runtime thread counts and the
// per-device concurrency limit. Bad values are a ConfigError naming the variable.
import { ConfigError, intSetting, type Source } from '../../config.js';

export type Provider = 'cuda' | 'cpu';

export interface RuntimeOptions {
  /** Execution providers in order of preference; the first that loads is used. */
  providers: Provider[];
  /** ONNX Runtime intra-op threads (0 = its default: one per core). */
  intraOpThreads: number;
  /** ONNX Runtime inter-op threads (0 = its default). */
  interOpThreads: number;
  /** Concurrent runs allowed per device. */
  concurrency: Record<Provider, number>;
}

/** Reads INFERENCE_PROVIDERS, INFERENCE_INTRA_OP_THREADS, INFERENCE_INTER_OP_THREADS, INFERENCE_CONCURRENCY_CPU and
 * INFERENCE_CONCURRENCY_CUDA (defaults: cpu, 0, 0, 1, 1). */
export function runtimeOptionsFromEnv(src: Source = process.env): RuntimeOptions {
  const providers = (src.INFERENCE_PROVIDERS || 'cpu').split(',').map((p) => p.trim());
  for (const p of providers) {
    if (p !== 'cpu' && p !== 'cuda') throw new ConfigError(`INFERENCE_PROVIDERS accepts cpu and cuda, got "${p}"`);
  }
  return {
    providers: [...new Set(providers)] as Provider[],
    intraOpThreads: intSetting(src, 'INFERENCE_INTRA_OP_THREADS', 0, 0, 256),
    interOpThreads: intSetting(src, 'INFERENCE_INTER_OP_THREADS', 0, 0, 256),
    concurrency: {
      cpu: intSetting(src, 'INFERENCE_CONCURRENCY_CPU', 1, 1, 64),
      cuda: intSetting(src, 'INFERENCE_CONCURRENCY_CUDA', 1, 1, 64),
    },
  };
}
