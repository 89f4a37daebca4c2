/**
 * `pqlsync rollback <run>` (docs/change-control.md): puts back in HubSpot the values a sync run
 * replaced, from the run's history (src/state/run-history-values.ts), for the records nobody
 * changed since: a record a later run changed, or that someone edited in HubSpot after the run,
 * is listed and left alone; a record the run created is listed, never deleted; a task (an
 * event) is never touched; a deal never moves back a stage unless asked (--allow-stage-back).
 * Paced, batched and checkpointed like a sync: a rollback that stops (or is killed) continues
 * where it was when run again, and a record restored before the kill is found restored in
 * HubSpot and not sent again.
 *
 * Cost: one write per 100 records, as a sync. Only the records HubSpot's search says changed
 * after the run are read before writing (search is outside the 10-second window the writes
 * share); each record is updated by id with only the properties the run changed on it, so a
 * batch mixes property sets and nothing has to be read to fill the others in.
 */
import type { Change, Destination, SyncTarget } from '../../connectors/destination.ts';
import { OBJECT_TYPES } from '../../connectors/hubspot/objects/object-types.ts';
import type { Row, TableName } from '../../connectors/warehouse.ts';
import type { PropertyMapping, SyncConfig } from '../config/schema.ts';
import { lifecycleMovesForward, LIFECYCLE_STAGE, nullClears } from '../../connectors/hubspot/write-policy.ts';
import { ConfigError, DestinationError } from '../../contracts/errors.ts';
import { RunHistoryValues, type RollbackVerdict } from '../state/run-history-values.ts';
import { deliveredTables, runTable } from '../state/run-tables.ts';
import type { Session } from './session.ts';
import { holdLock, syncContext } from './steps.ts';
import { pages } from '../util/pages.ts';
import type { SyncContext } from './sync.ts';

