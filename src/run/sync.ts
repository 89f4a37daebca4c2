/**
 * One sync, as guardrails plus "page → send → checkpoint": the change set (src/state/record-store.ts)
 * diffs the model against state in the warehouse and answers the pages to send; what HubSpot
 * answers goes back to it in checkpoints, which alone move state.
 */
import { outcomesBeforeFailure, type Change, type Destination, type Outcome, type RequestEstimate, type SendWorkload, type SyncWriter } from '../../connectors/destination.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../config/schema.ts';
import { GuardrailError } from '../../contracts/errors.ts';
import type { PreparedBackfill } from '../state/backfill-store.ts';
import { CreateIntents } from '../state/create-intents.ts';
import { RecordStore, type ChangeSet, type DiffSummary, type PlanSampleRow, type PriorityCounts, type PropertyChange } from '../state/record-store.ts';
import type { StateStore } from '../state/state-store.ts';
import { createJournal, type CreateJournal } from './create-journal.ts';
import { checkGuardrails, type GuardrailVerdict } from './guardrails.ts';

export type { PlanSampleRow, PriorityCounts } from '../state/record-store.ts';

export interface SyncPlan {
  sync: string;
  object: SyncConfig['object'];
  diff: DiffSummary;
  /** Records a sync would send: new + changed + retrying (+ removed when cleared). */
  toSend: number;
  /** What happens in HubSpot to the removed keys: kept as they are, or their properties emptied. */
  onRemoved: SyncConfig['on_removed'];
  guardrails: GuardrailVerdict;
  /** The properties the changed rows change, most first (from the delivered snapshot). */
  changedProperties: PropertyChange[];
  /** Changed rows delivered under another mapping, with what changed in words ("property renamed a → b"). */
  mappingChanges: Array<{ reason: string; rows: number }>;
  /**
   * A few rows that would be sent, with their values and, for a key delivered before,
   * the values HubSpot was last sent (as text; null when no snapshot exists for the key).
   */
  sample: PlanSampleRow[];
  /** A few keys that left the model (cleared in HubSpot when onRemoved is 'clear'). */
  removedSample: string[];
  /**
   * insert_once syncs: creates journaled and never confirmed (a kill, an answer that never came),
   * each looked for in HubSpot before it is created again (docs/hubspot.md, "Tasks and unique values").
   */
  unconfirmedCreates?: number;
  /** The records to send by how they are written (for the request estimate; associations are planned apart). */
  workload: Omit<SendWorkload, 'associations'>;
  /** The changes by priority class under a tight daily budget (docs/hubspot.md, "Daily budget"). */
  priority: PriorityCounts;
  /** Wall time of the plan: the diff in the warehouse, the guardrails' shares and the sample, ms. */
  ms?: number;
}

export interface SyncContext {
  warehouse: Warehouse;
  state: StateStore;
  schemas: { models: string; state: string };
  /** The run's id: the tables this run diffs into carry it, so no other run can touch them. */
  runId: string;
  /** Every sync of the project: associations and journaled creates name the syncs of their other records. */
  syncs: readonly SyncConfig[];
}

export interface PlanOptions {
  sampleSize?: number;
  /** A backfill's plan: its selection's unsent keys, whatever state says. */
  backfill?: PreparedBackfill;
}

function recordStore(ctx: SyncContext): RecordStore {
  return new RecordStore(ctx.warehouse, ctx.state, ctx.schemas);
}

/**
 * Diffs a sync inside the warehouse and says what a sync would send. Sends nothing, and
 * changes nothing another run reads: it diffs into tables named after its own run id, drops
 * them when done, and only reads sync state and the delivered snapshot.
 */
export async function planSync(ctx: SyncContext, sync: SyncConfig, options: PlanOptions = {}): Promise<SyncPlan> {
  const started = Date.now();
  const changes = await recordStore(ctx).diff(sync, { runId: ctx.runId, backfill: options.backfill });
  try {
    return { ...(await describePlan(ctx, sync, changes, options.sampleSize ?? 5)), ms: Date.now() - started };
  } finally {
    await changes.drop();
  }
}

