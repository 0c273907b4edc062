// One typed configuration from environment variables and --flags (flags win). Bad values are a ConfigError
// with a message naming the variable; the CLI prints it and exits 1. Contract: ../shared/design.md "Environment".
import type { PacsAuth } from './imaging/dicomweb/http.js';
import { runtimeOptionsFromEnv, type RuntimeOptions } from './imaging/model/options.js';
import { parseTypeLimits } from './jobs/limits.js';
import type { TypeLimit } from './jobs/types.js';

export interface Config {
  port: number;
  host: string;
  /** Public base URL of the FHIR endpoint, e.g. http://127.0.0.1:8080/fhir. */
  baseUrl: string;
  databaseUrl: string;
  mllpPort: number;
  workers: number;
  /** JOB_LIMITS: per-type limits of this process's workers (serve and worker), over the defaults (core.ts). */
  jobLimits: Record<string, TypeLimit>;
  /**
   * TASK_RESYNC_MS: a job transition whose Task is still unwritten after this long is written by the sweep (the
   * process that committed it died first, or its write failed); 0 turns the sweep off.
   */
  taskResyncMs: number;
  model: string;
  /** INFERENCE_PROVIDERS, thread counts and per-device concurrency (imaging/model/options.ts). */
  inference: RuntimeOptions;
  dicomwebUrl?: string;
  /** Credentials for DICOMWEB_URL (DICOMWEB_TOKEN, or DICOMWEB_USERNAME and DICOMWEB_PASSWORD); sent to its origin only. */
  dicomwebAuth?: PacsAuth;
  hl7Outbound?: { host: string; port: number };
  /** Inbound HL7 messages that arrive together share one FHIR transaction (HL7_GROUP_COMMIT=true). */
  hl7GroupCommit: boolean;
  /** Only `none` for now: SMART-on-FHIR authorization is a separate piece of work (README "Security"). */
  auth: 'none';
  /** Bearer token for /admin/*; unset: /admin/* answers loopback clients only. */
  adminToken?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Largest accepted request body in bytes. */
  maxBodyBytes: number;
  /** One deadline for shutdown: workers, MLLP and running HTTP requests stop within it. */
  shutdownTimeoutMs: number;
  /** Longest time a client may take to send a whole request (headers and body), in ms. */
  httpRequestTimeoutMs: number;
  /** Most open HTTP connections; connections over it are closed at once. */
  httpMaxConnections: number;
  /** Name of the Organization running ct-fhir (Provenance.agent.onBehalfOf, Device.owner). */
  organization: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Source = Record<string, string | undefined>;

/** Parses `--name value` and `--name=value` flags into the env-style keys they override (NAME). */
export function flagsToEnv(argv: string[]): { env: Source; rest: string[] } {
  const env: Source = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    if (!m) {
      rest.push(arg);
      continue;
    }
    const key = m[1]!.replace(/-/g, '_').toUpperCase();
    if (m[2] !== undefined) env[key] = m[2];
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) env[key] = argv[++i];
    else env[key] = 'true';
  }
  return { env, rest };
}

/** Every variable loadConfig reads (and so every --flag serve and worker take, besides a command's own). */
export const CONFIG_KEYS: readonly string[] = [
  'PORT',
  'HOST',
  'BASE_URL',
  'DATABASE_URL',
  'MLLP_PORT',
  'WORKERS',
  'JOB_LIMITS',
  'TASK_RESYNC_MS',
  'MODEL',
  'INFERENCE_PROVIDERS',
  'INFERENCE_INTRA_OP_THREADS',
  'INFERENCE_INTER_OP_THREADS',
  'INFERENCE_CONCURRENCY_CPU',
  'INFERENCE_CONCURRENCY_CUDA',
  'DICOMWEB_URL',
  'DICOMWEB_USERNAME',
  'DICOMWEB_PASSWORD',
  'DICOMWEB_TOKEN',
  'HL7_OUTBOUND',
  'HL7_GROUP_COMMIT',
  'AUTH',
  'ADMIN_TOKEN',
  'LOG_LEVEL',
  'MAX_BODY_BYTES',
  'SHUTDOWN_TIMEOUT_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'HTTP_MAX_CONNECTIONS',
  'ORGANIZATION',
];

/** A ConfigError for a --flag that names no setting (a typo would otherwise be ignored silently). */
export function assertKnownFlags(flags: Source, commandKeys: readonly string[] = []): void {
  const known = new Set([...CONFIG_KEYS, ...commandKeys]);
  const unknown = Object.keys(flags).find((k) => !known.has(k));
  if (unknown) throw new ConfigError(`unknown option --${unknown.toLowerCase().replace(/_/g, '-')}`);
}

/**
 * A command's configuration from its arguments, flags over the environment; a stray argument or a flag that names
 * no setting (of the config or `commandKeys`) is a ConfigError. `env` is the merged source for command settings.
 */
export function commandConfig(argv: string[], commandKeys: readonly string[] = []): { config: Config; env: Source } {
  const { env: flags, rest } = flagsToEnv(argv);
  if (rest.length > 0) throw new ConfigError(`unexpected argument "${rest[0]}"`);
  assertKnownFlags(flags, commandKeys);
  const env = { ...process.env, ...flags };
  return { config: loadConfig(env), env };
}