export interface RollbackOptions {
  /** Only say what a rollback would do: nothing is sent, nothing written. */
  dryRun?: boolean;
  /** Deals may move back to an earlier stage (by default their stage stays, the rest is restored). */
  allowStageBack?: boolean;
  /** Records judged and sent per page (a multiple of 100 fills every batch). */
  pageSize?: number;
  /** Verdicts buffered before a checkpoint commits them. */
  checkpointEvery?: number;
  /**
   * Read every record before writing it (one batch read per 100), instead of only those HubSpot's
   * search says changed since the run: exact also for edits made while the run was running.
   */
  readAll?: boolean;
  /**
   * The project's syncs that write the same object type (this one included): HubSpot's search
   * leaves out the windows when one of them was writing in the run rolled back, its own writes
   * (docs/change-control.md). By default only this sync's.
   */
  sameObjectSyncs?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RollbackPlan {
  sync: string;
  runId: string;
  /** A rollback of this run was started before and continues. */
  resumed: boolean;
  /** Records by verdict so far ('restore': still to check and send). */
  counts: Partial<Record<RollbackVerdict, number>>;
  /** A few keys of each verdict that leaves a record as it is, with why. */
  listed: Partial<Record<RollbackVerdict, Array<{ key: string; message: string | null }>>>;
}

export interface RollbackResult {
  plan: RollbackPlan;
  /** Records written back (sent and acknowledged). */
  restored: number;
  /** Records found with their old values already (restored by an earlier, interrupted attempt). */
  already: number;
  edited: number;
  /** Records with nothing the write rules let a rollback put back (a stage that would move back...). */
  kept: number;
  failed: number;
  /** Records sent to HubSpot. */
  sent: number;
  /** Records read from HubSpot before writing (changed since the run, or all with readAll). */
  checked: number;
  stopped: boolean;
  /** The final counts and lists, after the rollback. */
  after: RollbackPlan;
  /** Wall time of the rollback (judging, reading HubSpot, sending, checkpoints), ms. */
  ms: number;
  /** Of which: asking HubSpot what changed since the run (before the first write), ms. */
  searchMs: number;
  /** Time the checkpoints took in the warehouse (in the background of the sends), ms. */
  checkpointMs: number;
}

/** The syncs a run has history for, filtered by --sync; a clear error when there is nothing to roll back. */
export async function rollbackSyncs(ctx: SyncContext, syncs: SyncConfig[], runId: string, only: string[] = []): Promise<SyncConfig[]> {
  const history = new RunHistoryValues(ctx.warehouse, ctx.schemas.state);
  await history.ensureTable();
  const names = await history.syncsOfRun(runId);
  const chosen = syncs.filter((s) => names.includes(s.name) && (only.length === 0 || only.includes(s.name)));
  if (chosen.length === 0) {
    throw new ConfigError(
      names.length === 0
        ? `Run ${runId} has no history to roll back: it changed nothing in HubSpot, or it is older than history.retention_days (pqlsync status shows which runs can be rolled back).`
        : `Run ${runId} changed records of ${names.join(', ')}; --sync ${only.join(', ')} names none of them.`,
    );
  }
  return chosen;
}

/** What a rollback of `runId` on one sync would do, without changing anything. */
export async function planRollback(ctx: SyncContext, sync: SyncConfig, runId: string): Promise<RollbackPlan> {
  const history = new RunHistoryValues(ctx.warehouse, ctx.schemas.state);
  const real = history.rollbackTable(sync.name, runId);
  const resumed = !!(await ctx.warehouse.describe(real));
  // A dry run judges into a table of its own run, dropped at once: the real rollback judges again.
  const table = resumed ? real : history.rollbackTable(sync.name, ctx.runId);
  if (!resumed) await history.prepareRollback(sync.name, runId, deliveredTables(ctx.schemas.state, sync.name).delivered, table);
  try {
    return await describeRollback(history, sync, runId, table, resumed);
  } finally {
    if (!resumed) await history.drop(table);
  }
}

async function describeRollback(history: RunHistoryValues, sync: SyncConfig, runId: string, table: TableName, resumed: boolean): Promise<RollbackPlan> {
  const { counts, samples } = await history.rollbackSummary(table);
  return { sync: sync.name, runId, resumed, counts, listed: samples };
}

/**
 * Rolls back one sync's part of a run. Call it holding the sync's lock. The work table
 * (one verdict per record) is kept after the end, so a rerun answers what was done.
 */
export async function rollbackRun(ctx: SyncContext, destination: Destination, sync: SyncConfig, runId: string, options: RollbackOptions = {}): Promise<RollbackResult> {
  if (sync.mode === 'insert_once') {
    throw new ConfigError(`Sync '${sync.name}' writes events (${sync.object}, mode insert_once): a rollback never deletes nor rewrites them.`);
  }
  if (!destination.readValues || !destination.holds) {
    throw new DestinationError(`The destination of sync '${sync.name}' cannot read records back, which a rollback needs to leave later edits alone.`);
  }
  const history = new RunHistoryValues(ctx.warehouse, ctx.schemas.state);
  const tables = deliveredTables(ctx.schemas.state, sync.name);
  const { resumed, table: work } = await history.prepareRollback(sync.name, runId, tables.delivered);
  const plan = await describeRollback(history, sync, runId, work, resumed);
  const staging = runTable(ctx.schemas.state, 'outcomes', ctx.runId, sync.name);
  await history.createStaging(staging);
  const started = Date.now();
  const result: RollbackResult = { plan, restored: 0, already: 0, edited: 0, kept: 0, failed: 0, sent: 0, checked: 0, stopped: false, after: plan, ms: 0, searchMs: 0, checkpointMs: 0 };
  const total = plan.counts.restore ?? 0;
  const target = { ...sync, allowStageBack: options.allowStageBack === true, updateByIdOnly: true };
  const mappings = new Map(sync.properties.map((p) => [p.property, p]));
  const stageBack = stageBackCheck(sync, options.allowStageBack === true);
  const managed = new Set(OBJECT_TYPES[sync.object].managedProperties);
  let buffer: Array<{ key: string; verdict: RollbackVerdict; message: string | null }> = [];
  // Checkpoints run one after another, in the background of the pages that follow (as a
  // sync's); the next one waits for the one before.
  let checkpoint: Promise<void> = Promise.resolve();
  const commit = async () => {
    const verdicts = buffer;
    buffer = [];
    const previous = checkpoint;
    checkpoint = (async () => {
      await previous;
      const t = Date.now();
      await history.commitRollback(sync, runId, ctx.runId, { work, staging, delivered: tables.delivered, syncState: tables.syncState }, verdicts, new Date());
      result.checkpointMs += Date.now() - t;
    })();
    // A failure surfaces where the checkpoint is awaited (the next one, or the end).
    checkpoint.catch(() => undefined);
    await previous;
  };

  const pageSize = options.pageSize ?? 1000;
  const checkpointEvery = options.checkpointEvery ?? 2000;
  const searchStarted = Date.now();
  const writers = options.sameObjectSyncs ?? [sync.name];
  const check = await recordsToCheck(history, ctx.state, destination, target, runId, total, options.readAll === true, writers);
  result.searchMs = Date.now() - searchStarted;
  // A rerun after a kill: the records the killed attempt may have written after its last
  // committed checkpoint are the first pending ones (records go in key order; one checkpoint in
  // flight, the buffer of the next and a page): read them, so none is written twice, whatever
  // search saw.
  let resumeWindow = plan.resumed ? 2 * checkpointEvery + pageSize : 0;

  const judge = async (records: PendingRecord[]) => {
    const checked = records.filter((r) => {
      const yes = check === 'all' || resumeWindow > 0 || check.has(r.recordId);
      resumeWindow = Math.max(0, resumeWindow - 1);
      return yes;
    });
    const read = [...new Set(checked.flatMap((r) => r.values.map((v) => v.property)))].filter((p) => mappings.has(p) && !managed.has(p));
    const held = checked.length > 0 && read.length > 0 ? await destination.readValues!(sync, checked.map((r) => r.recordId), read) : new Map<string, Record<string, string | null>>();
    const isChecked = new Set(checked.map((r) => r.key));
    if (read.length > 0) result.checked += checked.length;
    const toSend: Array<{ record: PendingRecord; values: PendingValue[]; note: string | null }> = [];
    for (const record of records) {
      const values = record.values.filter((v) => mappings.has(v.property));
      if (values.length === 0) {
        buffer.push({ key: record.key, verdict: 'failed', message: `the properties the run changed (${record.values.map((v) => v.property).join(', ')}) are no longer mapped` });
        result.failed++;
        continue;
      }
      if (isChecked.has(record.key) && read.length > 0) {
        const now = held.get(record.recordId);
        if (!now) {
          buffer.push({ key: record.key, verdict: 'failed', message: `HubSpot no longer has record ${record.recordId}` });
          result.failed++;
          continue;
        }
        // Managed properties (a deal's stage id, an owner) are held in HubSpot's own form: not compared.
        const compared = values.filter((v) => !managed.has(v.property));
        const edited = compared.filter((v) => {
          const m = mappings.get(v.property)!;
          return !destination.holds!(m, now[v.property], v.after) && !destination.holds!(m, now[v.property], v.before);
        });
        if (edited.length > 0) {
          buffer.push({ key: record.key, verdict: 'edited', message: edited.map((v) => `${v.property}: HubSpot ${JSON.stringify(now[v.property] ?? '')}, the run wrote ${JSON.stringify(v.after ?? '')}`).join('; ') });
          result.edited++;
          continue;
        }
        if (compared.length === values.length && compared.every((v) => destination.holds!(mappings.get(v.property)!, now[v.property], v.before))) {
          buffer.push({ key: record.key, verdict: 'already', message: null });
          result.already++;
          continue;
        }
      }
      // What the write rules let a rollback put back (the destination would drop the rest anyway).
      const refused = new Map(values.map((v) => [v, refusal(sync, mappings.get(v.property)!, v, stageBack)] as const));
      const kept = values.filter((v) => !refused.get(v));
      const note = [...new Set([...refused.values()].filter((r): r is string => !!r))].join('; ') || null;
      if (kept.length === 0) {
        buffer.push({ key: record.key, verdict: 'kept', message: note });
        result.kept++;
      }
      else toSend.push({ record, values: kept, note });
    }
    // One send: each record with only the properties the run changed on it (HubSpot's batch
    // update takes a property set per input), by record id, never created.
    if (toSend.length === 0) return;
    const changes: Change[] = toSend.map((item) => ({
      key: item.record.key,
      kind: 'changed',
      recordId: item.record.recordId,
      values: Object.fromEntries(item.values.map((v) => [v.column, v.before])),
      partial: true,
    }));
    const notes = new Map(toSend.map((item) => [item.record.key, item.note]));
    const outcomes = await destination.writer(target).send(changes);
    result.sent += changes.length;
    for (const o of outcomes) {
      if (o.ok) result.restored++;
      else result.failed++;
      buffer.push(o.ok ? { key: o.key, verdict: 'restored', message: notes.get(o.key) ?? null } : { key: o.key, verdict: 'failed', message: o.message });
    }
  };

  try {
    let done = 0;
    const rows = pages(ctx.warehouse.stream(history.pendingValuesQuery(sync.name, runId, work), ROWS_PER_READ), ROWS_PER_READ);
    for await (const page of recordPages(rows, pageSize)) {
      if (options.signal?.aborted) {
        result.stopped = true;
        break;
      }
      await judge(page);
      done += page.length;
      options.onProgress?.(done, total);
      if (buffer.length >= checkpointEvery) await commit();
    }
  } finally {
    await commit();
    await checkpoint;
    await history.drop(staging);
  }
  result.after = await describeRollback(history, sync, runId, work, true);
  result.ms = Date.now() - started;
  return result;
}

interface PendingValue {
  column: string;
  property: string;
  before: string | null;
  after: string | null;
}

interface PendingRecord {
  key: string;
  recordId: string;
  values: PendingValue[];
}

/** History rows read from the warehouse at a time. */
const ROWS_PER_READ = 5000;

/**
 * Pages of `size` whole records from pages of history rows in key order (a record's rows may
 * straddle two pages of rows; the last page may be shorter).
 */
async function* recordPages(rows: AsyncIterable<Row[]>, size: number): AsyncIterable<PendingRecord[]> {
  let current: PendingRecord | null = null;
  let records: PendingRecord[] = [];
  for await (const page of rows) {
    for (const row of page) {
      const key = String(row.record_key);
      if (!current || current.key !== key) {
        if (current) records.push(current);
        current = { key, recordId: String(row.record_id), values: [] };
        if (records.length >= size) {
          yield records;
          records = [];
        }
      }
      current.values.push({
        column: String(row.column_name),
        property: String(row.property),
        before: row.before_value === null ? null : String(row.before_value),
        after: row.after_value === null ? null : String(row.after_value),
      });
    }
  }
  if (current) records.push(current);
  if (records.length > 0) yield records;
}

/**
 * Why the write rules keep a value from being put back, or null: a NULL never clears a not_null
 * or if_empty property (nor the lifecycle stage), the lifecycle stage never moves back, and a
 * deal's stage moves back only when asked.
 */
function refusal(sync: SyncConfig, mapping: PropertyMapping, v: PendingValue, stageBack: (v: PendingValue) => boolean): string | null {
  if (v.before === null && !nullClears(mapping)) return `${v.property}: a NULL does not clear it (write: ${mapping.write ?? 'not_null'})`;
  if (mapping.property === LIFECYCLE_STAGE && v.before !== null && !lifecycleMovesForward(sync, v.after, v.before)) {
    return `${v.property}: the lifecycle stage never moves back (${v.after ?? 'empty'} stays)`;
  }
  if (stageBack(v)) return 'the deal stage stays where it is (--allow-stage-back moves it back)';
  return null;
}

/**
 * Which pending records to read before writing: those that changed in HubSpot after the run
 * (search, outside the write budget), from a little before its last checkpoint so a clock a few
 * seconds apart from HubSpot's loses nothing, leaving out the windows when the run's syncs of the
 * same object type were writing (the demo's contact_tiers rewrites contacts right after the
 * contacts sync). Only the run's own: search sees a record's last change only, so a later run's
 * write would hide a rep's edit made before it (docs/change-control.md). 'all' when asked, when
 * the destination cannot search, or when more changed than there are records to put back.
 */
async function recordsToCheck(
  history: RunHistoryValues,
  state: SyncContext['state'],
  destination: Destination,
  target: SyncTarget,
  runId: string,
  pending: number,
  readAll: boolean,
  writers: readonly string[],
): Promise<Set<string> | 'all'> {
  if (readAll || !destination.modifiedSince || pending === 0) return 'all';
  const last = await history.lastRecordedAt(runId);
  if (!last) return 'all';
  const since = new Date(last.getTime() - CLOCK_SKEW_MS);
  const changed = await destination.modifiedSince(target, since, pending, await state.writeWindows(runId, writers));
  return changed ?? 'all';
}

/**
 * How far pqlsync's clock may be ahead of HubSpot's (search compares HubSpot's dates with ours).
 * A checkpoint is recorded after HubSpot answered every write in it, so with clocks that agree
 * each of the run's writes is dated before it; NTP keeps servers well within this.
 */
const CLOCK_SKEW_MS = 1_000;

/** For deals: whether putting a value back would move the deal to an earlier stage (refused unless allowed). */
function stageBackCheck(sync: SyncConfig, allowed: boolean): (v: PendingValue) => boolean {
  const stages = sync.pipeline?.stages.map((s) => s.key);
  if (allowed || !stages) return () => false;
  const stageColumn = sync.properties.find((p: PropertyMapping) => p.property === 'dealstage')?.column;
  return (v) => v.column === stageColumn && v.before !== null && v.after !== null && stages.indexOf(v.before) < stages.indexOf(v.after);
}

/**
 * Rolls back a run on each chosen sync under the sync's lock, recorded in run history as a run
 * of its own (command 'rollback'). `onPlan` sees each sync's plan before anything is sent.
 */
export async function rollbackStep(
  session: Session,
  destination: Destination,
  syncs: SyncConfig[],
  runId: string,
  options: RollbackOptions & { onPlan?: (plan: RollbackPlan) => void; onDone?: (result: RollbackResult) => void },
): Promise<RollbackResult[]> {
  const results: RollbackResult[] = [];
  // Checks the properties (reads when they exist) and resolves a deal pipeline's stage ids.
  await destination.ensureProperties(syncs);
  for (const sync of syncs) {
    const lock = await holdLock(session, sync.name, 10 * 60_000);
    const started = new Date();
    const requestsBefore = destination.stats.requests;
    try {
      await session.state.abandonDeadRuns(sync, session.runId);
      options.onPlan?.(await planRollback(syncContext(session), sync, runId));
      await session.state.startRun({ runId: session.runId, command: 'rollback', syncName: sync.name, startedAt: started, status: 'running' });
      try {
        const sameObjectSyncs = session.project.config.syncs.filter((s) => s.object === sync.object).map((s) => s.name);
        const result = await rollbackRun(syncContext(session), destination, sync, runId, { ...options, sameObjectSyncs });
        await session.state.finishRun({
          runId: session.runId,
          command: 'rollback',
          syncName: sync.name,
          startedAt: started,
          status: result.stopped ? 'stopped' : result.failed > 0 ? 'partial' : 'success',
          counts: { rows: sumCounts(result.plan), new: 0, changed: result.restored + result.already, unchanged: result.edited, removed: 0, sent: result.sent, failed: result.failed },
          requests: destination.stats.requests - requestsBefore,
          message: `rollback of run ${runId}`,
        });
        results.push(result);
        options.onDone?.(result);
        if (result.stopped) break;
      } catch (error) {
        await session.state
          .finishRun({ runId: session.runId, command: 'rollback', syncName: sync.name, startedAt: started, status: 'failed', message: `rollback of run ${runId}: ${String(error)}` })
          .catch(() => undefined);
        throw error;
      }
    } finally {
      await lock.release();
    }
  }
  return results;
}

/** Whether a run that started at `startedAt` (a runs row's value) is younger than the retention. */
function withinRetention(startedAt: unknown, retentionDays: number): boolean {
  if (!(startedAt instanceof Date) && typeof startedAt !== 'string') return false;
  const at = new Date(startedAt).getTime();
  return Number.isFinite(at) && at > Date.now() - retentionDays * 86_400_000;
}

function sumCounts(plan: RollbackPlan): number {
  return Object.values(plan.counts).reduce((a, b) => a + (b ?? 0), 0);
}

/**
 * For `status`: whether each run (run history rows: run_id, sync_name, command, n_sent) can still
 * be rolled back, keyed `<run id>/<sync>`: 'yes: N records, until <when>', 'rolled back',
 * 'no: …' or '' (a rollback itself, or a run that sent nothing).
 */
export async function rollbackAvailability(ctx: SyncContext, runs: Row[], retentionDays: number, eventSyncs: Set<string> = new Set()): Promise<Map<string, string>> {
  const history = new RunHistoryValues(ctx.warehouse, ctx.schemas.state);
  await history.ensureTable();
  const entries = await history.restorableRuns([...new Set(runs.map((r) => String(r.run_id)))]);
  const byKey = new Map(entries.map((e) => [`${e.runId}/${e.syncName}`, e]));
  const out = new Map<string, string>();
  for (const r of runs) {
    const key = `${r.run_id}/${r.sync_name}`;
    const entry = byKey.get(key);
    if (eventSyncs.has(String(r.sync_name)) && Number(r.n_sent ?? 0) > 0) {
      // Tasks and other events are never rolled back (a task is deleted by a rep, not by pqlsync).
      out.set(key, 'no: events such as tasks are never rolled back');
    } else if (entry) {
      const work = history.rollbackTable(entry.syncName, entry.runId);
      const summary = (await ctx.warehouse.describe(work)) ? await history.rollbackSummary(work, 0) : null;
      const until = new Date(entry.recordedAt.getTime() + retentionDays * 86_400_000).toISOString();
      out.set(key, summary && !summary.counts.restore ? 'rolled back' : `yes: ${entry.records} records, until ${until}`);
    } else if (r.command === 'rollback' || !r.sync_name || !Number(r.n_sent ?? 0)) {
      out.set(key, '');
    } else if (retentionDays === 0) {
      out.set(key, 'no: history is off (history.retention_days: 0)');
    } else if (withinRetention(r.started_at, retentionDays)) {
      // History keeps values that changed: a run that re-sent unchanged values (every row after a
      // property rename, say) replaced nothing pqlsync knows.
      out.set(key, 'no: it replaced no value pqlsync knows (it sent unchanged values again, as after a property rename)');
    } else {
      out.set(key, `no: history kept ${retentionDays} days`);
    }
  }
  return out;
}
