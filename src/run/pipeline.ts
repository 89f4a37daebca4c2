/**
 * One pipeline for the CLI and the library: `run`, `sync`, `plan` and `backfill` on an open
 * session, with one options type. `pqlsync run|sync|plan|backfill` and `import { run } from
 * 'pqlsync'` both call these, so they send the same records and write the same run history
 * (docs/architecture.md, "One pipeline"). They return data and log through the session's
 * logger; the CLI prints the plans and results they return.
 */
import type { Destination } from '../../connectors/destination.ts';
import { openDestination } from '../../connectors/registry.ts';
import { findSync } from '../config/load-project.ts';
import type { SyncConfig } from '../config/schema.ts';
import { DryRunRegistry } from '../state/dry-run-registry.ts';
import { EXIT } from '../cli/exit-codes.ts';
import { planHandoffActions, type HandoffActionsPlan } from '../handoff/handoff-actions.ts';
import type { AssociationResult } from './associations.ts';
import { backfillSyncOptions, discardBackfill, planBackfill, prepareBackfill, releaseBackfill, type BackfillRequest, type PreparedBackfill } from './backfill.ts';
import type { BuiltModel } from './build-models.ts';
import { resolveSelection } from './select-syncs.ts';
import type { Session } from './session.ts';
import { buildStep, planAssociationsStep, planBudgetStep, planStep, syncContext, syncStep, testStep, type SyncStepResult } from './steps.ts';
import type { BudgetPlan } from './budget-plan.ts';
import type { SyncOptions, SyncPlan } from './sync.ts';
import type { ModelTestResult } from './test-models.ts';

/** The one options type of the pipeline: the CLI's flags and the library's options, alike. */
export interface PipelineOptions extends Pick<SyncOptions, 'force' | 'signal' | 'pageSize' | 'checkpointEvery' | 'onProgress'> {
  /** Models to build and test, dbt-style: 'name', '+name', 'name+'; a sync's name stands for its model (default: all). */
  select?: string[];
  /** Syncs to run (default: all, or those of the selected models). */
  syncs?: string[];
  /** Plan instead of sending: nothing is sent, nothing a sync reads is written. */
  dryRun?: boolean;
  /** Rebuild incremental models from all history (`run` only). */
  fullRefresh?: boolean;
  /** A destination already open (the demo's sandbox, a test's); otherwise one from pqlsync.yml and the environment. */
  destination?: Destination;
  /** Called as each sync finishes, before the next starts (so a later failure does not hide it). */
  onSyncDone?: (result: SyncStepResult) => void;
  /** Lifetime of the sync locks, renewed while held (default 10 minutes). */
  lockTtlMs?: number;
}

/** What a dry run would do: the syncs' plans, their associations' plans, the handoff actions'. */
export interface PlanResult {
  plans: SyncPlan[];
  /** Per sync name: pairs to write, waiting and leaving. */
  associations: Map<string, AssociationResult[]>;
  /** The HubSpot requests the run would make, beside the portal's daily budget, and what it would defer. */
  budget: BudgetPlan;
  handoffActions: HandoffActionsPlan | null;
}

export interface DeliveryResult {
  /** Set on a dry run. */
  plan: PlanResult | null;
  /** One per sync run (none on a dry run). */
  syncs: SyncStepResult[];
  /** The CLI's exit code for this outcome: 0, 7 rows failed, 9 deferred, 130 interrupted. */
  exitCode: number;
}

export interface RunPipelineResult extends DeliveryResult {
  built: BuiltModel[];
  tests: ModelTestResult[];
}

/** Builds the selected models, runs their tests, then syncs (or plans, with `dryRun`). */
export async function run(session: Session, options: PipelineOptions = {}): Promise<RunPipelineResult> {
  const { modelSelectors, syncs } = await resolveSelection(session, options.select ?? [], options.syncs ?? []);
  const built = await buildStep(session, modelSelectors, { fullRefresh: options.fullRefresh });
  const tests = await testStep(session, modelSelectors);
  return { built, tests, ...(await deliver(session, syncs, options)) };
}

