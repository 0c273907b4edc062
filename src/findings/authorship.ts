// The Organization running ct-fhir and the Devices (one per algorithm version) that author findings, as resources
// created once by identifier. Device: http://hl7.org/fhir/R4/device.html
import type { BundleEntry, Device, Organization } from 'fhir/r4.js';
import { createOnce, stableUrn } from './bundle-entries.js';
import type { Authorship, FindingCodes } from './types.js';

export interface AlgorithmInfo {
  /** Machine name, e.g. report-label-extraction or ctnet-phantom. */
  name: string;
  /** Human name for Device.deviceName. */
  displayName: string;
  version: string;
  /** Device.type text, e.g. "Report label extraction software". */
  type: string;
  /** Extra notes: training data, intended use, limits (Device.note). */
  notes?: string[];
}

/** Entries creating (once) the Organization and the algorithm's Device, and references to them via urn:uuid. */
export function authorshipEntries(
  codes: FindingCodes,
  organizationName: string,
  algorithm: AlgorithmInfo,
): { entries: BundleEntry[]; refs: Authorship } {
  const orgKey = `organization/${organizationName}`;
  const organization: Organization = {
    resourceType: 'Organization',
    identifier: [{ system: codes.identifierSystem('organization'), value: organizationName }],
    active: true,
    name: organizationName,
  };
  const deviceKey = `device/${algorithm.name}/${algorithm.version}`;
  const orgUrn = stableUrn(orgKey);
  const deviceUrn = stableUrn(deviceKey);
  const device: Device = {
    resourceType: 'Device',
    identifier: [{ system: codes.identifierSystem('device'), value: `${algorithm.name}/${algorithm.version}` }],
    status: 'active',
    manufacturer: organizationName,
    deviceName: [
      { name: algorithm.displayName, type: 'manufacturer-name' },
      { name: algorithm.name, type: 'model-name' },
    ],
    type: { text: algorithm.type },
    version: [{ value: algorithm.version }],
    owner: { reference: orgUrn },
    note: algorithm.notes?.map((text) => ({ text })),
  };
  if (!device.note?.length) delete device.note;
  return {
    entries: [createOnce(organization, orgUrn), createOnce(device, deviceUrn)],
    refs: { organization: { reference: orgUrn }, device: { reference: deviceUrn } },
  };
}
