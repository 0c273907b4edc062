// The core shared by `serve` and `worker`: database (store + job tables), repository with the outbox triggers,
// FHIR context, job queue mirrored into Tasks, and the job handlers of every pipeline.
import type { DataSource } from 'typeorm';
import type { Config } from './config.js';
import type { FhirContext, OperationDef } from './fhir/context.js';
import { validateOperation } from './fhir/operations/validate.js';
import { docrefOperation } from './fhir/operations/docref.js';
import { indexResource } from './fhir/search/indexer.js';
import { loadDefinitions } from './fhir/validation.js';
import { outboxHook } from './jobs/outbox.js';
import { JobQueue } from './jobs/queue.js';
import { hl7StoreModule } from './hl7v2/store/schema.js';
import { jobsModule } from './jobs/schema.js';
import type { HandlerRegistry, TypeLimit } from './jobs/types.js';
import { diagnosticHandlers } from './jobs/diagnostics.js';
import type { Logger } from './log.js';
import { HL7_ORU_OUT, oruOutHandler } from './pipeline/oru-out.js';
import { reportHandlers } from './pipeline/report-jobs.js';
import { taskMirror, taskMirrorSweep } from './pipeline/task-mirror.js';
import { comparisonTriggers, imagingTriggers, reportTriggers } from './pipeline/triggers.js';
import { classifyHandler, IMAGING_CLASSIFY } from './pipeline/classify-job.js';
import { aiRetractHandler } from './pipeline/ai-retract-job.js';
import { compareHandler } from './pipeline/compare-job.js';
import { FINDINGS_COMPARE, IMAGING_RETRACT } from './pipeline/job-types.js';
import { classifyOperation } from './pipeline/classify-operation.js';
import { openRegistry } from './imaging/model/open.js';
import type { ModelRegistry } from './imaging/model/registry.js';
import { type StoreModule, openDataSource } from './store/datasource.js';
import { SqlRepository } from './store/sql-repository.js';
import { getTerminology, type Terminology } from './terminology/load.js';
import { OperationOutcomeError } from './fhir/outcomes.js';
import { terminologyOperations } from './fhir/operations/terminology.js';

export interface Core {
  dataSource: DataSource;
  repo: SqlRepository;
  ctx: FhirContext;
  queue: JobQueue;
  /** The classifier model (MODEL), reloaded when its folder changes; its status feeds /readyz. */
  models: ModelRegistry;
  handlers: HandlerRegistry;
  close(): Promise<void>;
}

/** One inference at a time per process: the model session already uses every core (or the one GPU). */
export const DEFAULT_LIMITS: Readonly<Record<string, TypeLimit>> = { [IMAGING_CLASSIFY]: { perProcess: 1 } };

/**
 * The per-type limits of this process's workers: JOB_LIMITS over DEFAULT_LIMITS, limit by limit, so a cluster-wide
 * limit set for a type keeps its default per-process one (`imaging.classify=/2` still runs one at a time here).
 */
export function workerLimits(config: Pick<Config, 'jobLimits'>): Record<string, TypeLimit> {
  const limits: Record<string, TypeLimit> = {};
  for (const type of new Set([...Object.keys(DEFAULT_LIMITS), ...Object.keys(config.jobLimits)])) {
    limits[type] = { ...DEFAULT_LIMITS[type], ...config.jobLimits[type] };
  }
  return limits;
}

export interface CoreParts {
  modules?: StoreModule[];
  operations?: OperationDef[];
  /** Extra handlers (tests and diagnostics); they override pipeline handlers of the same type. */
  handlers?: HandlerRegistry;
}

/** Stores the product's CodeSystems and ConceptMaps as FHIR resources (unchanged content writes no new version). */
async function publishTerminology(repo: SqlRepository, terminology: Terminology, logger: Logger): Promise<void> {
  for (const resource of [...terminology.codeSystems.values(), ...terminology.conceptMaps.values()]) {
    try {
      await repo.update(resource);
    } catch (err) {
      // Another process published the same version at the same moment.
      if (!(err instanceof OperationOutcomeError && err.status === 409)) throw err;
      logger.debug('terminology already published', { id: resource.id });
    }
  }
}

/** Opens the database and builds everything that does not listen on a port. */
export async function openCore(config: Config, logger: Logger, parts: CoreParts = {}): Promise<Core> {
  loadDefinitions();
  const terminology = getTerminology();
  const dataSource = await openDataSource(config.databaseUrl, {
    modules: [jobsModule, hl7StoreModule, ...(parts.modules ?? [])],
    logger,
  });
  const repo = new SqlRepository(dataSource, {
    // References on this server's own base are indexed as Type/id (ctx.baseUrl: the port is known once listening).
    indexResource: (resource) => indexResource(resource, { baseUrl: ctx.baseUrl }),
    hooks: [outboxHook(reportTriggers, imagingTriggers, comparisonTriggers)],
  });
  const ctx: FhirContext = {
    repo,
    baseUrl: config.baseUrl,
    defaultCount: 20,
    maxCount: 1000,
    operations: [
      validateOperation,
      docrefOperation,
      ...terminologyOperations(terminology),
      ...(parts.operations ?? []),
    ],
    validate: true,
  };
  await publishTerminology(repo, terminology, logger);
  const queue: JobQueue = new JobQueue(dataSource, { logger, onTransitions: taskMirror(repo, logger, () => queue) });
  const stopSweep = config.taskResyncMs > 0 ? taskMirrorSweep(queue, repo, logger, config.taskResyncMs) : undefined;
  ctx.operations.push(classifyOperation(queue));
  const models = await openRegistry(config.model, logger, config.inference);
  const outbound = config.hl7Outbound;
  // Findings go to the RIS as a job of their own, so a RIS outage never blocks or repeats extraction.
  const onFindings = outbound
    ? async (focus: string, study?: string): Promise<void> => {
        const payload = study ? { focus, study } : { focus };
        await queue.enqueue({
          type: HL7_ORU_OUT,
          payload,
          dedupeKey: `${HL7_ORU_OUT}:${focus}${study ? `:${study}` : ''}`,
        });
      }
    : undefined;
  const handlers: HandlerRegistry = {
    ...diagnosticHandlers,
    ...reportHandlers({ ctx, terminology, organization: config.organization, onFindings }),
    [IMAGING_CLASSIFY]: classifyHandler({
      ctx,
      terminology,
      organization: config.organization,
      models,
      dicomwebUrl: config.dicomwebUrl,
      dicomwebAuth: config.dicomwebAuth,
      onFindings,
    }),
    [FINDINGS_COMPARE]: compareHandler({ ctx, terminology }),
    [IMAGING_RETRACT]: aiRetractHandler({ ctx, terminology, onFindings }),
    ...(outbound ? { [HL7_ORU_OUT]: oruOutHandler({ ctx, outbound, logger }) } : {}),
    ...parts.handlers,
  };
  return {
    dataSource,
    repo,
    ctx,
    queue,
    models,
    handlers,
    close: async () => {
      await stopSweep?.();
      queue.close();
      await queue.idle();
      await dataSource.destroy();
    },
  };
}
