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
  // Prepended: the app's listener (createServer(app) registers it first) may answer synchronously (/healthz, a 404),
  // and a response ended before it was counted would stay counted, holding every shutdown for its whole timeout.
  server.prependListener('request', (_req, res) => {
    running++;
    // While closing, every answer tells a keep-alive client to reconnect elsewhere.
    if (closing) res.setHeader('Connection', 'close');
    // A request counts until its handler ends the response. The response's 'close' is not enough: it fires as soon as
    // the client hangs up, while the handler may still be writing (a create queued behind a group commit), and closing
    // the database then would fail that write. end() after a hang-up still runs, so it always comes.
    let counted = true;
    const done = (): void => {
      if (!counted) return;
      counted = false;
      running--;
      if (running === 0) onIdle?.();
    };
    const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
    res.end = ((...args: unknown[]) => {
      const out = end(...args);
      done();
      return out;
    }) as typeof res.end;
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
