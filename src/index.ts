/**
 * pqlsync as a library: run a sync from your own code (an orchestrator task, a script, a test).
 *
 * ```ts
 * import { run } from 'pqlsync';
 * const result = await run({ config: 'pqlsync.yml' }); // build, test, then sync, as `pqlsync run` does
 * for (const s of result.syncs) console.log(s.plan.sync, s.sent, s.failed);
 * ```
 *
 * Errors are `PqlsyncError`s (ConfigError, ModelError, WarehouseError, DestinationError, AuthError,
 * LockHeldError, GuardrailError); `exitCodeFor(error)` maps one to the CLI's exit code. Rows HubSpot
 * rejected are not an error: they are counted in each sync's `failed` and retried next run.
 * Secrets come from `env` (default: process.env): HUBSPOT_ACCESS_TOKEN and the warehouse's own.
 */
import { loadProject, projectFor, type Project } from './config/load-project.ts';
import type { SyncConfig } from './config/schema.ts';
import { resolveSelection } from './run/select-syncs.ts';
import { closeSession, openSession, type Session } from './run/session.ts';
import { buildStep, planStep, syncStep, testStep, type SyncStepResult } from './run/steps.ts';
import type { BuiltModel } from './run/build-models.ts';
import type { ModelTestResult } from './run/test-models.ts';
import type { SyncPlan } from './run/sync.ts';
import { createLogger, secretsFrom, type Logger } from './util/logger.ts';
import { openDestination } from '../connectors/registry.ts';
import { loggedRun, statusOf } from './run/run-log.ts';
import { EXIT } from './cli/exit-codes.ts';

export interface RunOptions {
  /** Path to pqlsync.yml (default: ./pqlsync.yml), or a project already loaded with `loadProject`. */
  config?: string | Project;
  /** Models to build and test, dbt-style: 'name', '+name', 'name+' (default: all). */
  select?: string[];
  /** Syncs to run (default: all, or those of the selected models). */
  syncs?: string[];
  /** Build and test, then plan: send nothing (`result.plans` says what would be sent). */
  dryRun?: boolean;
  /** Send even when the guardrails trip. */
  force?: boolean;
  /** The models' "now" (ISO timestamp); default: the current time. */
  asOf?: string;
  /** Where secrets and settings are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Aborting finishes the batch under way, checkpoints and stops. */
  signal?: AbortSignal;
  /** Where progress goes (default: nothing is printed). `createLogger` makes one that prints. */
  log?: Logger;
  /** Seconds to wait for another run's lock (default 0: LockHeldError at once). */
  waitSeconds?: number;
  /** Build and read models in this schema instead of pqlsync.yml's `schema` (else PQLSYNC_MODELS_SCHEMA), as `--models-schema`. */
  modelsSchema?: string;
  /** Keep sync state in this schema instead of pqlsync.yml's `state_schema` (else PQLSYNC_STATE_SCHEMA), as `--state-schema`. */
  stateSchema?: string;
}

export interface RunResult {
  runId: string;
  asOf: string;
  built: BuiltModel[];
  tests: ModelTestResult[];
  /** Set on a dry run. */
  plans: SyncPlan[];
  /** One per sync run: counts (new, changed, unchanged, removed, sent, failed), requests, ms. */
  syncs: SyncStepResult[];
}

/** Builds the models, runs their tests, then syncs (or plans, with `dryRun`): `pqlsync run` as a function. */
export async function run(options: RunOptions = {}): Promise<RunResult> {
  return withLibrarySession(options, options.dryRun ? undefined : 'run', async (session) => {
    const { modelSelectors, syncs } = await resolveSelection(session, options.select ?? [], options.syncs ?? []);
    const built = await buildStep(session, modelSelectors);
    const tests = await testStep(session, modelSelectors);
    if (options.dryRun) return { runId: session.runId, asOf: session.asOf, built, tests, plans: await planStep(session, syncs), syncs: [] };
    const results = await sendSyncs(session, syncs, options);
    return { runId: session.runId, asOf: session.asOf, built, tests, plans: [], syncs: results };
  });
}

