// Spawning job worker processes for the fault tests and the benchmark.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface WorkerProcess {
  child: ChildProcess;
  id: string;
  /** JSON lines printed after "ready". */
  lines: unknown[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last 4,000 characters the process wrote to stderr (its log lines). */
  stderr: () => string;
}

/** Starts `node --import tsx <script> [args]` and resolves when it prints {"ready": id}. */
export function startScript(script: string, env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines: unknown[] = [];
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    let ready = false;
    rl.on('line', (line) => {
      let msg: unknown;
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (!ready && typeof msg === 'object' && msg !== null && 'ready' in msg) {
        ready = true;
        resolve({ child, id: String((msg as { ready: unknown }).ready), lines, exited, stderr: () => stderr });
      } else lines.push(msg);
    });
    void exited.then(({ code, signal }) => {
      if (!ready) reject(new Error(`${script} exited (${code ?? signal}) before ready: ${stderr}`));
    });
  });
}

/** Runs a script to its end (for scripts that kill themselves); resolves with how it ended. */
export async function runScript(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
}

/** Polls `check` every 50 ms until it returns a value other than undefined, or fails after timeoutMs. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
