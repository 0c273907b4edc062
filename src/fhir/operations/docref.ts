// US Core $docref (http://hl7.org/fhir/us/core/STU5.0.1/OperationDefinition-docref.html): the documents of a patient,
// GET DocumentReference/$docref?patient=&start=&end=&type= or POST with a Parameters body, as a searchset Bundle.
// It runs as a DocumentReference search, so paging, _count and the Bundle's links work as they do there:
//   - only current documents (status current): a superseded report text is not a document available to the reader;
//   - start / end are care dates, matched against context.period (an overlap), not DocumentReference.date;
//   - neither given: every current document of the patient (the IG: "the most recent or current document"; a
//     radiology archive has no single current document such as a CCD);
//   - on-demand: ct-fhir does not generate documents, it answers with the stored ones and says so in a warning;
//   - profile: only documents that claim it (meta.profile).
import type { Coding, Parameters, ParametersParameter } from 'fhir/r4.js';
import type { OperationDef } from '../context.js';
import type { FhirRequest } from '../request.js';
import { badRequest } from '../outcomes.js';
import { dateProblem, restoreZonePlus } from '../search/date.js';
import { parseSearchRequest } from '../search/parse.js';
import { searchBundle } from '../interactions/search.js';

interface DocrefInput {
  patient?: string;
  start?: string;
  end?: string;
  /** Token values (`system|code` or `code`), ORed. */
  type: string[];
  onDemand?: string;
  profile?: string;
}

/** A start or end date as given (a `+hh:mm` zone read back from a URL's space), or 400 saying what is wrong. */
function careDate(name: 'start' | 'end', text: string): string {
  const value = restoreZonePlus(text);
  const problem = dateProblem(value);
  if (problem) throw badRequest(`Invalid ${name} '${text}': ${problem}`, name);
  return value;
}

const token = (c: Coding): string => (c.system ? `${c.system}|${c.code ?? ''}` : (c.code ?? ''));

function fromParameter(p: ParametersParameter, input: DocrefInput): void {
  switch (p.name) {
    case 'patient':
      input.patient = p.valueId ?? p.valueString ?? p.valueReference?.reference;
      break;
    case 'start':
    case 'end':
      input[p.name] = p.valueDateTime ?? p.valueDate ?? p.valueInstant;
      break;
    case 'type':
      for (const c of p.valueCoding ? [p.valueCoding] : (p.valueCodeableConcept?.coding ?? []))
        input.type.push(token(c));
      break;
    case 'on-demand':
      input.onDemand = p.valueBoolean === undefined ? undefined : String(p.valueBoolean);
      break;
    case 'profile':
      input.profile = p.valueCanonical ?? p.valueUri;
      break;
    default:
      throw badRequest(`$docref has no parameter ${p.name}`, p.name);
  }
}

/** The operation's input from the URL (GET, or POST form) and a Parameters body (POST). */
function docrefInput(req: FhirRequest): DocrefInput {
  const q = req.query;
  const input: DocrefInput = {
    patient: q.get('patient') ?? undefined,
    start: q.get('start') ?? undefined,
    end: q.get('end') ?? undefined,
    type: q.getAll('type').flatMap((t) => t.split(',')),
    onDemand: q.get('on-demand') ?? undefined,
    profile: q.get('profile') ?? undefined,
  };
  if (req.body !== undefined) {
    const body = req.body as Parameters;
    if (body?.resourceType !== 'Parameters') throw badRequest('The body of $docref must be a Parameters resource');
    for (const p of body.parameter ?? []) fromParameter(p, input);
  }
  return input;
}

export const docrefOperation: OperationDef = {
  name: 'docref',
  types: ['DocumentReference'],
  definition: 'http://hl7.org/fhir/us/core/OperationDefinition/docref',
  handler: async (req, ctx) => {
    const input = docrefInput(req);
    const patient = input.patient?.replace(/^Patient\//, '');
    if (!patient) throw badRequest('$docref needs the patient parameter (the Patient id)', 'patient');
    if (input.onDemand !== undefined && input.onDemand !== 'true' && input.onDemand !== 'false')
      throw badRequest(`on-demand must be true or false, got ${input.onDemand}`, 'on-demand');
    const search = new URLSearchParams({ patient: `Patient/${patient}`, status: 'current' });
    // Care dates: a document's context.period overlaps [start, end] (search.html#date: ge / le on a Period).
    if (input.start) search.append('period', `ge${careDate('start', input.start)}`);
    if (input.end) search.append('period', `le${careDate('end', input.end)}`);
    if (input.type.length > 0) search.set('type', input.type.join(','));
    if (input.profile) search.set('_profile', input.profile);
    for (const control of ['_count', '_summary', '_elements', '_total']) {
      const value = req.query.get(control);
      if (value !== null) search.set(control, value);
    }
    const request = parseSearchRequest('DocumentReference', search, {
      strict: true,
      defaultCount: ctx.defaultCount,
      maxCount: ctx.maxCount,
      baseUrl: ctx.baseUrl,
    });
    if (input.onDemand === 'true')
      request.warnings = ['on-demand: ct-fhir does not generate documents; these are the stored ones'];
    return { status: 200, body: await searchBundle(ctx, request) };
  },
};