/** Syncs the built models of the selection (or plans, with `dryRun`): only the rows that changed. */
export async function sync(session: Session, options: PipelineOptions = {}): Promise<DeliveryResult> {
  const { syncs } = await resolveSelection(session, options.select ?? [], options.syncs ?? []);
  return deliver(session, syncs, options);
}

/** What a sync of the selection would send, without sending. */
export async function plan(session: Session, options: PipelineOptions = {}): Promise<PlanResult> {
  const { syncs } = await resolveSelection(session, options.select ?? [], options.syncs ?? []);
  await dropDeadDryRuns(session);
  return planSyncs(session, syncs, 'plan');
}

export interface BackfillOptions extends PipelineOptions, Omit<BackfillRequest, 'dryRun'> {
  /** The sync to backfill. */
  sync: string;
  /** Called with what the backfill would send, before anything is sent. */
  onPlan?: (prepared: PreparedBackfill, plan: SyncPlan) => void;
  /** Asked before sending (the CLI asks on a terminal); unset: send. Answering false sends nothing. */
  confirm?: (plan: SyncPlan) => Promise<boolean>;
}

export interface BackfillResult {
  prepared: PreparedBackfill;
  plan: SyncPlan;
  /** Unset when nothing was sent: a dry run, nothing to send, or not confirmed. */
  result?: SyncStepResult;
  confirmed: boolean;
  exitCode: number;
}

/**
 * Re-sends a sync's selected rows whatever state says, paced like a sync; an interrupted backfill
 * continues with `resume`. A dry run, or a selection nothing came of, leaves no selection behind.
 */
export async function backfill(session: Session, options: BackfillOptions): Promise<BackfillResult> {
  const sync = findSync(session.project, options.sync);
  const ctx = syncContext(session);
  await dropDeadDryRuns(session);
  // Until it is confirmed, a backfill is a dry run: its plan's tables (and a dry run's own selection) are its own.
  const { prepared, plan } = await asDryRun(session, options.dryRun ? 'backfill --dry-run' : 'backfill', [sync], async () => {
    const prepared = await prepareBackfill(ctx, sync, { selection: options.selection, resume: options.resume, restart: options.restart, dryRun: options.dryRun });
    const plan = await planBackfill(ctx, sync, prepared).catch(async (error: unknown) => {
      if (prepared.scratch) await releaseBackfill(ctx, sync, prepared);
      throw error;
    });
    // A dry run's own selection was only to be looked at: dropped before it stops being registered.
    if (options.dryRun) await releaseBackfill(ctx, sync, prepared);
    return { prepared, plan };
  });
  // A selection made only to be looked at (or refused) is not left behind to block the next one.
  const release = () => releaseBackfill(ctx, sync, prepared);
  options.onPlan?.(prepared, plan);
  if (plan.toSend === 0) {
    if (!options.dryRun) await discardBackfill(ctx, sync);
    session.log.info('Nothing to send.', { event: 'backfill_done', sync: sync.name, sent: 0 });
    return { prepared, plan, confirmed: false, exitCode: EXIT.ok };
  }
  if (options.dryRun) return { prepared, plan, confirmed: false, exitCode: EXIT.ok };
  let confirmed: boolean;
  try {
    confirmed = options.confirm ? await options.confirm(plan) : true;
  } catch (error) {
    await release();
    throw error;
  }
  if (!confirmed) {
    await release();
    session.log.info('Not confirmed: nothing sent.', { event: 'backfill_cancelled', sync: sync.name });
    return { prepared, plan, confirmed, exitCode: EXIT.ok };
  }
  const destination = options.destination ?? (await destinationOf(session));
  const [result] = await syncStep(session, destination, [sync], options, backfillSyncOptions(prepared));
  if (result.stopped) {
    session.log.info(`Backfill of ${sync.name} stopped; continue it with: pqlsync backfill ${sync.name} --resume`, { event: 'backfill_stopped', sync: sync.name });
  } else {
    await discardBackfill(ctx, sync);
  }
  if (result.failed > 0) {
    session.log.warn(`${result.failed} rows were rejected; they are in row errors (pqlsync status) and are retried next sync`, { event: 'rows_failed', failed: result.failed });
    return { prepared, plan, result, confirmed, exitCode: EXIT.rowsFailed };
  }
  return { prepared, plan, result, confirmed, exitCode: EXIT.ok };
}

