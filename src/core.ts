// The core shared by `serve` and `worker`: database (store + job tables), repository with the outbox triggers,
// FHIR context, job queue mirrored into Tasks, and the job handlers of every pipeline.
import type { DataSource } from 'typeorm';
import type { Config } from './config.js';
import type { FhirContext, OperationDef } from './fhir/context.js';
import { validateOperation } from './fhir/operations/validate.js';
import { indexResource } from './fhir/search/indexer.js';
import { loadDefinitions } from './fhir/validation.js';
import { outboxHook } from './jobs/outbox.js';
import { JobQueue } from './jobs/queue.js';
import { hl7StoreModule } from './hl7v2/store/schema.js';
import { jobsModule } from './jobs/schema.js';
import type { HandlerRegistry } from './jobs/types.js';
import { diagnosticHandlers } from './jobs/diagnostics.js';
import type { Logger } from './log.js';
import { HL7_ORU_OUT, oruOutHandler } from './pipeline/oru-out.js';
import { reportHandlers } from './pipeline/report-jobs.js';
import { taskMirror } from './pipeline/task-mirror.js';
import { reportTriggers } from './pipeline/triggers.js';
import { type StoreModule, openDataSource } from './store/datasource.js';
import { SqlRepository } from './store/sql-repository.js';
import { getTerminology } from './terminology/load.js';

export interface Core {
  dataSource: DataSource;
  repo: SqlRepository;
  ctx: FhirContext;
  queue: JobQueue;
  handlers: HandlerRegistry;
  close(): Promise<void>;
}

export interface CoreParts {
  modules?: StoreModule[];
  operations?: OperationDef[];
  /** Extra handlers (tests and diagnostics); they override pipeline handlers of the same type. */
  handlers?: HandlerRegistry;
}

/** Opens the database and builds everything that does not listen on a port. */
export async function openCore(config: Config, logger: Logger, parts: CoreParts = {}): Promise<Core> {
  loadDefinitions();
  const terminology = getTerminology();
  const dataSource = await openDataSource(config.databaseUrl, {
    modules: [jobsModule, hl7StoreModule, ...(parts.modules ?? [])],
  });
  const repo = new SqlRepository(dataSource, { indexResource, hooks: [outboxHook(reportTriggers)] });
  const ctx: FhirContext = {
    repo,
    baseUrl: config.baseUrl,
    defaultCount: 20,
    maxCount: 1000,
    operations: [validateOperation, ...(parts.operations ?? [])],
    validate: true,
  };
  const queue = new JobQueue(dataSource, { logger, onTransition: taskMirror(repo, logger) });
  const outbound = config.hl7Outbound;
  // Findings go to the RIS as a job of their own, so a RIS outage never blocks or repeats extraction.
  const onFindings = outbound
    ? async (focus: string): Promise<void> => {
        await queue.enqueue({ type: HL7_ORU_OUT, payload: { focus }, dedupeKey: `${HL7_ORU_OUT}:${focus}` });
      }
    : undefined;
  const handlers: HandlerRegistry = {
    ...diagnosticHandlers,
    ...reportHandlers({ ctx, terminology, organization: config.organization, onFindings }),
    ...(outbound ? { [HL7_ORU_OUT]: oruOutHandler({ ctx, outbound, logger }) } : {}),
    ...parts.handlers,
  };
  return {
    dataSource,
    repo,
    ctx,
    queue,
    handlers,
    close: async () => {
      queue.close();
      await dataSource.destroy();
    },
  };
}
