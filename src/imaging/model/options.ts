// Runtime options from the environment (design.md "Environment"): providers, ONNX Runtime thread counts and the
// per-device concurrency limit. Bad values are a ConfigError naming the variable.
import { ConfigError } from '../../config.js';

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

type Source = Record<string, string | undefined>;

function int(src: Source, key: string, dflt: number, min: number, max: number): number {
  const raw = src[key];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
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
    intraOpThreads: int(src, 'INFERENCE_INTRA_OP_THREADS', 0, 0, 256),
    interOpThreads: int(src, 'INFERENCE_INTER_OP_THREADS', 0, 0, 256),
    concurrency: {
      cpu: int(src, 'INFERENCE_CONCURRENCY_CPU', 1, 1, 64),
      cuda: int(src, 'INFERENCE_CONCURRENCY_CUDA', 1, 1, 64),
    },
  };
}
