// A free loopback TCP port for listeners that treat port 0 as "off" (MLLP_PORT).
import { createServer } from 'node:net';

/** Binds port 0, reads the port the kernel chose and releases it. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
