// A real PACS for tests: Orthanc (Debian package `orthanc`) with its DICOMweb plugin (`orthanc-dicomweb`), started
// on free loopback ports with a temporary storage folder and a generated configuration, stopped and removed after.
// Tests call orthancUnavailable() and skip with its message when the packages are not installed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ORTHANC_BIN = '/usr/sbin/Orthanc';

/** Path of the DICOMweb plugin from the Debian package's file list (dpkg -L orthanc-dicomweb). */
export function dicomwebPluginPath(): string | undefined {
  const r = spawnSync('dpkg', ['-L', 'orthanc-dicomweb'], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  const libs = r.stdout.split('\n').filter((l) => /libOrthancDicomWeb\.so/.test(l) && existsSync(l));
  return libs.find((l) => l.includes('/plugins/')) ?? libs[0];
}

/** Why Orthanc cannot run here (a skip message), or undefined when it can. */
export function orthancUnavailable(): string | undefined {
  if (!existsSync(ORTHANC_BIN)) return 'Orthanc is not installed (apt-get install -y orthanc orthanc-dicomweb)';
  if (!dicomwebPluginPath())
    return 'the Orthanc DICOMweb plugin is not installed (apt-get install -y orthanc-dicomweb)';
  return undefined;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface OrthancServer {
  /** REST API root, e.g. http://127.0.0.1:41234 */
  url: string;
  /** DICOMweb root, e.g. http://127.0.0.1:41234/dicom-web */
  dicomweb: string;
  /** Uploads one Part 10 instance (POST /instances); returns Orthanc's instance id. */
  upload(bytes: Uint8Array): Promise<string>;
  /** Stops Orthanc and deletes its storage. */
  stop(): Promise<void>;
}

async function waitReady(url: string, proc: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) {
      const log = await readFile(logFile, 'utf8').catch(() => '');
      throw new Error(`Orthanc exited with code ${proc.exitCode} during start:\n${log.slice(-2000)}`);
    }
    try {
      const res = await fetch(`${url}/system`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) {
        await res.arrayBuffer();
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Orthanc did not become ready within ${timeoutMs} ms (log: ${logFile})`);
}

/** Starts Orthanc with the DICOMweb plugin on free loopback ports and a fresh temporary storage folder. */
export async function startOrthanc(): Promise<OrthancServer> {
  const why = orthancUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), 'ctfhir-orthanc-'));
  const [httpPort, dicomPort] = [await freePort(), await freePort()];
  const config = {
    Name: 'ct-fhir-test',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    HttpPort: httpPort,
    DicomPort: dicomPort,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    StorageCompression: false,
    SaveJobs: false,
    HttpCompressionEnabled: false,
    Plugins: [dicomwebPluginPath()],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false, StudiesMetadata: 'Full', SeriesMetadata: 'Full' },
  };
  const configFile = join(dir, 'orthanc.json');
  const logFile = join(dir, 'orthanc.log');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const { openSync, closeSync } = await import('node:fs');
  const logFd = openSync(logFile, 'a');
  const proc = spawn(ORTHANC_BIN, [configFile], { stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const url = `http://127.0.0.1:${httpPort}`;
  // If the test process exits without stop() (an uncaught error, process.exit), Orthanc must not outlive it.
  const killOnExit = (): void => {
    proc.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const stop = async (): Promise<void> => {
    process.removeListener('exit', killOnExit);
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, proc, logFile, 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    dicomweb: `${url}/dicom-web`,
    stop,
    async upload(bytes) {
      const res = await fetch(`${url}/instances`, {
        method: 'POST',
        headers: { 'content-type': 'application/dicom' },
        body: bytes,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`Orthanc rejected an upload: ${res.status} ${text.slice(0, 200)}`);
      return (JSON.parse(text) as { ID: string }).ID;
    },
  };
}
