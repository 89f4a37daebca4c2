import { outcomesBeforeFailure, type Change, type Destination, type Outcome, type RequestEstimate, type SendWorkload } from '../../connectors/destination.ts';
import type { Row, TableName, Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../config/schema.ts';
import { GuardrailError } from '../../contracts/errors.ts';
import type { DeliveryOutcome, StateStore } from '../state/state-store.ts';
import {
  changedProperties,
  deliveredTableMatches,
  diffSync,
  dropRunTables,
  ensureDeliveredTable,
  forgetDelivered,
  HASH,
  KEY,
  KIND,
  mappedColumns,
  RECORD_ID,
  recordDelivered,
  syncTables,
  TIER,
  type DiffOptions,
  type DiffSummary,
  type PropertyChange,
  type SyncTables,
} from './diff.ts';
import { describeMappingChange, mappingFingerprint } from '../state/mapping-fingerprint.ts';
import { checkGuardrails, type GuardrailVerdict } from './guardrails.ts';
import { RunHistoryValues } from '../state/run-history-values.ts';
import { CreateIntents } from '../state/create-intents.ts';
import { PRIORITY } from '../state/state-store.ts';
import { scoreMovedSql } from './significance.ts';

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
  /** Wall time of the plan: the diff in the warehouse, the guardrails' shares and the sample, ms. */
  ms?: number;
  /** The records to send by how they are written (for the request estimate; associations are planned apart). */
  workload: Omit<SendWorkload, 'associations'>;
  /** The changes by priority class under a tight daily budget (docs/hubspot.md, "Daily budget"). */
  priority: PriorityCounts;
}

export interface PlanSampleRow {
  key: string;
  kind: string;
  values: Record<string, unknown>;
  before: Record<string, string | null> | null;
  /** Columns whose value differs from the one last delivered (empty without a before). */
  changed: string[];
}

export interface SyncContext {
  warehouse: Warehouse;
  state: StateStore;
  schemas: { models: string; state: string };
  /** The run's id: the tables this run diffs into carry it, so no other run can touch them. */
  runId: string;
}

export interface PlanOptions {
  sampleSize?: number;
  /** A backfill's diff: ignore state, restrict to a selection. */
  diff?: DiffOptions;
  /** Keep the run's diff tables for the caller to send from (runSync); by default they are dropped. */
  keepTables?: boolean;
}

/**
 * Diffs a sync inside the warehouse and says what a sync would send. Sends nothing, and
 * changes nothing another run reads: it diffs into tables named after its own run id, drops
 * them when done, and only reads sync state and the delivered snapshot.
 */
export async function planSync(ctx: SyncContext, sync: SyncConfig, options: PlanOptions = {}): Promise<SyncPlan> {
  const tables = syncTables(sync, ctx.schemas, ctx.runId);
  const started = Date.now();
  try {
    return { ...(await describePlan(ctx, sync, tables, options)), ms: Date.now() - started };
  } finally {
    if (!options.keepTables) await dropRunTables(ctx.warehouse, tables);
  }
}

async function describeRemapped(ctx: SyncContext, sync: SyncConfig, diff: DiffSummary): Promise<SyncPlan['mappingChanges']> {
  if (diff.remapped.length === 0) return [];
  const known = await ctx.state.mappings(sync.name);
  const now = mappingFingerprint(sync).mapping;
  return diff.remapped.map((r) => ({ reason: describeMappingChange(known.get(r.fingerprint), now), rows: r.rows }));
}

