// One route table from (method, path shape) to interaction. Independent of express: the HTTP adapter builds a
// FhirRequest and writes the FhirResponse. FHIR R4 RESTful API summary: http://hl7.org/fhir/R4/http.html#summary
import type { Bundle } from 'fhir/r4.js';
import type { FhirContext } from './context.js';
import { batch, transaction } from './interactions/bundle.js';
import {
  conditionalDeleteInteraction,
  conditionalUpdateInteraction,
  createInteraction,
  deleteInteraction,
  readInteraction,
  updateInteraction,
  vreadInteraction,
} from './interactions/crud.js';
import { assertNestingDepth } from './interactions/body.js';
import { historyInteraction } from './interactions/history.js';
import { notModifiedOr } from './interactions/respond.js';
import { searchInteraction } from './interactions/search.js';
import { publishedCapabilityStatement } from './capability.js';
import { badRequest, notAllowed, notFound } from './outcomes.js';
import { SOFTWARE } from '../version.js';
import type { FhirRequest, FhirResponse } from './request.js';

type Route = (ctx: FhirContext, req: FhirRequest, p: string[]) => Promise<FhirResponse>;

async function operation(
  ctx: FhirContext,
  req: FhirRequest,
  name: string,
  resourceType?: string,
  id?: string,
): Promise<FhirResponse> {
  const op = ctx.operations.find((o) => o.name === name);
  const allowed =
    op &&
    (resourceType
      ? (op.types === undefined || op.types.includes(resourceType)) && (id === undefined || op.instance === true)
      : op.system);
  if (!op || !allowed) {
    throw notFound(
      `Operation $${name} is not supported ${id ? 'on instances of' : resourceType ? 'on' : 'at system level'} ${resourceType ?? ''}`.trim(),
    );
  }
  return op.handler(req, ctx, { resourceType, id });
}

async function bundleRoute(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
  const body = req.body as Bundle | undefined;
  if (body?.resourceType !== 'Bundle') throw badRequest('POST to the base requires a Bundle', 'resourceType');
  if (body.type === 'transaction') return { status: 200, body: await transaction(ctx, body, dispatch) };
  if (body.type === 'batch') return { status: 200, body: await batch(ctx, body, dispatch) };
  throw badRequest(`Bundle.type must be transaction or batch, got ${String(body.type)}`, 'Bundle.type');
}

/** Routes keyed by "METHOD shape" where shape names the path segments: T type, I id, V version, $ operation. */
const ROUTES: Record<string, Route> = {
  'POST ': (ctx, req) => bundleRoute(ctx, req),
  'GET _history': (ctx, req) => historyInteraction(ctx, req),
  'GET metadata': async (ctx) => ({ status: 200, body: publishedCapabilityStatement(ctx, SOFTWARE) }),
  'GET $': (ctx, req, p) => operation(ctx, req, p[0]!.slice(1)),
  'POST $': (ctx, req, p) => operation(ctx, req, p[0]!.slice(1)),
  'GET T': (ctx, req, p) => searchInteraction(ctx, req, p[0]!),
  'POST T': (ctx, req, p) => createInteraction(ctx, req, p[0]!),
  'PUT T': (ctx, req, p) => conditionalUpdateInteraction(ctx, req, p[0]!),
  'DELETE T': (ctx, req, p) => conditionalDeleteInteraction(ctx, req, p[0]!),
  'POST T _search': (ctx, req, p) => searchInteraction(ctx, req, p[0]!),
  'GET T _history': (ctx, req, p) => historyInteraction(ctx, req, p[0]!),
  'GET T $': (ctx, req, p) => operation(ctx, req, p[1]!.slice(1), p[0]!),
  'POST T $': (ctx, req, p) => operation(ctx, req, p[1]!.slice(1), p[0]!),
  'GET T I': async (ctx, req, p) => notModifiedOr(req, await readInteraction(ctx, p[0]!, p[1]!, req.acceptsJson)),
  'PUT T I': (ctx, req, p) => updateInteraction(ctx, req, p[0]!, p[1]!),
  'DELETE T I': (ctx, req, p) => deleteInteraction(ctx, req, p[0]!, p[1]!),
  'GET T I _history': (ctx, req, p) => historyInteraction(ctx, req, p[0]!, p[1]!),
  'GET T I $': (ctx, req, p) => operation(ctx, req, p[2]!.slice(1), p[0]!, p[1]!),
  'POST T I $': (ctx, req, p) => operation(ctx, req, p[2]!.slice(1), p[0]!, p[1]!),
  'GET T I _history V': async (ctx, req, p) => notModifiedOr(req, await vreadInteraction(ctx, p[0]!, p[1]!, p[3]!)),
};

function shape(parts: string[]): string {
  return parts
    .map((part, i) => {
      if (part.startsWith('$')) return '$';
      if (part === '_history' || part === '_search') return part;
      if (i === 0 && part === 'metadata' && parts.length === 1) return part;
      if (i === 0) return part === '' ? '' : 'T';
      if (i === 3 && parts[2] === '_history') return 'V';
      return 'I';
    })
    .join(' ');
}

/** Dispatches one FHIR request to its interaction (the single entry point for HTTP and bundle entries). */
export async function dispatch(ctx: FhirContext, req: FhirRequest): Promise<FhirResponse> {
  if (typeof req.body === 'object' && req.body !== null) assertNestingDepth(req.body);
  const parts = req.path.split('/').filter((s, i) => s !== '' || i === 0);
  if (parts.length === 0) parts.push('');
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const path = shape(parts);
  const route = ROUTES[`${method} ${path}`];
  if (!route) {
    const pathKnown = Object.keys(ROUTES).some((k) => k.slice(k.indexOf(' ') + 1) === path);
    if (pathKnown) throw notAllowed(`${req.method} is not allowed on ${req.path || 'the base'}`);
    throw notFound(`No route for ${req.method} ${req.path}`);
  }
  return route(ctx, req, parts);
}