async function describePlan(ctx: SyncContext, sync: SyncConfig, changes: ChangeSet, sampleSize: number): Promise<SyncPlan> {
  const diff = changes.summary;
  // What the change set holds first, then the guardrails' verdict on it.
  const tiers = await changes.tierShares();
  const sample = await changes.sample(sampleSize);
  const changedProperties = await changes.changedProperties();
  const mappingChanges = await changes.mappingChanges();
  const workload = await changes.workload();
  const priority = await changes.priorities();
  return {
    sync: sync.name,
    object: sync.object,
    diff,
    toSend: changes.toSend,
    onRemoved: sync.on_removed,
    guardrails: checkGuardrails(sync, diff, tiers.state, tiers.model),
    changedProperties,
    mappingChanges,
    sample: sample.rows,
    removedSample: sample.removed,
    workload,
    priority,
    ...(sync.mode === 'insert_once' ? { unconfirmedCreates: await new CreateIntents(ctx.warehouse, ctx.schemas.state).pending(sync.name) } : {}),
  };
}

export interface SyncProgress {
  sync: string;
  sent: number;
  total: number;
  failed: number;
}

export interface SyncOptions {
  runId: string;
  /** Send even when the guardrails trip. */
  force?: boolean;
  /** Rows read from the changes table per page (each page is sent, then buffered for the checkpoint). */
  pageSize?: number;
  /** Outcomes buffered before a checkpoint commits them to state. */
  checkpointEvery?: number;
  /** Stops between pages (graceful shutdown): the current page finishes and is checkpointed. */
  signal?: AbortSignal;
  onProgress?: (progress: SyncProgress) => void;
  /** A backfill: send its selection's unsent keys whatever state says, marking them sent at each checkpoint. */
  backfill?: PreparedBackfill;
  /** Days the values this run replaces are kept for `pqlsync rollback` (0: none kept); default 7. */
  historyRetentionDays?: number;
  /**
   * The portal's daily budget check: the share of its daily limit to leave for its other apps
   * (destination.daily_reserve) and the destination's request estimate; unset: no budget check.
   */
  dailyBudget?: { reserve: number; estimate(sync: SyncConfig, work: SendWorkload): RequestEstimate };
}

export interface SyncResult {
  plan: SyncPlan;
  sent: number;
  delivered: number;
  failed: number;
  /** True when a stop was requested before every change was sent. */
  stopped: boolean;
  /** Changes left for the next run because the portal's daily budget (less the reserve) did not cover them. */
  deferred: number;
}

/**
 * Plans, then sends only the changed rows, page by page, and commits state in
 * checkpoints for the records HubSpot acknowledged. If the destination throws
 * (auth, daily limit), what was acknowledged before is committed first.
 */
export async function runSync(ctx: SyncContext, destination: Destination, sync: SyncConfig, options: SyncOptions): Promise<SyncResult> {
  const started = Date.now();
  const changes = await recordStore(ctx).diff(sync, {
    runId: options.runId,
    backfill: options.backfill,
    send: { historyRetentionDays: options.historyRetentionDays ?? 7 },
  });
  try {
    const plan: SyncPlan = { ...(await describePlan(ctx, sync, changes, 5)), ms: Date.now() - started };
    stopAtGuardrails(sync, plan, options.force === true);
    // Properties are checked only when something is to be sent: a run with no change makes no property request.
    const writer = destination.writer(sync);
    const journal = createJournal(ctx, writer, sync);
    if (plan.toSend > 0) await writer.ensureProperties();
    const cap = plan.toSend > 0 ? budgetCap(destination, sync, plan, options.dailyBudget) : null;
    const result = await sendChanges(writer, sync, changes, plan, options, cap, journal);
    await journal.settle();
    if (!result.stopped) {
      await changes.forgetStaleErrors();
      if (sync.on_removed === 'keep') await changes.forgetRemoved();
    }
    return result;
  } finally {
    await changes.drop().catch(() => undefined);
  }
}

/** Throws a GuardrailError (nothing sent) when the plan trips a guardrail and the run is not forced. */
function stopAtGuardrails(sync: SyncConfig, plan: SyncPlan, force: boolean): void {
  if (plan.guardrails.violations.length === 0 || force) return;
  throw new GuardrailError(
    `Sync '${sync.name}' stopped before sending: ${plan.guardrails.violations.join('; ')}. ` + `If the model change is intended, run again with --force.`,
  );
}

/**
 * Sends the change set page by page (under a budget cap, the most important changes up to it;
 * the rest counted as deferred) and commits what HubSpot answered in checkpoints. A requested
 * stop lands between pages; the first failed checkpoint stops the sending.
 */