async function describePlan(ctx: SyncContext, sync: SyncConfig, tables: SyncTables, options: PlanOptions): Promise<SyncPlan> {
  const sampleSize = Math.trunc(options.sampleSize ?? 5);
  const diff = await diffSync(ctx.warehouse, sync, tables, options.diff);
  // Before-values come from the snapshot only when it matches the mapping; a plan never rebuilds it.
  const snapshot = await deliveredTableMatches(ctx.warehouse, sync, tables);
  const stateTiers = await ctx.state.tierShares(sync.name);
  const modelTiers = sync.guardrails.tier_column ? await tierShares(ctx.warehouse, tables, sync.guardrails.tier_column) : null;
  const guardrails = checkGuardrails(sync, diff, stateTiers, modelTiers);
  const d = ctx.warehouse.dialect;
  const q = d.quote;
  const columns = mappedColumns(sync);
  const sampleRows = await ctx.warehouse.query(
    snapshot
      ? `select c.*, s.record_key as ${q(BEFORE_KEY)}, ${columns.map((c, i) => `s.${q(c)} as ${q(`${BEFORE}${i}`)}`).join(', ')},
       ${columns.map((c, i) => `case when s.${q(c)} is distinct from ${d.macros.to_string(`c.${q(c)}`)} then 1 else 0 end as ${q(`${DIFFERS}${i}`)}`).join(', ')}
     from ${d.table(tables.changes)} c left join ${d.table(tables.delivered)} s on s.record_key = c.${q(KEY)}
     order by c.${q(KIND)}, c.${q(KEY)} limit ${sampleSize}`
      : `select c.* from ${d.table(tables.changes)} c order by c.${q(KIND)}, c.${q(KEY)} limit ${sampleSize}`,
  );
  const removedRows =
    diff.removed > 0 ? await ctx.warehouse.query(`select ${q(KEY)} from ${d.table(tables.removed)} order by ${q(KEY)} limit ${sampleSize}`) : [];
  const [ids] = await ctx.warehouse.query(
    `select count(*) as n, sum(case when ${q(RECORD_ID)} is null then 0 else 1 end) as known from ${d.table(tables.changes)}`,
  );
  const cleared = sync.on_removed === 'clear' ? diff.removed : 0;
  return {
    sync: sync.name,
    object: sync.object,
    diff,
    toSend: diff.new + diff.changed + diff.retrying + (sync.on_removed === 'clear' ? diff.removed : 0),
    onRemoved: sync.on_removed,
    guardrails,
    changedProperties: diff.changed > 0 && snapshot ? await changedProperties(ctx.warehouse, sync, tables) : [],
    mappingChanges: await describeRemapped(ctx, sync, diff),
    sample: sampleRows.map((row) => ({
      key: String(row[KEY]),
      kind: String(row[KIND]),
      values: mappedValues(sync, row),
      before:
        row[BEFORE_KEY] === null || row[BEFORE_KEY] === undefined
          ? null
          : Object.fromEntries(
              sync.properties.map((p) => {
                const v = row[`${BEFORE}${columns.indexOf(p.column)}`];
                return [p.column, v === null || v === undefined ? null : String(v)];
              }),
            ),
      changed:
        row[BEFORE_KEY] === null || row[BEFORE_KEY] === undefined
          ? []
          : sync.properties.filter((p) => Number(row[`${DIFFERS}${columns.indexOf(p.column)}`]) === 1).map((p) => p.column),
    })),
    removedSample: removedRows.map((row) => String(row[KEY])),
    workload: {
      new: Number(ids.n) - Number(ids.known ?? 0),
      known: Number(ids.known ?? 0),
      cleared,
      firstSync: diff.changed + diff.unchanged + diff.removed === 0,
    },
    priority: await changesByPriority(ctx, sync, tables, snapshot),
    ...(sync.mode === 'insert_once' ? { unconfirmedCreates: await new CreateIntents(ctx.warehouse, ctx.schemas.state).pending(sync.name) } : {}),
  };
}

