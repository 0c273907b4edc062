// For the ops tests: a server whose log lines are kept, and raw-socket HTTP for what fetch cannot do (send a
// request slowly, hold a connection open across a shutdown).
import { connect, type Socket } from 'node:net';
import { startServer, type RunningServer, type ServerParts } from '../../src/app.js';
import { createLogger, type Level } from '../../src/log.js';
import type { TestDatabase } from './databases.js';
import { testServerConfig } from './server.js';

export interface LoggedServer extends RunningServer {
  /** Every log line so far, parsed. */
  lines: Record<string, unknown>[];
  /** The log as text, to assert what it must not contain. */
  logText(): string;
  /** http://127.0.0.1:<port> */
  origin: string;
  stop(): Promise<void>;
}

/** `startServer` on a free loopback port without MLLP or workers unless asked, logging at `level` into memory. */
export async function startLoggedServer(
  db: TestDatabase,
  env: Record<string, string> = {},
  level: Level = 'debug',
  parts: ServerParts = {},
): Promise<LoggedServer> {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(level, {}, (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const server = await startServer(testServerConfig(db, env), logger, parts);
  return {
    ...server,
    lines,
    logText: () => lines.map((l) => JSON.stringify(l)).join('\n'),
    origin: `http://127.0.0.1:${server.port}`,
    stop: async () => {
      await server.close();
      await db.drop();
    },
  };
}

/** A raw connection to 127.0.0.1:port: what the server sent, and when it closed. */
export async function rawConnection(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (b: Buffer) => (text += b.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, closed };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