/** An integer setting in [min, max], `dflt` when unset; anything else is a ConfigError naming the variable. */
export function intSetting(src: Source, key: string, dflt: number, min: number, max: number): number {
  const raw = src[key];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${key} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

/** A boolean setting: true/false, 1/0, yes/no; anything else is a configuration error. */
export function boolSetting(src: Source, key: string, dflt: boolean): boolean {
  const raw = src[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return dflt;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(`${key} must be true or false, got "${src[key]}"`);
}

/** PACS credentials: a bearer token, or a user name with its password; never both, never half a pair. */
function dicomwebAuth(src: Source): PacsAuth | undefined {
  const { DICOMWEB_USERNAME: username, DICOMWEB_PASSWORD: password, DICOMWEB_TOKEN: token } = src;
  if (token && (username || password)) {
    throw new ConfigError('DICOMWEB_TOKEN and DICOMWEB_USERNAME/DICOMWEB_PASSWORD exclude each other; set one');
  }
  if (token) return { type: 'bearer', token };
  if (!username && !password) return undefined;
  if (!username || password === undefined) {
    throw new ConfigError('DICOMWEB_USERNAME and DICOMWEB_PASSWORD go together; set both');
  }
  if (username.includes(':')) throw new ConfigError('DICOMWEB_USERNAME must not contain ":" (RFC 7617)');
  return { type: 'basic', username, password };
}

function hostPort(key: string, raw: string | undefined): { host: string; port: number } | undefined {
  if (!raw) return undefined;
  const m = /^([^:]+):(\d{1,5})$/.exec(raw);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`${key} must be host:port, got "${raw}"`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** BASE_URL goes into Location headers and references, so it must be an absolute http(s) URL. */
function baseUrl(raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ConfigError(`BASE_URL must be an absolute http:// or https:// URL, got "${raw}"`);
  }
  return raw.replace(/\/$/, '');
}

function auth(raw: string | undefined): 'none' {
  if (!raw || raw === 'none') return 'none';
  throw new ConfigError(
    `AUTH=${raw} is not implemented yet; only AUTH=none (put the FHIR endpoint behind your gateway, README "Security")`,
  );
}

function adminToken(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  // A short token can be guessed over the network; 16 characters is the least a generator gives.
  if (raw.length < 16) throw new ConfigError('ADMIN_TOKEN must be at least 16 characters');
  return raw;
}

/** The database URL for logs: no user info and no secret query parameters (`?password=`, `?sslkey=`). */
export function redactDatabaseUrl(databaseUrl: string): string {
  if (databaseUrl.startsWith('sqlite:')) return databaseUrl;
  try {
    const url = new URL(databaseUrl);
    if (url.username || url.password) {
      url.username = '***';
      url.password = '';
    }
    for (const key of ['password', 'sslpassword', 'sslkey']) url.searchParams.delete(key);
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}

function jobLimits(text: string | undefined): Record<string, TypeLimit> {
  try {
    return parseTypeLimits(text);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Builds the configuration from env (and flags already merged into it). */
export function loadConfig(src: Source = process.env): Config {
  const port = intSetting(src, 'PORT', 8080, 0, 65535);
  const host = src.HOST || '127.0.0.1';
  const databaseUrl = src.DATABASE_URL || 'sqlite:data/ct-fhir.sqlite';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
  }
  const logLevel = (src.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be debug, info, warn or error, got "${logLevel}"`);
  }
  const dicomwebUrl = src.DICOMWEB_URL || undefined;
  if (dicomwebUrl && !/^(https?|file):\/\//.test(dicomwebUrl)) {
    throw new ConfigError(`DICOMWEB_URL must be an http(s):// or file:// URL, got "${dicomwebUrl}"`);
  }
  return {
    port,
    host,
    baseUrl: baseUrl(src.BASE_URL || `http://${host}:${port}/fhir`),
    databaseUrl,
    mllpPort: intSetting(src, 'MLLP_PORT', 2575, 0, 65535),
    workers: intSetting(src, 'WORKERS', 1, 0, 64),
    jobLimits: jobLimits(src.JOB_LIMITS),
    taskResyncMs: intSetting(src, 'TASK_RESYNC_MS', 30_000, 0, 3_600_000),
    model: src.MODEL || 'models/ctnet-phantom',
    inference: runtimeOptionsFromEnv(src),
    dicomwebUrl,
    dicomwebAuth: dicomwebAuth(src),
    hl7Outbound: hostPort('HL7_OUTBOUND', src.HL7_OUTBOUND),
    hl7GroupCommit: boolSetting(src, 'HL7_GROUP_COMMIT', false),
    auth: auth(src.AUTH),
    adminToken: adminToken(src.ADMIN_TOKEN),
    logLevel,
    maxBodyBytes: intSetting(src, 'MAX_BODY_BYTES', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    shutdownTimeoutMs: intSetting(src, 'SHUTDOWN_TIMEOUT_MS', 10_000, 0, 600_000),
    // 120 s: a 16 MiB body (MAX_BODY_BYTES) at about 1.1 Mbit/s; a client slower than that holds a connection.
    httpRequestTimeoutMs: intSetting(src, 'HTTP_REQUEST_TIMEOUT_MS', 120_000, 1000, 3_600_000),
    httpMaxConnections: intSetting(src, 'HTTP_MAX_CONNECTIONS', 1024, 1, 1_000_000),
    organization: src.ORGANIZATION || 'ct-fhir',
  };
}