const BEFORE_KEY = 'pqlsync__before_key';
const BEFORE = 'pqlsync__before_';
const DIFFERS = 'pqlsync__differs_';

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
  /** A backfill's diff: ignore state, restrict to a selection. */
  diff?: DiffOptions;
  /**
   * Runs after each checkpoint that committed outcomes, with the table holding them
   * (record_key, ok, kind, …) until the next checkpoint: set-based follow-ups, such as
   * marking a backfill's keys as sent.
   */
  afterCheckpoint?: (outcomes: TableName) => Promise<void>;
  /**
   * Completes a page's changes right before they are sent (run/create-journal.ts: where the portal
   * keeps no unique key, each change's parent and earlier attempts, its intent recorded first).
   */
  beforeSend?: (changes: Change[]) => Promise<Change[]>;
  /** Days the values this run replaces are kept for `pqlsync rollback` (0: none kept); default 7. */
  historyRetentionDays?: number;
  /** Share of the portal's daily limit to leave for its other apps (destination.daily_reserve); unset: no budget check. */
  dailyReserve?: number;
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
export async function runSync(
  ctx: SyncContext,
  destination: Destination,
  sync: SyncConfig,
  options: SyncOptions,
): Promise<SyncResult> {
  const tables = syncTables(sync, ctx.schemas, options.runId);
  const { warehouse, state } = ctx;
  // Under the sync's lock: the only place the delivered snapshot is (re)created.
  await ensureDeliveredTable(warehouse, sync, tables);
  const outcomesTable = state.outcomesTable(sync.name, options.runId);
  const retentionDays = options.historyRetentionDays ?? 7;
  const history = retentionDays > 0 ? new RunHistoryValues(warehouse, ctx.schemas.state) : null;
  if (history) {
    await history.ensureTable();
    await history.prune(new Date(Date.now() - retentionDays * 86_400_000));
  }
  try {
    const plan = await planSync({ ...ctx, runId: options.runId }, sync, { diff: options.diff, keepTables: true });
    if (plan.guardrails.violations.length > 0 && !options.force) {
      throw new GuardrailError(
        `Sync '${sync.name}' stopped before sending: ${plan.guardrails.violations.join('; ')}. ` +
          `If the model change is intended, run again with --force.`,
      );
    }
    // Properties are checked only when something is to be sent: a run with no change makes no request.
    if (plan.toSend > 0) await destination.ensureProperties([sync]);
    await state.createOutcomes(outcomesTable);
    const cap = plan.toSend > 0 ? budgetCap(destination, sync, plan, options.dailyReserve) : null;
    return await sendChanges(ctx, destination, sync, options, plan, tables, outcomesTable, history, cap);
  } finally {
    await dropRunTables(warehouse, tables).catch(() => undefined);
    await state.dropOutcomes(outcomesTable).catch(() => undefined);
  }
}

