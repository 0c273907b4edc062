// The admin APIs' shared shape: a handler returns a JSON body; anything thrown leaves as an OperationOutcome with its
// status, like the FHIR endpoint. Query strings are read from the URL because the app keeps them raw for FHIR.
import type { Request, Response } from 'express';
import { toOutcomeError } from '../fhir/outcomes.js';

/** An express handler answering `handler(req, query)` as JSON, errors as OperationOutcome. */
export function jsonRoute(
  handler: (req: Request, query: URLSearchParams) => Promise<unknown>,
): (req: Request, res: Response) => Promise<void> {
  return async (req, res) => {
    try {
      res.json(await handler(req, new URL(req.originalUrl, 'http://local').searchParams));
    } catch (err) {
      const e = toOutcomeError(err);
      res.status(e.status).type('application/fhir+json').send(JSON.stringify(e.outcome));
    }
  };
}
