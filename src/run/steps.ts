import type { Destination } from '../../connectors/destination.ts';
import type { SyncConfig } from '../config/schema.ts';
import { ConfigError, LockHeldError, PqlsyncError } from '../../contracts/errors.ts';
import { loadModels, type Model } from '../project/load-models.ts';
import { orderModels, selectModels } from '../project/graph.ts';
import type { CompileContext } from '../compile/compile-model.ts';
import { buildModels, type BuiltModel } from './build-models.ts';
import { assertModelTestsPass, describeFailure, testModels, type ModelTestResult } from './test-models.ts';
import { waitForLock, type Session } from './session.ts';
import { planAssociations, syncAssociations, type AssociationResult } from './associations.ts';
import { orderSyncs } from './sync-order.ts';
import { ModelWatermarks } from '../state/model-watermarks.ts';
import { BUILD_LOCK_PREFIX } from '../state/state-store.ts';
import { ensureHandoffViews } from '../handoff/handoff-step.ts';
import { PortalBudgetStore } from '../state/portal-budget.ts';
import { planBudget, type BudgetPlan } from './budget-plan.ts';
import { destinations } from '../../connectors/registry.ts';
import { DELIVERY_STEPS, type DeliveryStep } from './delivery-steps.ts';
import type { PipelineOptions } from './pipeline.ts';
import { planSync, runSync, type SyncContext, type SyncOptions, type SyncPlan, type SyncResult } from './sync.ts';

/** The stages of a run, each a library call the CLI wraps: load → build → test → plan → sync. */

export function compileContext(session: Session): CompileContext {
  return {
    dialect: session.warehouse.dialect,
    modelsSchema: session.project.config.schema,
    sources: session.project.sources,
    asOf: session.asOf,
  };
}

/** Loads every model, orders them, and keeps the selected ones (all when no selector). */
export async function loadSelectedModels(session: Session, select: string[] = []): Promise<Model[]> {
  const { project } = session;
  const models = await loadModels(project.modelsDir, { dialect: session.warehouse.dialect.name, projectRoot: project.root });
  const ordered = orderModels(models, Object.keys(project.sources));
  return select.length > 0 ? selectModels(ordered, select) : ordered;
}

/**
 * Builds the selected models. `fullRefresh` rebuilds incremental models from all history;
 * their watermarks live in the state schema.
 */
export async function buildStep(session: Session, select: string[] = [], options: { fullRefresh?: boolean } = {}): Promise<BuiltModel[]> {
  const started = Date.now();
  const lock = await holdLock(session, `${BUILD_LOCK_PREFIX}${session.project.config.schema}`, 10 * 60_000);
  let built: BuiltModel[];
  try {
    built = await buildUnderLock(session, select, options);
    lock.check();
  } finally {
    await lock.release();
  }
  const rows = built.reduce((sum, b) => sum + Math.max(b.rows, 0), 0);
  const ms = Date.now() - started;
  session.log.info(`Built ${built.length} models (${rows} rows in tables) in ${ms} ms`, { event: 'build_done', models: built.length, rows, ms });
  return built;
}

async function buildUnderLock(session: Session, select: string[], options: { fullRefresh?: boolean }): Promise<BuiltModel[]> {
  const allModels = await loadSelectedModels(session);
  const models = select.length > 0 ? selectModels(allModels, select) : allModels;
  const watermarks = new ModelWatermarks(session.warehouse, session.project.config.state_schema, session.project.config.schema);
  const built = await buildModels(session.warehouse, models, compileContext(session), (e) => {
    if (e.done) {
      const inc = e.done.incremental;
      const how = !inc ? '' : inc.mode === 'incremental' ? '  incremental' : `  full rebuild (${inc.reason})`;
      session.log.info(`  built ${e.done.name.padEnd(28)} ${(e.done.rows < 0 ? 'view' : `${e.done.rows} rows`).padStart(14)}  ${e.done.ms} ms${how}`, {
        event: 'model_built',
        model: e.done.name,
        rows: e.done.rows,
        ms: e.done.ms,
        ...(inc ? { incremental: inc.mode, reason: inc.reason } : {}),
      });
    } else {
      session.log.progress(`building ${e.model} (${e.index + 1}/${e.total})`);
    }
  }, { watermarks, fullRefresh: options.fullRefresh, allModels });
  // The views the handoff syncs read exist from the first build on (see ensureHandoffViews).
  await ensureHandoffViews(session);
  return built;
}

