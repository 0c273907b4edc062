// Background WAL checkpoints for the embedded SQLite store. With autocheckpoint alone, the commit that crosses the
// threshold copies the whole WAL into the database file on the event loop: that request waits (p99 spikes) and the
// copy costs the server's one thread about 1 ms per commit on average (ORU^R01 end to end 19 -> 16 ms per message
// with it off, in-process creates 790 -> 933/s). A worker thread with its own connection checkpoints instead, on
// the other core, without blocking the server's connection (PASSIVE); autocheckpoint stays on as a safety net.
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';

interface WorkerMessage {
  kind: 'checkpoint' | 'error';
  message?: string;
  checkpointed?: number;
  ms?: number;
}

export interface CheckpointStats {
  /** Checkpoints that copied frames, frames copied, and the time they took in the thread. */
  checkpoints: number;
  frames: number;
  ms: number;
  errors: number;
}

export interface Checkpointer {
  stats: CheckpointStats;
  /** Closes the thread's connection and ends it; resolves when it has exited. */
  stop(): Promise<void>;
}

/** Starts the checkpoint thread for a SQLite database file in WAL mode. */
export function startCheckpointer(file: string, intervalMs: number, logger?: Logger): Checkpointer {
  const worker = new Worker(new URL('./sqlite-checkpoint-worker.js', import.meta.url), {
    workerData: { file, intervalMs },
  });
  worker.unref();
  const stats: CheckpointStats = { checkpoints: 0, frames: 0, ms: 0, errors: 0 };
  worker.on('message', (m: WorkerMessage) => {
    if (m.kind === 'checkpoint') {
      stats.checkpoints++;
      stats.frames += m.checkpointed ?? 0;
      stats.ms += m.ms ?? 0;
    } else {
      stats.errors++;
      logger?.warn('sqlite background checkpoint failed', { error: m.message });
    }
  });
  worker.on('error', (err) => logger?.error('sqlite checkpoint thread failed', { error: err.message }));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    stats,
    stop: async () => {
      // Referenced again, so that the process waits for the thread's connection to close.
      worker.ref();
      worker.postMessage('stop');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 5000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