/** Sends the plan's changes page by page and commits state in checkpoints. */
async function sendChanges(
  ctx: SyncContext,
  destination: Destination,
  sync: SyncConfig,
  options: SyncOptions,
  plan: SyncPlan,
  tables: SyncTables,
  outcomesTable: TableName,
  history: RunHistoryValues | null,
  cap: number | null,
): Promise<SyncResult> {
  const pageSize = options.pageSize ?? 1000;
  const checkpointEvery = options.checkpointEvery ?? 2000;
  const { warehouse, state } = ctx;
  const q = warehouse.dialect.quote;

  let buffer: DeliveryOutcome[] = [];
  const result: SyncResult = { plan, sent: 0, delivered: 0, failed: 0, stopped: false, deferred: 0 };
  // Checkpoints run one after another, in the background of the sends that follow (streams
  // read on connections of their own, and each checkpoint's transaction has its own); the
  // first failure stops the sending, on every loop.
  let checkpoints: Promise<void> = Promise.resolve();
  let checkpointError: unknown;
  const commit = async (outcomes: DeliveryOutcome[]) => {
    const at = new Date();
    await state.checkpoint(sync.name, options.runId, outcomesTable, outcomes, at);
    // What HubSpot held before (the snapshot, not moved yet) and what it holds now, for rollback.
    await history?.capture(sync, options.runId, { changes: tables.changes, delivered: tables.delivered, outcomes: outcomesTable }, KEY, at);
    // The snapshot and the caller's follow-up come after the state transaction: a crash in
    // between leaves the snapshot one checkpoint behind (plan's before-values only) and a
    // backfill re-sends that checkpoint's keys (upserts are idempotent).
    await recordDelivered(warehouse, sync, tables, outcomesTable);
    await options.afterCheckpoint?.(outcomesTable);
  };
  const flush = (): Promise<void> => {
    const outcomes = buffer;
    buffer = [];
    if (outcomes.length > 0) {
      checkpoints = checkpoints.then(() => commit(outcomes));
      checkpoints.catch((error) => (checkpointError ??= error));
    }
    return checkpoints;
  };
  const sendPage = async (rows: Row[], kindOf: (row: Row) => DeliveryOutcome['kind']) => {
    const changes: Change[] = rows.map((row) => {
      const kind = kindOf(row);
      return {
        key: String(row[KEY]),
        kind: kind === 'retry' ? (row[RECORD_ID] ? 'changed' : 'new') : kind,
        recordId: row[RECORD_ID] === null || row[RECORD_ID] === undefined ? null : String(row[RECORD_ID]),
        values: kind === 'clear' ? {} : mappedValues(sync, row),
      };
    });
    const byKey = new Map(rows.map((row) => [String(row[KEY]), row]));
    let outcomes: Outcome[];
    try {
      outcomes = await destination.send(sync, options.beforeSend ? await options.beforeSend(changes) : changes);
    } catch (error) {
      // What landed before a whole-run failure still goes into the last checkpoint.
      for (const outcome of outcomesBeforeFailure(error)) buffer.push(toDelivery(outcome, byKey.get(outcome.key), kindOf));
      throw error;
    }
    for (const outcome of outcomes) buffer.push(toDelivery(outcome, byKey.get(outcome.key), kindOf));
    result.sent += changes.length;
    result.delivered += outcomes.filter((o) => o.ok).length;
    result.failed += outcomes.filter((o) => !o.ok).length;
    options.onProgress?.({ sync: sync.name, sent: result.sent, total: plan.toSend, failed: result.failed });
    if (buffer.length >= checkpointEvery) {
      // One checkpoint at a time behind the sends: when the next is due and the last still
      // commits, sending waits for it. Queued checkpoints would otherwise hold their outcomes in
      // memory, and more of them the larger the state table a checkpoint has to scan.
      await checkpoints.catch(() => undefined);
      void flush();
    }
  };
  /** Sends every page of `table` (under a budget cap, the most important rows up to it); false when a stop was requested. */
  const sendAll = async (table: TableName, kindOf: (row: Row) => DeliveryOutcome['kind']): Promise<boolean> => {
    // No ORDER BY unless the budget forces a choice: the order of sending does not matter, and
    // sorting the whole table holds it in the warehouse's memory for the length of the stream.
    const name = warehouse.dialect.table(table);
    const sql = cap === null || table !== tables.changes ? `select * from ${name}` : prioritySql(ctx, sync, tables, true);
    for await (const page of pages(warehouse.stream(sql, pageSize), pageSize)) {
      if (checkpointError) throw checkpointError;
      if (options.signal?.aborted) return false;
      const room = cap === null ? page.length : Math.max(0, cap - result.sent);
      if (room > 0) await sendPage(page.slice(0, room), kindOf);
      result.deferred += page.length - Math.min(room, page.length);
    }
    return true;
  };

  try {
    result.stopped = !(await sendAll(tables.changes, (row) => String(row[KIND]) as DeliveryOutcome['kind']));
    if (!result.stopped && sync.on_removed === 'clear' && plan.diff.removed > 0) {
      result.stopped = !(await sendAll(tables.removed, () => 'clear'));
    }
  } finally {
    await flush();
  }
  // A full diff put every key still in row errors into the changes table: the other errors
  // belong to keys that left the model (a bad email fixed at the source) and can never land.
  if (!result.stopped && !options.diff) {
    await state.forgetErrorsNotIn(sync.name, warehouse.dialect.table(tables.changes), q(KEY));
  }
  if (!result.stopped && sync.on_removed === 'keep' && plan.diff.removed > 0) {
    await state.forgetRemoved(sync.name, warehouse.dialect.table(tables.removed), q(KEY));
    await forgetDelivered(warehouse, tables);
  }
  return result;
}

const DEFAULT_PQL_TIERS = ['hot', 'sales_ready'];

/**
 * The run's changes with their priority class (state-store PRIORITY), computed in the warehouse.
 * Without the delivered snapshot (a plan before it matches the mapping) no row shows a score move.
 */
function prioritySql(ctx: SyncContext, sync: SyncConfig, tables: SyncTables, ordered: boolean, snapshot = true): string {
  const d = ctx.warehouse.dialect;
  return ctx.state.prioritisedChangesSql(sync.name, {
    changes: d.table(tables.changes),
    delivered: snapshot ? d.table(tables.delivered) : null,
    keyColumn: d.quote(KEY),
    tierColumn: d.quote(TIER),
    pqlTiers: sync.pql_tiers ?? DEFAULT_PQL_TIERS,
    scoreMoved: snapshot ? scoreMovedSql(d, sync) : '(1 = 0)',
    ordered,
  });
}

/** The run's changes per priority class, counted in the warehouse. */
async function changesByPriority(ctx: SyncContext, sync: SyncConfig, tables: SyncTables, snapshot: boolean): Promise<PriorityCounts> {
  const rows = await ctx.warehouse.query(`select ${PRIORITY} as priority_class, count(*) as n from (${prioritySql(ctx, sync, tables, false, snapshot)}) p group by ${PRIORITY}`);
  const counts: PriorityCounts = { pqls: 0, tiers: 0, scores: 0, counters: 0 };
  for (const r of rows) counts[PRIORITY_CLASSES[Number(r.priority_class)]] += Number(r.n);
  return counts;
}