export async function testStep(session: Session, select: string[] = []): Promise<ModelTestResult[]> {
  const models = await loadSelectedModels(session, select);
  const results = await testModels(session.warehouse, models, compileContext(session));
  const failed = results.filter((r) => r.status === 'error');
  const warned = results.filter((r) => r.status === 'warn');
  const skipped = results.filter((r) => r.skipped);
  session.log.info(
    `  ${results.length - skipped.length} model tests, ${failed.length} failed${warned.length ? `, ${warned.length} with warnings` : ''}${skipped.length ? `, ${skipped.length} skipped` : ''}`,
    { event: 'models_tested', tests: results.length - skipped.length, failed: failed.length, warned: warned.length, skipped: skipped.length },
  );
  for (const w of warned) {
    session.log.warn(`  ${describeFailure(w)} (severity ${w.severity.severity}; the run goes on)`, {
      event: 'model_test_warning',
      model: w.model,
      file: w.file,
      test: w.test,
      failures: w.failures,
      sample: w.sample,
    });
  }
  for (const s of skipped) session.log.warn(`  skipped ${s.model}: ${s.test}: ${s.skipped}`, { event: 'model_test_skipped', model: s.model, test: s.test, reason: s.skipped });
  assertModelTestsPass(results);
  return results;
}

export function selectSyncs(session: Session, names: string[] = []): SyncConfig[] {
  const syncs = session.project.config.syncs;
  if (names.length === 0) return syncs;
  return names.map((name) => {
    const sync = syncs.find((s) => s.name === name);
    if (!sync) throw new ConfigError(`No sync named '${name}' (syncs: ${syncs.map((s) => s.name).join(', ')})`);
    return sync;
  });
}

/** What the sync stages need of a session: its warehouse, state store, schemas and run id. */
export function syncContext(session: Session): SyncContext {
  return {
    warehouse: session.warehouse,
    state: session.state,
    schemas: { models: session.project.config.schema, state: session.project.config.state_schema },
    runId: session.runId,
    syncs: session.project.config.syncs,
  };
}

/** The association step's plan per sync name: pairs to write, waiting and leaving. Sends nothing. */
export async function planAssociationsStep(session: Session, syncs: SyncConfig[]): Promise<Map<string, AssociationResult[]>> {
  const out = new Map<string, AssociationResult[]>();
  for (const sync of syncs) out.set(sync.name, await planAssociations(syncContext(session), sync));
  return out;
}

/**
 * The run's request estimate beside the portal's daily budget as the last run saw it, and what the
 * budget would defer. Sends nothing (the estimate is the destination's pure function).
 */
export async function planBudgetStep(session: Session, plans: SyncPlan[], associations: Map<string, AssociationResult[]>): Promise<BudgetPlan> {
  const config = session.project.config;
  const entry = await destinations[config.destination.type]();
  return planBudget({
    plans,
    syncs: config.syncs,
    associations,
    estimate: (sync, work) => entry.estimateRequests(sync, work),
    budget: await new PortalBudgetStore(session.warehouse, config.state_schema).read(),
    reserve: config.destination.daily_reserve,
  });
}

export async function planStep(session: Session, syncs: SyncConfig[]): Promise<SyncPlan[]> {
  const plans: SyncPlan[] = [];
  for (const sync of syncs) plans.push(await planSync(syncContext(session), sync));
  return plans;
}

/** What a backfill adds to a sync step: the prepared selection to send, unguarded (src/run/backfill.ts). */
export type BackfillSend = Pick<SyncOptions, 'backfill' | 'force'>;

export interface SyncStepResult extends SyncResult {
  requests: number;
  ms: number;
  /** The sync's associations, written after its records (none when it declares none). */
  associations: AssociationResult[];
}

/**
 * Syncs each sync under its lock, recording the run in run history whatever
 * happens. Throws the first whole-run error after recording it.
 */
