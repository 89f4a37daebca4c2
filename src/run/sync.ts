import type { Change, Destination, Outcome } from '../../connectors/destination.ts';
import type { Row, Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../config/schema.ts';
import { GuardrailError } from '../errors.ts';
import type { DeliveryOutcome, StateStore } from '../state/state-store.ts';
import { diffSync, HASH, KEY, KIND, RECORD_ID, syncTables, TIER, type DiffSummary, type SyncTables } from './diff.ts';
import { checkGuardrails, type GuardrailVerdict } from './guardrails.ts';

export interface SyncPlan {
  sync: string;
  object: SyncConfig['object'];
  diff: DiffSummary;
  /** Records a sync would send: new + changed + retrying (+ removed when cleared). */
  toSend: number;
  guardrails: GuardrailVerdict;
  /** A few rows that would be sent, with their values. */
  sample: { key: string; kind: string; values: Record<string, unknown> }[];
}

export interface SyncContext {
  warehouse: Warehouse;
  state: StateStore;
  schemas: { models: string; state: string };
}

/** Diffs a sync inside the warehouse and says what a sync would send. Sends nothing. */
export async function planSync(ctx: SyncContext, sync: SyncConfig, sampleSize = 5): Promise<SyncPlan> {
  const tables = syncTables(sync, ctx.schemas);
  const diff = await diffSync(ctx.warehouse, sync, tables);
  const stateTiers = await ctx.state.tierShares(sync.name);
  const modelTiers = sync.guardrails.tier_column ? await tierShares(ctx.warehouse, tables, sync.guardrails.tier_column) : null;
  const guardrails = checkGuardrails(sync, diff, stateTiers, modelTiers);
  const q = ctx.warehouse.dialect.quote;
  const sampleRows = await ctx.warehouse.query(
    `select * from ${ctx.warehouse.dialect.table(tables.changes)} order by ${q(KIND)}, ${q(KEY)} limit ${Math.trunc(sampleSize)}`,
  );
  return {
    sync: sync.name,
    object: sync.object,
    diff,
    toSend: diff.new + diff.changed + diff.retrying + (sync.on_removed === 'clear' ? diff.removed : 0),
    guardrails,
    sample: sampleRows.map((row) => ({ key: String(row[KEY]), kind: String(row[KIND]), values: mappedValues(sync, row) })),
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
}

export interface SyncResult {
  plan: SyncPlan;
  sent: number;
  delivered: number;
  failed: number;
  /** True when a stop was requested before every change was sent. */
  stopped: boolean;
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
  const plan = await planSync(ctx, sync);
  if (plan.guardrails.violations.length > 0 && !options.force) {
    throw new GuardrailError(
      `Sync '${sync.name}' stopped before sending: ${plan.guardrails.violations.join('; ')}. ` +
        `If the model change is intended, run again with --force.`,
    );
  }
  // Properties are checked only when something is to be sent: a run with no change makes no request.
  if (plan.toSend > 0) await destination.ensureProperties([sync]);
  const tables = syncTables(sync, ctx.schemas);
  const pageSize = options.pageSize ?? 1000;
  const checkpointEvery = options.checkpointEvery ?? 2000;
  const { warehouse, state } = ctx;
  const q = warehouse.dialect.quote;
  await state.resetOutcomes(sync.name);

  let buffer: DeliveryOutcome[] = [];
  const result: SyncResult = { plan, sent: 0, delivered: 0, failed: 0, stopped: false };
  const flush = async () => {
    const outcomes = buffer;
    buffer = [];
    await state.checkpoint(sync.name, options.runId, outcomes);
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
    const outcomes = await destination.send(sync, changes);
    const byKey = new Map(rows.map((row) => [String(row[KEY]), row]));
    for (const outcome of outcomes) buffer.push(toDelivery(outcome, byKey.get(outcome.key), kindOf));
    result.sent += changes.length;
    result.delivered += outcomes.filter((o) => o.ok).length;
    result.failed += outcomes.filter((o) => !o.ok).length;
    options.onProgress?.({ sync: sync.name, sent: result.sent, total: plan.toSend, failed: result.failed });
    if (buffer.length >= checkpointEvery) await flush();
  };

  try {
    const changes = `select * from ${warehouse.dialect.table(tables.changes)} order by ${q(KEY)}`;
    for await (const page of warehouse.stream(changes, pageSize)) {
      if (options.signal?.aborted) {
        result.stopped = true;
        break;
      }
      await sendPage(page, (row) => String(row[KIND]) as DeliveryOutcome['kind']);
    }
    if (!result.stopped && sync.on_removed === 'clear' && plan.diff.removed > 0) {
      const removed = `select * from ${warehouse.dialect.table(tables.removed)} order by ${q(KEY)}`;
      for await (const page of warehouse.stream(removed, pageSize)) {
        if (options.signal?.aborted) {
          result.stopped = true;
          break;
        }
        await sendPage(page, () => 'clear');
      }
    }
  } finally {
    await flush();
  }
  if (!result.stopped && sync.on_removed === 'keep' && plan.diff.removed > 0) {
    await state.forgetRemoved(sync.name, warehouse.dialect.table(tables.removed), q(KEY));
  }
  return result;
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
