// The outbox link between the store and the queue: a store write hook (SqlRepository `hooks`) that enqueues the jobs
// a resource change triggers, inside the write's own transaction, so the resource and its jobs commit together.
import type { EntityManager } from 'typeorm';
import type { ResourceChange } from '../fhir/repository.js';
import { enqueue } from './enqueue.js';
import type { EnqueueSpec } from './types.js';

/** Decides which jobs a resource change triggers (pure; [] for none). */
export type JobTrigger = (change: ResourceChange) => EnqueueSpec[];

/**
 * A write hook that enqueues what the triggers return for each change; a bad spec throws and rolls the write back.
 * Give triggered jobs a dedupeKey (e.g. `labels:DiagnosticReport/<id>`) so repeated writes coalesce.
 */
export function outboxHook(
  ...triggers: JobTrigger[]
): (change: ResourceChange, manager: EntityManager, scope: Map<string, unknown>) => Promise<void> {
  return async (change, manager, scope) => {
    // A Bundle of 83 findings of one study triggers one comparison: after the first, the job is already queued (or
    // flagged to rerun) in this transaction, so the other 82 need no statements.
    const enqueued = (scope.get(ENQUEUED) as Set<string> | undefined) ?? new Set<string>();
    scope.set(ENQUEUED, enqueued);
    for (const trigger of triggers) {
      for (const spec of trigger(change)) {
        if (spec.dedupeKey) {
          if (enqueued.has(spec.dedupeKey)) continue;
          enqueued.add(spec.dedupeKey);
        }
        await enqueue(manager, spec);
      }
    }
  };
}

/** The transaction scope's entry holding the dedupe keys enqueued so far. */
const ENQUEUED = 'outbox.enqueued';
