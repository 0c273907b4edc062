// Writes a phantom to a folder: one Part 10 file per slice (written as each slice is generated, so memory holds
// one slice), report.txt and labels.json. The only file-system adapter of the phantom module.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SeriesIdentity } from './ct-image.js';
import { ctSliceDataset } from './ct-image.js';
import { encodePart10 } from './dicom-writer.js';
import type { Phantom } from './generate.js';
import type { PhantomLabels } from './labels.js';
import { phantomLabels } from './labels.js';
import { createRng } from './prng.js';
import { phantomReport } from './report.js';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from './uid.js';

const META = {
  implementationClassUid: IMPLEMENTATION_CLASS_UID,
  implementationVersionName: IMPLEMENTATION_VERSION_NAME,
};

/** Encodes every slice of a phantom as Part 10 bytes, in slice order (k = 0 superior first). */
export function* phantomInstances(phantom: Phantom, id: SeriesIdentity): Generator<{ k: number; bytes: Uint8Array }> {
  for (const s of phantom.slices())
    yield { k: s.k, bytes: encodePart10(ctSliceDataset(phantom.frame, id, s.k, s.z, s.hu), META) };
}

export interface WrittenPhantom {
  files: string[];
  labels: PhantomLabels;
  report: string;
}

/** Writes the series (CT000001.dcm ...), report.txt and labels.json into `dir` (created if needed). */
export async function writePhantom(
  phantom: Phantom,
  id: SeriesIdentity,
  dir: string,
  options: { report?: boolean; onSlice?: (k: number) => void } = {},
): Promise<WrittenPhantom> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const { k, bytes } of phantomInstances(phantom, id)) {
    const file = join(dir, `CT${String(k + 1).padStart(6, '0')}.dcm`);
    await writeFile(file, bytes);
    files.push(file);
    options.onSlice?.(k);
  }
  const labels = phantomLabels(phantom.seed, phantom.frame, phantom.findings, {
    studyInstanceUid: id.studyInstanceUid,
    seriesInstanceUid: id.seriesInstanceUid,
    accessionNumber: id.accessionNumber,
    patientId: id.patientId,
  });
  const report = phantomReport(phantom.findings, createRng(phantom.seed).fork('report'));
  if (options.report !== false) await writeFile(join(dir, 'report.txt'), report);
  await writeFile(join(dir, 'labels.json'), JSON.stringify(labels, null, 2) + '\n');
  return { files, labels, report };
}