async function planSyncs(session: Session, syncs: SyncConfig[], command: string): Promise<PlanResult> {
  return asDryRun(session, command, syncs, async () => {
    const plans = await planStep(session, syncs);
    const associations = await planAssociationsStep(session, syncs);
    const budget = await planBudgetStep(session, plans, associations);
    return { plans, associations, budget, handoffActions: await planHandoffActions(session) };
  });
}

/**
 * Runs a dry run's body registered in the state (src/state/dry-run-registry.ts) before it creates any
 * table, and unregistered once the body has dropped them: a dry run is not in run history, so a
 * kill would otherwise leave its tables forever.
 */
async function asDryRun<T>(session: Session, command: string, syncs: readonly SyncConfig[], body: () => Promise<T>): Promise<T> {
  const dryRuns = new DryRunRegistry(session.warehouse, session.project.config.state_schema);
  await dryRuns.register({ runId: session.runId, command, syncs: syncs.map((s) => s.name) });
  try {
    return await body();
  } finally {
    // Left registered, the entry is found dead once this process is gone, and its (dropped) tables dropped again.
    await dryRuns.unregister(session.runId).catch(() => undefined);
  }
}

/**
 * Drops what killed dry runs left (src/state/dry-run-registry.ts), at the start of every run, sync, plan
 * and backfill. A failure here is logged, not thrown: leftovers of a dead plan must not stop a sync.
 */
async function dropDeadDryRuns(session: Session): Promise<void> {
  try {
    const dead = await new DryRunRegistry(session.warehouse, session.project.config.state_schema).dropDead(session.project.config.syncs);
    for (const run of dead) {
      session.log.info(`  ${run.command} ${run.runId} (host ${run.host}, pid ${run.pid}) ended without finishing (killed?); its work tables are dropped`, {
        event: 'dead_dry_run_cleaned',
        run_id: run.runId,
        command: run.command,
        syncs: run.syncs,
      });
    }
  } catch (error) {
    session.log.warn(`  could not drop what killed plans left: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`, { event: 'dead_dry_run_cleanup_failed' });
  }
}

function destinationOf(session: Session): Promise<Destination> {
  return openDestination(session.project.config.destination, { env: session.env, log: (e) => session.log.log(e) });
}

/** Plans (dry run) or syncs, and says what the outcome means for a scheduler. */
async function deliver(session: Session, syncs: SyncConfig[], options: PipelineOptions): Promise<DeliveryResult> {
  await dropDeadDryRuns(session);
  if (options.dryRun) return { plan: await planSyncs(session, syncs, 'dry run'), syncs: [], exitCode: EXIT.ok };
  const destination = options.destination ?? (await destinationOf(session));
  const results = await syncStep(session, destination, syncs, options);
  session.log.progressDone();
  if (results.some((r) => r.stopped)) {
    const unsent = results.reduce((n, r) => n + Math.max(0, r.plan.toSend - r.sent), 0);
    session.log.warn(`interrupted: ${unsent} rows not sent yet; what HubSpot acknowledged is in state, and the next run sends the rest`, {
      event: 'interrupted',
      unsent,
    });
    return { plan: null, syncs: results, exitCode: EXIT.interrupted };
  }
  const deferred = results.reduce((n, r) => n + (r.deferred ?? 0), 0);
  if (deferred > 0) {
    session.log.warn(
      `deferred: ${deferred} changes wait for the next run; the portal's daily budget, less the ${Math.round(session.project.config.destination.daily_reserve * 100)}% reserve for its other apps, covered only the most important ones (new PQLs and tier changes first, then score moves, then counters)`,
      { event: 'deferred', deferred },
    );
    return { plan: null, syncs: results, exitCode: EXIT.deferred };
  }
  const failed = results.reduce((sum, r) => sum + r.failed + (r.associations ?? []).reduce((n, a) => n + a.failed, 0), 0);
  if (failed > 0) {
    session.log.warn(`${failed} rows were rejected; they are in row errors (pqlsync status) and are retried next run`, { event: 'rows_failed', failed });
    return { plan: null, syncs: results, exitCode: EXIT.rowsFailed };
  }
  return { plan: null, syncs: results, exitCode: EXIT.ok };
}
