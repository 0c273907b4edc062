// Access to /admin/* (job retry and requeue, HL7 messages with their raw text: full PHI). With ADMIN_TOKEN set, a
// request needs `Authorization: Bearer <token>` (RFC 6750); without it, only loopback clients are answered, so an
// operator on the host (or `docker exec`) can still use it while the network cannot. The FHIR endpoint itself has no
// authorization yet (README "Security").
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { outcome } from '../fhir/outcomes.js';
import type { Logger } from '../log.js';

/** Whether a socket's remote address is the local host (IPv4 127/8, IPv6 ::1, or IPv4 127/8 mapped into IPv6). */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

// Comparing SHA-256 digests keeps the comparison constant-time for tokens of any length.
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Express middleware guarding /admin: a bearer token when `token` is set, loopback clients only otherwise. */
export function adminAuth(token: string | undefined, logger: Logger) {
  const expected = token === undefined ? undefined : digest(token);
  return (req: Request, res: Response, next: NextFunction): void => {
    const address = req.socket.remoteAddress;
    if (expected) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (m && timingSafeEqual(digest(m[1]!), expected)) return next();
      res.setHeader('WWW-Authenticate', 'Bearer realm="ct-fhir admin"');
      refuse(res, 401, 'login', 'The admin API needs Authorization: Bearer <ADMIN_TOKEN>');
    } else {
      if (isLoopback(address)) return next();
      refuse(res, 403, 'forbidden', 'The admin API answers loopback clients only unless ADMIN_TOKEN is set');
    }
    logger.warn('admin request refused', {
      requestId: res.getHeader('X-Request-Id'),
      status: res.statusCode,
      method: req.method,
      client: address,
    });
  };
}

function refuse(res: Response, status: number, code: 'login' | 'forbidden', diagnostics: string): void {
  res
    .status(status)
    .type('application/fhir+json')
    .send(JSON.stringify(outcome('error', code, diagnostics)));
}