export async function syncStep(
  session: Session,
  destination: Destination,
  syncs: SyncConfig[],
  options: PipelineOptions = {},
  backfill?: BackfillSend,
): Promise<SyncStepResult[]> {
  const results: SyncStepResult[] = [];
  const ttl = options.lockTtlMs ?? 10 * 60_000;
  const command = backfill ? 'backfill' : 'sync';
  const stepsRun: DeliveryStep[] = [];
  // State belongs to one portal: read which one the token reaches before anything is read or sent
  // (a bad token fails here too, even when nothing changed).
  try {
    session.accountId = await destination.accountId();
    if ((await session.state.claimAccount(session.accountId, session.runId)) === 'bound') {
      session.log.info(`  state in '${session.state.schema}' is now bound to HubSpot portal ${session.accountId}`, { event: 'state_bound', account_id: session.accountId });
    }
  } catch (error) {
    // Refused here (another portal, a bad token), the run still made this request.
    session.requests = destination.stats.requests;
    throw error;
  }
  // The daily budget cap: the reserve left for the portal's other apps, and the destination's request estimate.
  const dailyBudget = { reserve: session.project.config.destination.daily_reserve, estimate: (await destinations[session.project.config.destination.type]()).estimateRequests };
  try {
    // A sync runs after the syncs whose record ids its associations need.
    for (const sync of orderSyncs(syncs)) {
      // A declared step (the handoff: episodes, owner routing) prepares what its syncs read, once,
      // right before the first of them: the syncs that do not read it are not held up by it.
      for (const step of DELIVERY_STEPS) {
        if (stepsRun.includes(step) || !step.produces(session).includes(sync.model)) continue;
        stepsRun.push(step);
        await step.before(session, destination, ttl);
      }
      const started = new Date();
      const requestsBefore = destination.stats.requests;
      const lock = await holdLock(session, sync.name, ttl);
      for (const runId of await session.state.beginSync(sync, { runId: session.runId, command, startedAt: started })) {
        session.log.warn(`  ${sync.name}: run ${runId} ended without finishing (killed?); its leftovers are cleaned up, and what it did not commit is sent again now`, {
          event: 'dead_run_cleaned',
          sync: sync.name,
          run_id: runId,
        });
      }
      try {
        const result = await runSync(syncContext(session), destination, sync, {
          ...options,
          ...backfill,
          runId: session.runId,
          // A lost lock stops the sending between pages, like a stop request; check() then says why.
          signal: options.signal ? AbortSignal.any([options.signal, lock.lost]) : lock.lost,
          historyRetentionDays: session.project.config.history.retention_days,
          dailyBudget,
        });
        lock.check();
        const associations = result.stopped
          ? []
          : await syncAssociations({ ...syncContext(session), pageSize: options.pageSize }, destination, sync);
        const associationsFailed = associations.reduce((n, a) => n + a.failed, 0);
        const requests = destination.stats.requests - requestsBefore;
        const d = result.plan.diff;
        await session.state.finishRun({
          runId: session.runId,
          command,
          syncName: sync.name,
          startedAt: started,
          status: result.stopped ? 'stopped' : result.failed + associationsFailed + result.deferred > 0 ? 'partial' : 'success',
          counts: { rows: d.rows, new: d.new, changed: d.changed + d.retrying, unchanged: d.unchanged, removed: d.removed, sent: result.sent, failed: result.failed },
          requests,
        });
        const done = { ...result, requests, ms: Date.now() - started.getTime(), associations };
        results.push(done);
        options.onSyncDone?.(done);
        if (result.stopped) break;
      } catch (error) {
        await session.state
          .finishRun({
            runId: session.runId,
            command,
            syncName: sync.name,
            startedAt: started,
            status: 'failed',
            requests: destination.stats.requests - requestsBefore,
            message: error instanceof PqlsyncError ? `${error.name}: ${error.message}` : String(error),
          })
          .catch(() => undefined);
        throw error;
      } finally {
        await lock.release();
      }
    }
    // What follows a step (the handoff's sequence enrolments and Slack messages), once its syncs have written.
    if (!results.some((r) => r.stopped)) for (const step of stepsRun) await step.after?.(session, destination, ttl);
  } finally {
    session.requests = destination.stats.requests;
    // What the portal's answers said is left of its daily limit, for the next `plan` (once a run).
    const budget = destination.dailyBudget?.();
    if (budget) await new PortalBudgetStore(session.warehouse, session.project.config.state_schema).record(budget, new Date()).catch(() => undefined);
  }
  return results;
}

/** A lock held in the warehouse and renewed while held (see holdLock). */
export interface HeldLock {
  /** Aborted when a renewal failed: another run may take the lock once it expires, so stop at the next page. */
  readonly lost: AbortSignal;
  /** Throws a LockHeldError saying why, when a renewal failed. */
  check(): void;
  release(): Promise<void>;
}

/**
 * Takes a lock kept in the warehouse (queueing up to --wait for it) and renews it while held.
 * A renewal that fails is not retried: the lock may expire before the next one, and another run
 * could then send the same rows, so `lost` is aborted (the sync stops after its current page and
 * checkpoint) and `check` throws a LockHeldError naming the failure.
 */
export async function holdLock(session: Session, name: string, ttlMs: number): Promise<HeldLock> {
  await waitForLock(session.lockWaitMs, session.log, () => session.state.acquireLock(name, session.runId, ttlMs));
  const lost = new AbortController();
  let failure: Error | null = null;
  const heartbeat = setInterval(() => {
    session.state.renewLock(name, session.runId, ttlMs).catch((error: unknown) => {
      if (failure) return;
      clearInterval(heartbeat);
      const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
      failure = new LockHeldError(
        `The lock of '${name}' could not be renewed (${why}): the run stopped after its last checkpoint, so that no other run sends the same rows once the lock expires. Run again.`,
        { cause: error },
      );
      session.log.warn(`  ${failure.message}`, { event: 'lock_lost', lock: name });
      lost.abort(failure);
    });
  }, Math.max(1000, ttlMs / 3));
  heartbeat.unref();
  return {
    lost: lost.signal,
    check: () => {
      if (failure) throw failure;
    },
    release: async () => {
      clearInterval(heartbeat);
      await session.state.releaseLock(name, session.runId).catch(() => undefined);
    },
  };
}