/** Syncs already built models (`pqlsync sync`): only the rows that changed since the last run. */
export async function sync(options: Omit<RunOptions, 'select' | 'dryRun'> = {}): Promise<SyncStepResult[]> {
  return withLibrarySession(options, 'sync', async (session) => {
    const { syncs } = await resolveSelection(session, [], options.syncs ?? []);
    return sendSyncs(session, syncs, options);
  });
}

/** What a sync would send, without sending (`pqlsync plan`). */
export async function plan(options: Pick<RunOptions, 'config' | 'syncs' | 'asOf' | 'env' | 'log' | 'modelsSchema' | 'stateSchema'> = {}): Promise<SyncPlan[]> {
  return withLibrarySession(options, undefined, async (session) => {
    const { syncs } = await resolveSelection(session, [], options.syncs ?? []);
    return planStep(session, syncs);
  });
}

async function sendSyncs(session: Session, syncs: SyncConfig[], options: RunOptions): Promise<SyncStepResult[]> {
  const destination = await openDestination(session.project.config.destination, { env: session.env, log: (e) => session.log.log(e) });
  return syncStep(session, destination, syncs, { force: options.force, signal: options.signal });
}

/** Opens a session for `body`; with `record`, the call is one entry of the run log, as the CLI's runs are (docs/delivery.md). */
async function withLibrarySession<T>(options: RunOptions, record: string | undefined, body: (session: Session) => Promise<T>): Promise<T> {
  const env = options.env ?? process.env;
  const loaded = typeof options.config === 'object' ? options.config : await loadProject(options.config);
  const project = projectFor(loaded, { modelsSchema: options.modelsSchema, stateSchema: options.stateSchema }, env);
  const log = options.log ?? createLogger({ json: false, secrets: secretsFrom(env), out: nullStream, err: nullStream });
  const session = await openSession(project, { log, env, asOf: options.asOf, lockWaitMs: Math.max(0, options.waitSeconds ?? 0) * 1000 });
  try {
    if (!record) return await body(session);
    const { value, error } = await loggedRun(session, record, () => body(session), (result) => ({ exitCode: exitCodeOfResult(result), status: statusOf(exitCodeOfResult(result)) }));
    if (error !== undefined) throw error;
    return value as T;
  } finally {
    await closeSession(session);
  }
}

/** A library result's exit code as the CLI would give it: interrupted 130, rows that failed 7, else 0. */
function exitCodeOfResult(result: unknown): number {
  const syncs = Array.isArray(result) ? result : ((result as { syncs?: unknown }).syncs as SyncStepResult[] | undefined) ?? [];
  if ((syncs as SyncStepResult[]).some((s) => s.stopped)) return EXIT.interrupted;
  return (syncs as SyncStepResult[]).some((s) => s.failed > 0) ? EXIT.rowsFailed : EXIT.ok;
}

const nullStream = { write: () => true } as unknown as NodeJS.WritableStream;

export { loadProject, type Project } from './config/load-project.ts';
export type { ProjectConfig, SyncConfig, WarehouseConfig, PropertyMapping } from './config/schema.ts';
export { createLogger, type Logger, type LogEvent } from './util/logger.ts';
export { EXIT, exitCodeFor } from './cli/exit-codes.ts';
export {
  PqlsyncError,
  ConfigError,
  ModelError,
  WarehouseError,
  DestinationError,
  AuthError,
  LockHeldError,
  GuardrailError,
} from '../contracts/errors.ts';
export type { SyncStepResult } from './run/steps.ts';
export type { SyncPlan } from './run/sync.ts';
export type { BuiltModel } from './run/build-models.ts';
export type { ModelTestResult } from './run/test-models.ts';
export { startSandbox, type Sandbox } from '../connectors/hubspot/sandbox/index.ts';
