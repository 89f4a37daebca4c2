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
 * `run`, `sync` and `backfill` (not dry runs) are entries of the run log, end with a `run_summary`
 * event on `log`, and send the alerts pqlsync.yml's `alerts:` asks for, as the CLI's runs do.
 * Secrets come from `env` (default: process.env): HUBSPOT_ACCESS_TOKEN and the warehouse's own.
 */
import type { Project } from './config/load-project.ts';
import type { Session } from './run/session.ts';
import { inSession } from './run/run-session.ts';
import * as pipeline from './run/pipeline.ts';
import type { SyncStepResult } from './run/steps.ts';
import type { BuiltModel } from './run/build-models.ts';
import type { ModelTestResult } from './run/test-models.ts';
import type { SyncPlan } from './run/sync.ts';
import type { AssociationResult } from './run/associations.ts';
import { createLogger, secretsFrom, type Logger } from './util/logger.ts';
import { EXIT } from './cli/exit-codes.ts';

/** Where a call runs: the project, secrets, the models' "now", the logger, the lock wait. */
export interface SessionOptions {
  /** Path to pqlsync.yml (default: ./pqlsync.yml), or a project already loaded with `loadProject`. */
  config?: string | Project;
  /** The models' "now" (ISO timestamp); default: the current time. */
  asOf?: string;
  /** Where secrets and settings are read from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where progress goes (default: nothing is printed). `createLogger` makes one that prints. */
  log?: Logger;
  /** Seconds to wait for another run's lock (default 0: LockHeldError at once). */
  waitSeconds?: number;
  /** Build and read models in this schema instead of pqlsync.yml's `schema` (else PQLSYNC_MODELS_SCHEMA), as `--models-schema`. */
  modelsSchema?: string;
  /** Keep sync state in this schema instead of pqlsync.yml's `state_schema` (else PQLSYNC_STATE_SCHEMA), as `--state-schema`. */
  stateSchema?: string;
}

/**
 * The options of `run`, `sync`, `plan` and `backfill`: where to run, and the pipeline's own
 * (select, syncs, dryRun, force, fullRefresh, signal, …), the same ones the CLI's flags set.
 */
export interface RunOptions extends SessionOptions, pipeline.PipelineOptions {}

export interface RunResult {
  runId: string;
  asOf: string;
  built: BuiltModel[];
  tests: ModelTestResult[];
  /** Set on a dry run. */
  plans: SyncPlan[];
  /** Set on a dry run: per sync name, the association pairs to write, waiting and leaving. */
  associationPlans: Map<string, AssociationResult[]>;
  /** One per sync run: counts (new, changed, unchanged, removed, sent, failed), requests, ms. */
  syncs: SyncStepResult[];
  /** The CLI's exit code for this outcome (0, 7 rows failed, 9 deferred, 130 interrupted). */
  exitCode: number;
}

/** Builds the models, runs their tests, then syncs (or plans, with `dryRun`): `pqlsync run` as a function. */
export async function run(options: RunOptions = {}): Promise<RunResult> {
  return withLibrarySession(options, options.dryRun ? undefined : 'run', async (session) => {
    const result = await pipeline.run(session, options);
    return {
      runId: session.runId,
      asOf: session.asOf,
      built: result.built,
      tests: result.tests,
      plans: result.plan?.plans ?? [],
      associationPlans: result.plan?.associations ?? new Map(),
      syncs: result.syncs,
      exitCode: result.exitCode,
    };
  });
}

/** Syncs already built models (`pqlsync sync`): only the rows that changed since the last run. */
export async function sync(options: Omit<RunOptions, 'dryRun' | 'fullRefresh'> = {}): Promise<SyncStepResult[]> {
  let exitCode: number = EXIT.ok;
  return withLibrarySession(options, 'sync', async (session) => {
    const result = await pipeline.sync(session, options);
    exitCode = result.exitCode;
    return result.syncs;
  }, () => exitCode);
}

/** What a sync would send, without sending (`pqlsync plan`); `run({ dryRun: true })` adds the association plans. */
export async function plan(options: Omit<RunOptions, 'dryRun' | 'fullRefresh' | 'force'> = {}): Promise<SyncPlan[]> {
  return withLibrarySession(options, undefined, async (session) => (await pipeline.plan(session, options)).plans, () => EXIT.ok);
}

/**
 * Re-sends a sync's rows whatever state says (`pqlsync backfill <sync>`): all (`selection: { kind: 'full' }`)
 * or a subset; `resume` continues an interrupted one. There is no confirmation unless `confirm` asks.
 */
export async function backfill(options: SessionOptions & pipeline.BackfillOptions): Promise<pipeline.BackfillResult> {
  return withLibrarySession(options, options.dryRun ? undefined : 'backfill', (session) => pipeline.backfill(session, options));
}

/**
 * Opens a session for `body` the way the CLI does (src/run/run-session.ts): with `record`, the call
 * is one entry of the run log, ends with a `run_summary` event and sends the alert a failure calls
 * for (pqlsync.yml `alerts:`), as the CLI's runs do (docs/delivery.md). An error is thrown on.
 */
async function withLibrarySession<T>(
  options: SessionOptions,
  record: string | undefined,
  body: (session: Session) => Promise<T>,
  exitCodeOf: (value: T) => number = (value) => (value as { exitCode: number }).exitCode,
): Promise<T> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger({ json: false, secrets: secretsFrom(env), out: nullStream, err: nullStream });
  const { value, error } = await inSession(
    { config: options.config, modelsSchema: options.modelsSchema, stateSchema: options.stateSchema, env, log, asOf: options.asOf, lockWaitMs: Math.max(0, options.waitSeconds ?? 0) * 1000, record },
    body,
    exitCodeOf,
  );
  if (error !== undefined) throw error;
  return value as T;
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
export type { PipelineOptions, BackfillOptions, BackfillResult } from './run/pipeline.ts';
export type { BackfillSelection } from './run/backfill.ts';
export type { BuiltModel } from './run/build-models.ts';
export type { ModelTestResult } from './run/test-models.ts';
export { startSandbox, type Sandbox } from '../connectors/hubspot/sandbox/index.ts';
