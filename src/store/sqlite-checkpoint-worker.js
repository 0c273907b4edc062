// Worker thread of the SQLite checkpointer (sqlite-checkpointer.ts): its own connection copies committed WAL frames
// into the database file with PASSIVE checkpoints, which never wait for and never block the server's connection.
// Plain JavaScript: the server loads its TypeScript through tsx registered in the main thread only.
// https://www.sqlite.org/wal.html#ckpt, https://www.sqlite.org/pragma.html#pragma_wal_checkpoint
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

/** @type {{ file: string; intervalMs: number }} */
const { file, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
// A checkpoint that meets another one (the server's safety-net autocheckpoint) is skipped, not waited for.
db.pragma('busy_timeout = 0');

function checkpoint() {
  const started = performance.now();
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)');
    if (row && row.checkpointed > 0) {
      const ms = performance.now() - started;
      parentPort?.postMessage({ kind: 'checkpoint', walFrames: row.log, checkpointed: row.checkpointed, ms });
    }
  } catch (err) {
    parentPort?.postMessage({ kind: 'error', message: err instanceof Error ? err.message : String(err) });
  }
}

const timer = setInterval(checkpoint, intervalMs);
parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  // No last checkpoint here: the server's connection, closing last, checkpoints and removes the WAL itself.
  clearInterval(timer);
  db.close();
  parentPort?.close();
});