async function sendChanges(
  writer: SyncWriter,
  sync: SyncConfig,
  changes: ChangeSet,
  plan: SyncPlan,
  options: SyncOptions,
  cap: number | null,
  journal: CreateJournal,
): Promise<SyncResult> {
  const result: SyncResult = { plan, sent: 0, delivered: 0, failed: 0, stopped: false, deferred: 0 };
  const checkpoints = new CheckpointQueue(changes, options.checkpointEvery ?? 2000);
  // No order unless the budget forces a choice: the order of sending does not matter otherwise.
  const prioritised = cap !== null;
  try {
    for await (const page of changes.pages(options.pageSize ?? 1000, { prioritised })) {
      checkpoints.throwIfFailed();
      if (options.signal?.aborted) {
        result.stopped = true;
        break;
      }
      const room = cap === null ? page.length : Math.max(0, cap - result.sent);
      if (room > 0) {
        const outcomes = await sendPage(writer, await journal.beforeSend(page.slice(0, room)), checkpoints);
        tally(result, Math.min(room, page.length), outcomes);
        options.onProgress?.({ sync: sync.name, sent: result.sent, total: plan.toSend, failed: result.failed });
        await checkpoints.commitWhenDue();
      }
      result.deferred += page.length - Math.min(room, page.length);
    }
  } finally {
    await checkpoints.flush();
  }
  return result;
}

/** Sends one page and queues its outcomes; when the destination throws, what landed before is queued first. */
async function sendPage(
  writer: SyncWriter,
  page: Change[],
  checkpoints: CheckpointQueue,
): Promise<Outcome[]> {
  let outcomes: Outcome[];
  try {
    outcomes = await writer.send(page);
  } catch (error) {
    // What landed before a whole-run failure still goes into the last checkpoint.
    checkpoints.add(outcomesBeforeFailure(error));
    throw error;
  }
  checkpoints.add(outcomes);
  return outcomes;
}

function tally(result: SyncResult, sent: number, outcomes: Outcome[]): void {
  result.sent += sent;
  for (const outcome of outcomes) {
    if (outcome.ok) result.delivered += 1;
    else result.failed += 1;
  }
}

/**
 * Outcomes waiting for a checkpoint, and the checkpoints committing them: one after another,
 * in the background of the sends that follow (streams read on connections of their own, and
 * each checkpoint's transaction has its own). The first failure is kept and stops the sending.
 */
class CheckpointQueue {
  private waiting: Outcome[] = [];
  private running: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly changes: ChangeSet,
    private readonly every: number,
  ) {}

  add(outcomes: readonly Outcome[]): void {
    for (const outcome of outcomes) this.waiting.push(outcome);
  }

  /** Throws the first failed checkpoint's error. */
  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  /**
   * Starts a checkpoint when enough outcomes wait. One checkpoint at a time behind the sends:
   * when the next is due and the last still commits, sending waits for it. Queued checkpoints
   * would otherwise hold their outcomes in memory, and more of them the larger the state table
   * a checkpoint has to scan.
   */
  async commitWhenDue(): Promise<void> {
    if (this.waiting.length < this.every) return;
    await this.running.catch(() => undefined);
    void this.flush();
  }

  /** Queues a checkpoint of every waiting outcome; settles when all checkpoints so far have (rejects with the first failure). */
  flush(): Promise<void> {
    const outcomes = this.waiting;
    this.waiting = [];
    if (outcomes.length > 0) {
      this.running = this.running.then(() => this.changes.checkpoint(outcomes));
      this.running.catch((error: unknown) => {
        this.failure ??= { error };
      });
    }
    return this.running;
  }
}

/**
 * How many changes fit in the portal's daily budget less the reserve for its other apps (whole
 * batches of 100), or null when the run's estimated requests fit (docs/hubspot.md, "Daily budget").
 * The property checks have run by now: the budget the last answer reported is what is left for the
 * reads and writes of the records (associations follow them and are counted as the estimate says).
 */
function budgetCap(destination: Destination, sync: SyncConfig, plan: Pick<SyncPlan, 'toSend' | 'workload'>, check: SyncOptions['dailyBudget']): number | null {
  const budget = destination.dailyBudget?.();
  if (!budget || !check) return null;
  return capUnder(budget.remaining - Math.ceil(budget.limit * check.reserve), plan.toSend, check.estimate(sync, { ...plan.workload, associations: [] }));
}

/** The rows (whole batches of 100) of `toSend` that `allowance` requests cover, or null when all do. Pure. */
export function capUnder(allowance: number, toSend: number, estimate: RequestEstimate): number | null {
  const needed = estimate.total - estimate.setup;
  if (needed <= allowance) return null;
  const rows = Math.floor((Math.max(0, allowance) * toSend) / needed);
  return Math.floor(rows / 100) * 100;
}
