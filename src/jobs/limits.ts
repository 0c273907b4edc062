// Parses per-type concurrency limits from configuration text (pure), e.g. JOB_LIMITS="inference=1,hl7.send=4/8":
//   type=N     at most N running in each worker process
//   type=N/M   ... and at most M across all processes
//   type=/M    only the cluster-wide limit
import type { TypeLimit } from './types.js';

const ITEM = /^([A-Za-z][A-Za-z0-9._-]{0,99})=(\d{1,4})?(?:\/(\d{1,4}))?$/;

/** Parses a limits string; throws an Error naming the bad item. */
export function parseTypeLimits(text: string | undefined): Record<string, TypeLimit> {
  const limits: Record<string, TypeLimit> = {};
  if (!text || text.trim() === '') return limits;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    const m = ITEM.exec(item);
    if (!m || (m[2] === undefined && m[3] === undefined)) {
      throw new Error(`JOB_LIMITS item "${item}" must be type=N, type=N/M or type=/M`);
    }
    const [, type, perProcess, cluster] = m;
    if (limits[type!]) throw new Error(`JOB_LIMITS names "${type}" twice`);
    const limit: TypeLimit = {};
    if (perProcess !== undefined) limit.perProcess = Number(perProcess);
    if (cluster !== undefined) limit.cluster = Number(cluster);
    if (limit.perProcess === 0) throw new Error(`JOB_LIMITS "${item}": a per-process limit of 0 would never run`);
    limits[type!] = limit;
  }
  return limits;
}
