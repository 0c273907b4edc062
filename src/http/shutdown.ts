// Graceful HTTP shutdown: stop accepting connections, let requests already running finish (their writes commit and
// their clients get the answer), ask keep-alive clients to go away, and only then drop what is left. Destroying
// sockets first would abort handlers mid-flight and close the database under them.
import type { Server } from 'node:http';

export interface GracefulServer {
  /** Requests being handled now. */
  inFlight(): number;
  /** Closes the server; resolves true if every running request finished within timeoutMs. */
  close(timeoutMs: number): Promise<boolean>;
}

export function graceful(server: Server): GracefulServer {
  let running = 0;
  let closing = false;
  let onIdle: (() => void) | undefined;
  server.on('request', (_req, res) => {
    running++;
    // While closing, every answer tells a keep-alive client to reconnect elsewhere.
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      running--;
      if (running === 0) onIdle?.();
    });
  });
  return {
    inFlight: () => running,
    close: async (timeoutMs) => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const drained =
        running === 0 ||
        (await new Promise<boolean>((resolve) => {
          onIdle = () => resolve(true);
          timer = setTimeout(() => resolve(false), timeoutMs);
        }));
      clearTimeout(timer);
      server.closeAllConnections();
      await closed;
      return drained;
    },
  };
}