/** Changes per priority class, in the order they are sent under a tight daily budget. */
export interface PriorityCounts {
  /** Rows whose tier enters one of the sync's pql_tiers (new PQLs). */
  pqls: number;
  /** Other tier changes, and records never delivered. */
  tiers: number;
  /** Rows where a score property moved (significance.ts priorityOf). */
  scores: number;
  /** The rest: only counters changed. */
  counters: number;
}
const PRIORITY_CLASSES = ['pqls', 'tiers', 'scores', 'counters'] as const;

/**
 * How many changes fit in the portal's daily budget less the reserve for its other apps (whole
 * batches of 100), or null when the run's estimated requests fit (docs/hubspot.md, "Daily budget").
 * The property checks have run by now: the budget the last answer reported is what is left for the
 * reads and writes of the records (associations follow them and are counted as the estimate says).
 */
export function budgetCap(destination: Destination, sync: SyncConfig, plan: Pick<SyncPlan, 'toSend' | 'workload'>, reserve: number | undefined): number | null {
  const budget = destination.dailyBudget?.();
  if (!budget || reserve === undefined || !destination.estimateRequests) return null;
  return capUnder(budget.remaining - Math.ceil(budget.limit * reserve), plan.toSend, destination.estimateRequests(sync, { ...plan.workload, associations: [] }));
}

/** The rows (whole batches of 100) of `toSend` that `allowance` requests cover, or null when all do. Pure. */
export function capUnder(allowance: number, toSend: number, estimate: RequestEstimate): number | null {
  const needed = estimate.total - estimate.setup;
  if (needed <= allowance) return null;
  const rows = Math.floor((Math.max(0, allowance) * toSend) / needed);
  return Math.floor(rows / 100) * 100;
}

/**
 * Pages of exactly `size` rows (the last may be shorter), read one page ahead so the
 * warehouse reads while HubSpot answers. A warehouse hands over what it likes (DuckDB whole
 * 2,048-row chunks): regrouping keeps every batch full, and a stop lands between pages.
 */
export async function* pages(stream: AsyncIterable<Row[]>, size: number): AsyncIterable<Row[]> {
  const regrouped = (async function* () {
    // Never changes an array the stream yielded (it may still be reading it): pages are copies.
    let carry: Row[] = [];
    for await (const page of stream) {
      carry = carry.length === 0 ? page : carry.concat(page);
      let start = 0;
      for (; carry.length - start >= size; start += size) yield carry.slice(start, start + size);
      carry = carry.slice(start);
    }
    if (carry.length > 0) yield carry;
  })();
  let next = regrouped.next();
  try {
    for (;;) {
      const current = await next;
      if (current.done) return;
      next = regrouped.next();
      yield current.value;
    }
  } finally {
    await next.catch(() => undefined);
    await regrouped.return(undefined);
  }
}

function toDelivery(outcome: Outcome, row: Row | undefined, kindOf: (row: Row) => DeliveryOutcome['kind']): DeliveryOutcome {
  const kind = row ? kindOf(row) : 'changed';
  const base = {
    key: outcome.key,
    hash: row && kind !== 'clear' ? String(row[HASH]) : null,
    tier: row && row[TIER] !== undefined && row[TIER] !== null ? String(row[TIER]) : null,
    kind,
  };
  return outcome.ok
    ? { ...base, ok: true, recordId: outcome.recordId, category: null, property: null, message: null }
    : { ...base, ok: false, recordId: null, category: outcome.category, property: outcome.property, message: outcome.message };
}

function mappedValues(sync: SyncConfig, row: Row): Change['values'] {
  return Object.fromEntries(sync.properties.map((p) => [p.column, row[p.column] ?? null]));
}

async function tierShares(warehouse: Warehouse, tables: SyncTables, column: string): Promise<Map<string, number>> {
  const q = warehouse.dialect.quote;
  const rows = await warehouse.query(
    `select ${warehouse.dialect.macros.to_string(q(column))} as tier, count(*) as n from ${warehouse.dialect.table(tables.model)} group by ${q(column)}`,
  );
  const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
  return new Map(rows.map((r) => [String(r.tier), total ? Number(r.n) / total : 0]));
}
