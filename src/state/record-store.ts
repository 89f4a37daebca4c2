/**
 * A sync's records in the warehouse: the diff of its model against sync state, the delivered
 * snapshot, and the checkpoints that move state forward, behind one handle. `RecordStore.diff`
 * diffs into tables private to the run and answers a `ChangeSet`: its summary and sample for a
 * plan, its changes page by page for sending, and `checkpoint` for what HubSpot answered. The
 * diff stays in SQL: only counts, samples and the pages being sent come into the runner.
 */
import type { Change, Outcome, SendWorkload } from '../../connectors/destination.ts';
import type { Row, TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import { syncRelation, type SyncConfig } from '../config/schema.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import { pages as regroup } from '../util/pages.ts';
import { hasSignificance, insignificantKeysSql, scoreMovedSql } from './significance.ts';
import { describeMappingChange, FINGERPRINT_PREFIX_LENGTH, mappingFingerprint, SyncMappings } from './mapping-fingerprint.ts';
import { RunHistoryValues } from './run-history-values.ts';
import { runTable, syncTable } from './run-tables.ts';
import type { StateStore } from './state-store.ts';

/** Internal columns of the changes table; mapped model columns keep their own names. */
const KEY = 'pqlsync__key';
const HASH = 'pqlsync__hash';
const RECORD_ID = 'pqlsync__record_id';
const KIND = 'pqlsync__kind';
const TIER = 'pqlsync__tier';
/** The priority class of a change under a tight daily budget (ChangeSet.prioritisedSql; 0 first). */
const PRIORITY = 'pqlsync__priority';
/** The md5 of a row's mapped values alone (the hash without the mapping's fingerprint). */
const VALUES_HASH = 'pqlsync__values_hash';

/** The columns of a checkpoint's staging table (record_key, ok, kind, … as history and the snapshot read them). */
const OUTCOME_COLUMNS = ['record_key', 'ok', 'record_id', 'row_hash', 'tier', 'kind', 'category', 'property', 'message'];

interface SyncTables {
  model: TableName;
  syncState: TableName;
  rowErrors: TableName;
  /** This run's pending changes: new, changed and retried rows, with their values (private to the run). */
  changes: TableName;
  /** Keys in state that left the model (private to the run). */
  removed: TableName;
  /** A checkpoint's outcomes, staged (private to the run). */
  outcomes: TableName;
  /**
   * What HubSpot was last sent for each delivered key: the key and every mapped column
   * as text. Kept at each checkpoint, so `plan` can show before → after values.
   */
  delivered: TableName;
}

/**
 * The tables one run of a sync works with. The changes, removed and outcomes tables carry the
 * run id: a `plan` beside a running sync diffs into tables of its own, and the sync only ever
 * reads what its own diff wrote.
 */
function syncTables(sync: SyncConfig, schemas: { models: string; state: string }, runId: string): SyncTables {
  return {
    model: syncRelation(sync, schemas.models),
    syncState: { schema: schemas.state, name: 'sync_state' },
    rowErrors: { schema: schemas.state, name: 'row_errors' },
    changes: runTable(schemas.state, 'changes', runId, sync.name),
    removed: runTable(schemas.state, 'removed', runId, sync.name),
    outcomes: runTable(schemas.state, 'outcomes', runId, sync.name),
    delivered: syncTable(schemas.state, 'delivered', sync.name),
  };
}

/** Options of a diff; none for a normal sync. */
interface DiffOptions {
  /**
   * Re-send rows whatever state says (a backfill): every selected row is a change,
   * 'new' when HubSpot has never had it, else 'changed'. Nothing counts as removed.
   */
  ignoreState?: boolean;
  /**
   * Only keys in this table (columns record_key, sent_at) whose sent_at is null take
   * part: a backfill's selection, materialised once, so a rerun continues with the rest.
   */
  selection?: TableName;
}

/** Which run diffs, and for what. */
export interface DiffRun {
  runId: string;
  /**
   * The run will send (it holds the sync's lock): the delivered snapshot is (re)created for the
   * mapping, and the values checkpoints replace are kept `historyRetentionDays` for rollback (0: none).
   */
  send?: { historyRetentionDays: number };
  /** A backfill (backfill-store.ts): only its selection's unsent keys, whatever state says; each checkpoint marks its keys sent. */
  backfill?: { table: TableName };
}

export interface DiffSummary {
  /** Rows in the model with a key. */
  rows: number;
  /** Rows never delivered. */
  new: number;
  /** Rows whose mapped values changed since they were delivered. */
  changed: number;
  /** Unchanged rows re-sent because their last delivery failed. */
  retrying: number;
  unchanged: number;
  /** Of the unchanged rows, those whose values moved but not significantly (state/significance.ts): not sent. */
  heldBack: number;
  /**
   * Of the changed rows, those delivered under another mapping (a property renamed, retyped,
   * added or dropped since), by the fingerprint of that mapping.
   */
  remapped: RemappedRows[];
  /** Keys delivered before that left the model. */
  removed: number;
  /** Rows of the model without a key: never sent, reported. */
  nullKeys: number;
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

export interface PlanSampleRow {
  key: string;
  kind: string;
  values: Record<string, unknown>;
  before: Record<string, string | null> | null;
  /** Columns whose value differs from the one last delivered (empty without a before). */
  changed: string[];
}

/** A sync's records: diffs them against state into a ChangeSet. */
export class RecordStore {
  constructor(
    private readonly warehouse: Warehouse,
    private readonly state: StateStore,
    private readonly schemas: { models: string; state: string },
  ) {}

  /**
   * Diffs the sync's model against its state (or a backfill's selection) into tables named
   * after `run.runId`, and answers the handle over them. Changes nothing another run reads
   * unless `run.send` (then only the delivered snapshot's shape, under the sync's lock).
   */
  async diff(sync: SyncConfig, run: DiffRun): Promise<ChangeSet> {
    const tables = syncTables(sync, this.schemas, run.runId);
    let history: RunHistoryValues | null = null;
    if (run.send) {
      // Under the sync's lock: the only place the delivered snapshot is (re)created, and the
      // mapping it is delivered under remembered (for a later plan's words on a mapping change).
      await ensureDeliveredTable(this.warehouse, sync, tables);
      await new SyncMappings(this.warehouse, this.schemas.state).remember(sync, run.runId);
      const days = run.send.historyRetentionDays;
      if (days > 0) {
        history = new RunHistoryValues(this.warehouse, this.schemas.state);
        await history.ensureTable();
        await history.prune(new Date(Date.now() - days * 86_400_000));
      }
    }
    const changes = new ChangeSet(this.warehouse, this.state, sync, run, tables, history);
    try {
      changes.summary = await diffSync(this.warehouse, sync, tables, run.backfill ? { ignoreState: true, selection: run.backfill.table } : {}, () => changes.snapshotMatches());
    } catch (error) {
      await changes.drop().catch(() => undefined);
      throw error;
    }
    return changes;
  }

  /**
   * Writes state as if every row of the model had been delivered now, from the diff's own
   * hashes (no record ids): the next diff sees only what changes afterwards. For benchmarks
   * whose full first sync would take too long.
   */
  async seedDelivered(sync: SyncConfig, runId: string): Promise<void> {
    const changes = await this.diff(sync, { runId });
    try {
      await changes.seedState();
    } finally {
      await changes.drop();
    }
  }
}

/**
 * One run's changes of one sync, in tables private to the run, until `drop`. State moves only
 * through `checkpoint`, and only for the records HubSpot acknowledged.
 */
/** The tiers that count as PQLs when a sync names none (`pql_tiers`): a change into one comes first under a tight budget. */
const DEFAULT_PQL_TIERS: readonly string[] = ['hot', 'sales_ready'];

export class ChangeSet {
  summary!: DiffSummary;
  private staged = false;
  /** Whether the delivered snapshot matches the mapping: read once (only a sending run reshapes it, before its diff). */
  private snapshot?: Promise<boolean>;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly state: StateStore,
    private readonly sync: SyncConfig,
    private readonly run: DiffRun,
    private readonly tables: SyncTables,
    private readonly history: RunHistoryValues | null,
  ) {}

  /** Records a sync of this change set sends: new + changed + retrying (+ removed when cleared). */
  get toSend(): number {
    const s = this.summary;
    return s.new + s.changed + s.retrying + (this.sync.on_removed === 'clear' ? s.removed : 0);
  }

  /**
   * A few changes that would be sent, with their values and, for a key delivered before, the
   * values HubSpot was last sent (as text; null when no snapshot exists for the key); and a few
   * keys that left the model.
   */
  async sample(n: number): Promise<{ rows: PlanSampleRow[]; removed: string[] }> {
    const { warehouse, sync, tables } = this;
    const size = Math.trunc(n);
    const d = warehouse.dialect;
    const q = d.quote;
    const columns = mappedColumns(sync);
    // Before-values come from the snapshot only when it matches the mapping; a plan never rebuilds it.
    const snapshot = await this.snapshotMatches();
    const rows = await warehouse.query(
      snapshot
        ? `select c.*, s.record_key as ${q(BEFORE_KEY)}, ${columns.map((c, i) => `s.${q(c)} as ${q(`${BEFORE}${i}`)}`).join(', ')},
         ${columns.map((c, i) => `case when s.${q(c)} is distinct from ${d.macros.to_string(`c.${q(c)}`)} then 1 else 0 end as ${q(`${DIFFERS}${i}`)}`).join(', ')}
       from ${d.table(tables.changes)} c left join ${d.table(tables.delivered)} s on s.record_key = c.${q(KEY)}
       order by c.${q(KIND)}, c.${q(KEY)} limit ${size}`
        : `select c.* from ${d.table(tables.changes)} c order by c.${q(KIND)}, c.${q(KEY)} limit ${size}`,
    );
    const removed = this.summary.removed > 0 ? await warehouse.query(`select ${q(KEY)} from ${d.table(tables.removed)} order by ${q(KEY)} limit ${size}`) : [];
    const known = (row: Row) => row[BEFORE_KEY] !== null && row[BEFORE_KEY] !== undefined;
    return {
      rows: rows.map((row) => ({
        key: String(row[KEY]),
        kind: String(row[KIND]),
        values: mappedValues(sync, row),
        before: known(row)
          ? Object.fromEntries(
              sync.properties.map((p) => {
                const v = row[`${BEFORE}${columns.indexOf(p.column)}`];
                return [p.column, v === null || v === undefined ? null : String(v)];
              }),
            )
          : null,
        changed: known(row) ? sync.properties.filter((p) => Number(row[`${DIFFERS}${columns.indexOf(p.column)}`]) === 1).map((p) => p.column) : [],
      })),
      removed: removed.map((row) => String(row[KEY])),
    };
  }

  /** The records to send by how they are written: created (no record id yet), updated, cleared; for the request estimate. */
  async workload(): Promise<Omit<SendWorkload, 'associations'>> {
    const d = this.warehouse.dialect;
    const q = d.quote;
    const [ids] = await this.warehouse.query(
      `select count(*) as n, sum(case when ${q(RECORD_ID)} is null then 0 else 1 end) as known from ${d.table(this.tables.changes)}`,
    );
    const diff = this.summary;
    return {
      new: Number(ids.n) - Number(ids.known ?? 0),
      known: Number(ids.known ?? 0),
      cleared: this.sync.on_removed === 'clear' ? diff.removed : 0,
      firstSync: diff.changed + diff.unchanged + diff.removed === 0,
    };
  }

  /** Whether the delivered snapshot exists with the sync's current mapping (plan's before-values, significance). */
  snapshotMatches(): Promise<boolean> {
    return (this.snapshot ??= deliveredTableMatches(this.warehouse, this.sync, this.tables));
  }

  /** Which properties the changed rows change, most first (none without a snapshot matching the mapping). */
  async changedProperties(): Promise<PropertyChange[]> {
    if (this.summary.changed === 0 || !(await this.snapshotMatches())) return [];
    return changedProperties(this.warehouse, this.sync, this.tables);
  }

  /** Changed rows delivered under another mapping, with what changed in words ("property renamed a → b"). */
  async mappingChanges(): Promise<Array<{ reason: string; rows: number }>> {
    if (this.summary.remapped.length === 0) return [];
    const known = await new SyncMappings(this.warehouse, this.state.schema).known(this.sync.name);
    const now = mappingFingerprint(this.sync).mapping;
    return this.summary.remapped.map((r) => ({ reason: describeMappingChange(known.get(r.fingerprint), now), rows: r.rows }));
  }

  /**
   * Tier shares, for the guardrails: among the delivered rows (state), and in the model now
   * (null without a tier column).
   */
  async tierShares(): Promise<{ state: { total: number; shares: Map<string, number> }; model: Map<string, number> | null }> {
    const { warehouse, sync, tables } = this;
    const d = warehouse.dialect;
    const stateRows = await warehouse.query({
      sql: `select tier, count(*) as n from ${d.table(tables.syncState)} where sync_name = ? group by tier`,
      values: [sync.name],
    });
    const total = stateRows.reduce((sum, r) => sum + Number(r.n), 0);
    const state = { total, shares: new Map(stateRows.map((r) => [String(r.tier), total ? Number(r.n) / total : 0])) };
    const column = sync.guardrails.tier_column;
    if (!column) return { state, model: null };
    const q = d.quote;
    const rows = await warehouse.query(`select ${d.macros.to_string(q(column))} as tier, count(*) as n from ${d.table(tables.model)} group by ${q(column)}`);
    const modelTotal = rows.reduce((sum, r) => sum + Number(r.n), 0);
    return { state, model: new Map(rows.map((r) => [String(r.tier), modelTotal ? Number(r.n) / modelTotal : 0])) };
  }

  /**
   * The changes to send, in pages of `size` (read one page ahead): the changes table, then,
   * when the sync clears removed keys, the removed ones. Under a budget (`prioritised`), the most
   * important changes come first; otherwise in no order (sorting the whole table holds it in the
   * warehouse's memory for the length of the stream).
   */
  async *pages(size: number, options: { prioritised?: boolean } = {}): AsyncIterable<Change[]> {
    const { warehouse, sync, tables } = this;
    const d = warehouse.dialect;
    const changes = d.table(tables.changes);
    const sql = options.prioritised ? this.prioritisedSql(true) : `select * from ${changes}`;
    for await (const page of regroup(warehouse.stream(sql, size), size)) yield page.map((row) => toChange(sync, row, String(row[KIND])));
    if (sync.on_removed !== 'clear' || this.summary.removed === 0) return;
    for await (const page of regroup(warehouse.stream(`select * from ${d.table(tables.removed)}`, size), size)) {
      yield page.map((row) => toChange(sync, row, 'clear'));
    }
  }

  /**
   * The run's changes with their priority class under a tight daily budget, as column
   * PRIORITY (docs/hubspot.md, "Daily budget"): 0 rows whose tier enters one of the sync's PQL
   * tiers (new PQLs, tier changes into them), 1 other tier changes and records never delivered, 2 score
   * moves (significance.ts priorityOf: compared with the delivered snapshot), 3 the rest
   * (counters). Set-based: the class is computed in the warehouse; `ordered` sorts by class, then key.
   */
  private prioritisedSql(ordered: boolean, snapshot = true): string {
    const pqlTiers = this.sync.pql_tiers ?? DEFAULT_PQL_TIERS;
    const d = this.warehouse.dialect;
    const q = d.quote;
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const key = q(KEY);
    const tier = `c.${q(TIER)}`;
    const moved = `(${tier} is not null and (st.tier is null or st.tier <> ${tier}))`;
    return `select c.*, case when ${moved} and ${tier} in (${pqlTiers.map(lit).join(', ')}) then 0
          when ${moved} or st.record_key is null then 1
          when ${snapshot ? scoreMovedSql(d, this.sync) : '(1 = 0)'} then 2
          else 3 end as ${PRIORITY}
      from ${d.table(this.tables.changes)} c
      left join ${d.table(this.tables.syncState)} st on st.sync_name = ${lit(this.sync.name)} and st.record_key = c.${key}
      ${snapshot ? `left join ${d.table(this.tables.delivered)} s on s.record_key = c.${key}` : ''}${ordered ? `
      order by ${PRIORITY}, c.${key}` : ''}`;
  }

  /**
   * The changes per priority class (see prioritisedSql), counted in the warehouse. Without a
   * delivered snapshot matching the mapping (a plan before the first sync under it) no row
   * shows a score move.
   */
  async priorities(): Promise<PriorityCounts> {
    const snapshot = await this.snapshotMatches();
    const rows = await this.warehouse.query(`select ${PRIORITY} as priority_class, count(*) as n from (${this.prioritisedSql(false, snapshot)}) p group by ${PRIORITY}`);
    const counts: PriorityCounts = { pqls: 0, tiers: 0, scores: 0, counters: 0 };
    for (const r of rows) counts[PRIORITY_CLASSES[Number(r.priority_class)]] += Number(r.n);
    return counts;
  }

  /**
   * Commits what HubSpot answered for sent changes: the outcomes are staged in the run's own
   * table, their hash, tier and kind joined from the changes table there (a key the changes
   * table lacks was a removed key, cleared); then sync state and row errors move in one
   * transaction (StateStore.checkpoint), the replaced values go to run history, the delivered
   * snapshot moves forward, and a backfill marks the keys sent. The snapshot and the marks come
   * after the state transaction: a crash in between leaves the snapshot one checkpoint behind
   * (plan's before-values only) and a backfill re-sends that checkpoint's keys (upserts are
   * idempotent).
   */
  async checkpoint(outcomes: readonly Outcome[], at: Date = new Date()): Promise<void> {
    if (outcomes.length === 0) return;
    const { warehouse, sync, tables } = this;
    const d = warehouse.dialect;
    const q = d.quote;
    const staging = d.table(tables.outcomes);
    if (!this.staged) {
      const { string: s, boolean: b } = d.types;
      await warehouse.execute(`drop table if exists ${staging}`);
      await warehouse.execute(`create table ${staging} (${OUTCOME_COLUMNS.map((c) => `${c} ${c === 'ok' ? b : s}`).join(', ')})`);
      this.staged = true;
    }
    const rows: Value[][] = outcomes.map((o) =>
      o.ok ? [o.key, true, o.recordId, 'clear', null, null, null] : [o.key, false, null, 'clear', o.category, o.property, o.message],
    );
    // The staging table is this run's alone: filling it outside the transaction is safe, and
    // keeps the transaction small (BigQuery sends it as one script).
    await warehouse.execute(`delete from ${staging} where true`);
    await warehouse.insertRows(tables.outcomes, ['record_key', 'ok', 'record_id', 'kind', 'category', 'property', 'message'], rows);
    // The changes are narrowed to the checkpoint's keys first, so the join is built on the few
    // (measured on DuckDB at 1,000,000 changes: 5 ms a checkpoint instead of 10). The staging
    // table is qualified by its bare name: BigQuery does not resolve `dataset`.`table`.column.
    await warehouse.execute(
      `update ${staging} set row_hash = c.${q(HASH)}, tier = c.${q(TIER)}, kind = c.${q(KIND)}
       from (select ${q(KEY)}, ${q(HASH)}, ${q(TIER)}, ${q(KIND)} from ${d.table(tables.changes)} where ${q(KEY)} in (select record_key from ${staging})) c
       where ${q(tables.outcomes.name)}.record_key = c.${q(KEY)}`,
    );
    await this.state.checkpoint(sync.name, this.run.runId, tables.outcomes, at);
    // What HubSpot held before (the snapshot, not moved yet) and what it holds now, for rollback.
    await this.history?.capture(sync, this.run.runId, { changes: tables.changes, delivered: tables.delivered, outcomes: tables.outcomes }, KEY, at);
    await recordDelivered(warehouse, sync, tables, tables.outcomes);
    if (this.run.backfill) {
      // Delivered or failed, the key is sent: failed keys are in row errors, which the next sync retries.
      await warehouse.execute({
        sql: `update ${d.table(this.run.backfill.table)} set sent_at = ? where sent_at is null and record_key in (select record_key from ${staging})`,
        values: [at],
      });
    }
  }

  /**
   * After every change was sent: drops the row errors of keys no longer in the model. A full
   * diff put every key still in row errors into the changes table, so an error whose key is
   * not there belongs to a key that left the model (a bad email fixed at the source) and can
   * never land. Nothing for a backfill (its diff holds only its selection).
   */
  async forgetStaleErrors(): Promise<void> {
    if (this.run.backfill) return;
    const d = this.warehouse.dialect;
    const errors = d.table(this.tables.rowErrors);
    const key = d.quote(KEY);
    // The inner list is the changes table's keys that are in row errors (few), not the whole
    // changes table (every row on a first sync), which the engine would otherwise hold in memory.
    await this.warehouse.execute({
      sql: `delete from ${errors} where sync_name = ? and record_key not in (
              select ${key} from ${d.table(this.tables.changes)} where ${key} in (select record_key from ${errors} where sync_name = ?))`,
      values: [this.sync.name, this.sync.name],
    });
  }

  /** Forgets the keys that left the model, in state and in the snapshot, their HubSpot values kept (on_removed: keep). */
  async forgetRemoved(): Promise<void> {
    if (this.summary.removed === 0) return;
    const d = this.warehouse.dialect;
    const removed = `select ${d.quote(KEY)} from ${d.table(this.tables.removed)}`;
    await this.warehouse.execute({ sql: `delete from ${d.table(this.tables.syncState)} where sync_name = ? and record_key in (${removed})`, values: [this.sync.name] });
    await this.warehouse.execute(`delete from ${d.table(this.tables.delivered)} where record_key in (${removed})`);
  }

  /** Writes every change into state as delivered (hash and tier, no record id): RecordStore.seedDelivered. */
  async seedState(): Promise<void> {
    const d = this.warehouse.dialect;
    const q = d.quote;
    await this.warehouse.execute({
      sql: `insert into ${d.table(this.tables.syncState)} (sync_name, record_key, row_hash, record_id, tier, run_id, synced_at)
            select ?, ${q(KEY)}, ${q(HASH)}, null, ${q(TIER)}, ?, ? from ${d.table(this.tables.changes)}`,
      values: [this.sync.name, this.run.runId, new Date()],
    });
  }

  /** Drops the run's private tables (changes, removed, staged outcomes). */
  async drop(): Promise<void> {
    for (const table of [this.tables.changes, this.tables.removed, this.tables.outcomes]) {
      await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(table)}`);
    }
  }
}

const BEFORE_KEY = 'pqlsync__before_key';
const BEFORE = 'pqlsync__before_';
const DIFFERS = 'pqlsync__differs_';

function toChange(sync: SyncConfig, row: Row, kind: string): Change {
  const recordId = row[RECORD_ID] === null || row[RECORD_ID] === undefined ? null : String(row[RECORD_ID]);
  return {
    key: String(row[KEY]),
    // A retried row is sent as what it is now: an update when HubSpot has its record, else a create.
    kind: kind === 'retry' ? (recordId ? 'changed' : 'new') : (kind as Change['kind']),
    recordId,
    values: kind === 'clear' ? {} : mappedValues(sync, row),
  };
}

function mappedValues(sync: SyncConfig, row: Row): Change['values'] {
  return Object.fromEntries(sync.properties.map((p) => [p.column, row[p.column] ?? null]));
}

/**
 * Diffs a sync's model against its state, inside the warehouse: the row hash over the
 * mapped columns is computed in SQL, and the changed rows land in the changes table.
 * Nothing here reads rows into the runner but counts.
 */
async function diffSync(
  warehouse: Warehouse,
  sync: SyncConfig,
  tables: SyncTables,
  options: DiffOptions,
  snapshotMatches: () => Promise<boolean>,
): Promise<DiffSummary> {
  const d = warehouse.dialect;
  const q = (id: string) => d.quote(id);
  const model = d.table(tables.model);
  const columns = sync.properties.map((p) => p.column);
  const unique = [...new Set(columns)];
  const key = `${d.macros.to_string(`m.${q(sync.key)}`)}`;
  const tier = sync.guardrails.tier_column ? d.macros.to_string(`m.${q(sync.guardrails.tier_column)}`) : 'null';
  // The sync name is a validated identifier, safe as a literal in DDL (where some engines refuse parameters).
  const syncName = `'${sync.name}'`;

  await checkColumns(warehouse, sync, tables.model);
  await checkKeys(warehouse, sync, model);

  // The keys and hashes are compared first, narrow (key, hash, record id: what a join has to hold
  // or spill), and the mapped columns are read only for the rows that changed: carrying every
  // mapped column through the join made DuckDB hold or spill whole rows of the model (at 1 M rows
  // it failed at a 64MB limit that the narrow join runs in).
  // The hash names the mapping too (state/mapping-fingerprint.ts): a row delivered under another
  // mapping is stale even when its values are not. A hash without a fingerprint (state written
  // before fingerprints existed) is compared by its values: that state is taken as delivered
  // under today's mapping.
  const { fingerprint } = mappingFingerprint(sync);
  const current = `select h.${q(KEY)}, '${fingerprint}:' || h.${q(VALUES_HASH)} as ${q(HASH)}, h.${q(VALUES_HASH)}
    from (select ${key} as ${q(KEY)}, ${d.macros.row_hash(...columns.map((c) => `m.${q(c)}`))} as ${q(VALUES_HASH)}
          from ${model} m where m.${q(sync.key)} is not null) h`;
  // Delivered as the row is now (same mapping and values, or an old-style hash and same values).
  const stale = `st.row_hash <> cur.${q(HASH)} and st.row_hash <> cur.${q(VALUES_HASH)}`;
  // Delivered under today's mapping (or before fingerprints): only its values can have moved.
  const sameMapping = `(st.row_hash like '${fingerprint}:%' or st.row_hash not like '%:%')`;
  const selected = options.selection
    ? ` and cur.${q(KEY)} in (select record_key from ${d.table(options.selection)} where sent_at is null)`
    : '';
  // insert_once (events): a delivered key is never sent again, whatever its values became.
  // With significance, a key whose every change is insignificant (compared with the snapshot of
  // what was delivered, state/significance.ts) stays unchanged: its state and snapshot stay as
  // delivered, so small moves add up across runs.
  const quiet = await quietKeys(warehouse, sync, tables, options, { model, modelKey: key }, snapshotMatches);
  const changedHash =
    sync.mode === 'insert_once'
      ? '1 = 0'
      : `(${stale}${quiet ? ` and cur.${q(KEY)} not in (select record_key from quiet)` : ''})`;
  const pending = options.ignoreState
    ? `st as (select record_key, record_id from ${d.table(tables.syncState)} where sync_name = ${syncName}),
    p as (select cur.${q(KEY)}, cur.${q(HASH)}, st.record_id as ${q(RECORD_ID)},
        case when st.record_key is null then 'new' else 'changed' end as ${q(KIND)}
      from cur left join st on st.record_key = cur.${q(KEY)}
      where 1 = 1${selected})`
    : `st as (select record_key, row_hash, record_id from ${d.table(tables.syncState)} where sync_name = ${syncName}),${quiet ? `
    moved as (select cur.${q(KEY)} from cur join st on st.record_key = cur.${q(KEY)} where ${stale} and ${sameMapping}),
    quiet as (${quiet}),` : ''}
    err as (select distinct record_key from ${d.table(tables.rowErrors)} where sync_name = ${syncName}),
    p as (select cur.${q(KEY)}, cur.${q(HASH)}, st.record_id as ${q(RECORD_ID)},
        case when st.record_key is null then 'new'
             when ${changedHash} then 'changed'
             else 'retry' end as ${q(KIND)}
      from cur left join st on st.record_key = cur.${q(KEY)}
      where (st.record_key is null or ${changedHash}
         or cur.${q(KEY)} in (select record_key from err))${selected})`;
  const changes = `with cur as (${current}),
    ${pending}
    select p.${q(KEY)}, ${unique.map((c) => `m.${q(c)}`).join(', ')}, p.${q(HASH)}, ${tier} as ${q(TIER)}, p.${q(RECORD_ID)}, p.${q(KIND)}
    from p join ${model} m on ${key} = p.${q(KEY)}`;
  await warehouse.execute(d.createTableAs(tables.changes, changes, 'table'));
  const heldBack = quiet
    ? Number(
        (
          await warehouse.query(`with cur as (${current}),
            st as (select record_key, row_hash from ${d.table(tables.syncState)} where sync_name = ${syncName}),
            moved as (select cur.${q(KEY)} from cur join st on st.record_key = cur.${q(KEY)} where ${stale} and ${sameMapping}),
            quiet as (${quiet})
            select count(*) as n from quiet where record_key not in (select ${q(KEY)} from ${d.table(tables.changes)})`)
        )[0]?.n ?? 0,
      )
    : 0;

  const remapped = options.ignoreState ? [] : await remappedRows(warehouse, tables, syncName, fingerprint);

  // A backfill re-sends what it selected and nothing else: no key counts as removed.
  const removed = `select st.record_key as ${q(KEY)}, st.record_id as ${q(RECORD_ID)}
    from ${d.table(tables.syncState)} st
    where st.sync_name = ${syncName}
      and ${options.ignoreState || options.selection || sync.mode === 'insert_once' ? '1 = 0' : `not exists (select 1 from ${model} m where ${key} = st.record_key)`}`;
  await warehouse.execute(d.createTableAs(tables.removed, removed, 'table'));

  const [counts] = await warehouse.query(`select
      (select count(*) from ${model} m where m.${q(sync.key)} is not null) as n_rows,
      (select count(*) from ${model} m where m.${q(sync.key)} is null) as n_null_keys,
      (select count(*) from ${d.table(tables.changes)} where ${q(KIND)} = 'new') as n_new,
      (select count(*) from ${d.table(tables.changes)} where ${q(KIND)} = 'changed') as n_changed,
      (select count(*) from ${d.table(tables.changes)} where ${q(KIND)} = 'retry') as n_retry,
      (select count(*) from ${d.table(tables.removed)}) as n_removed`);
  const n = (k: string) => Number(counts[k] ?? 0);
  return {
    rows: n('n_rows'),
    new: n('n_new'),
    changed: n('n_changed'),
    retrying: n('n_retry'),
    unchanged: n('n_rows') - n('n_new') - n('n_changed') - n('n_retry'),
    heldBack,
    remapped,
    removed: n('n_removed'),
    nullKeys: n('n_null_keys'),
  };
}

/**
 * The SELECT of keys whose changes are all insignificant (state/significance.ts), or null when
 * significance does not apply: no rule in the mapping, a backfill (it re-sends on purpose), or no
 * delivered snapshot matching the mapping (then every change is sent, which rebuilds it).
 */
async function quietKeys(
  warehouse: Warehouse,
  sync: SyncConfig,
  tables: SyncTables,
  options: DiffOptions,
  sql: { model: string; modelKey: string },
  snapshotMatches: () => Promise<boolean>,
): Promise<string | null> {
  if (!hasSignificance(sync) || options.ignoreState || sync.mode === 'insert_once') return null;
  if (!(await snapshotMatches())) return null;
  const d = warehouse.dialect;
  return insignificantKeysSql(d, sync, { moved: 'moved', keyColumn: KEY, model: sql.model, modelKey: sql.modelKey, delivered: d.table(tables.delivered) });
}

export interface RemappedRows {
  /** The fingerprint of the mapping the rows were delivered under (state/mapping-fingerprint.ts). */
  fingerprint: string;
  rows: number;
}

/** The changed rows whose state hash names another mapping than `fingerprint`, grouped by it. */
async function remappedRows(warehouse: Warehouse, tables: SyncTables, syncName: string, fingerprint: string): Promise<RemappedRows[]> {
  const d = warehouse.dialect;
  const q = d.quote;
  const rows = await warehouse.query(
    `select substr(st.row_hash, 1, ${FINGERPRINT_PREFIX_LENGTH - 1}) as fingerprint, count(*) as n
     from ${d.table(tables.changes)} c join ${d.table(tables.syncState)} st on st.sync_name = ${syncName} and st.record_key = c.${q(KEY)}
     where c.${q(KIND)} = 'changed' and st.row_hash like '%:%' and st.row_hash not like '${fingerprint}:%'
     group by 1 order by 2 desc`,
  );
  return rows.map((r) => ({ fingerprint: String(r.fingerprint), rows: Number(r.n) }));
}

/** A key that appears twice would be sent twice in one batch, which HubSpot rejects whole. */
async function checkKeys(warehouse: Warehouse, sync: SyncConfig, model: string): Promise<void> {
  const q = warehouse.dialect.quote;
  const rows = await warehouse.query(
    `select ${q(sync.key)} as k, count(*) as n from ${model} where ${q(sync.key)} is not null
     group by ${q(sync.key)} having count(*) > 1 order by count(*) desc, ${q(sync.key)} limit 5`,
  );
  if (rows.length > 0) {
    const sample = rows.map((r) => `${r.k} (${r.n}×)`).join(', ');
    throw new ModelError(
      `Model '${sync.model}' has duplicate values in the key column '${sync.key}' of sync '${sync.name}': ${sample}. ` +
        `Make the key unique in the model (add a unique test to its header).`,
    );
  }
}

/** Every mapped column and the key must exist in the model, named before anything runs. */
async function checkColumns(warehouse: Warehouse, sync: SyncConfig, model: TableName): Promise<void> {
  const columns = await warehouse.describe(model);
  if (!columns) {
    // Not a broken model: the commands were run out of order (exit 2, as in backfill and handoff).
    throw new ConfigError(`Sync '${sync.name}' reads model '${sync.model}', which is not built: run pqlsync build first.`);
  }
  const have = new Set(columns.map((c) => c.name.toLowerCase()));
  const wanted = [sync.key, ...sync.properties.map((p) => p.column), ...(sync.guardrails.tier_column ? [sync.guardrails.tier_column] : [])];
  const missing = [...new Set(wanted.filter((c) => !have.has(c)))];
  if (missing.length > 0) {
    throw new ModelError(
      `Sync '${sync.name}' maps column(s) ${missing.join(', ')} that model '${sync.model}' does not have ` +
        `(it has: ${[...have].join(', ')}).`,
    );
  }
}

/** Mapped columns of a sync, each once, in mapping order. */
function mappedColumns(sync: SyncConfig): string[] {
  return [...new Set(sync.properties.map((p) => p.column))];
}

/** Whether the delivered snapshot exists with the sync's current mapping (a plan only reads it then). */
async function deliveredTableMatches(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables): Promise<boolean> {
  const have = await warehouse.describe(tables.delivered);
  return !!have && have.map((c) => c.name.toLowerCase()).join(',') === ['record_key', ...mappedColumns(sync)].join(',');
}

/**
 * Creates the delivered snapshot of a sync when missing, and recreates it (empty) when
 * the mapping changed: before-values of columns that were never sent cannot be known.
 * Only a sync, under its lock, calls this: a plan never changes the snapshot.
 */
async function ensureDeliveredTable(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables): Promise<void> {
  const d = warehouse.dialect;
  const wanted = ['record_key', ...mappedColumns(sync)];
  const have = await warehouse.describe(tables.delivered);
  if (have && have.map((c) => c.name.toLowerCase()).join(',') === wanted.join(',')) return;
  if (have) await warehouse.execute(`drop table ${d.table(tables.delivered)}`);
  await warehouse.execute(`create table ${d.table(tables.delivered)} (${wanted.map((c) => `${d.quote(c)} ${d.types.string}`).join(', ')})`);
}

/**
 * Moves the delivered snapshot forward after a checkpoint, set-based: keys the checkpoint
 * acknowledged take the values of the changes table (cleared keys leave the snapshot).
 * `outcomes` holds the checkpoint's outcomes (record_key, ok, kind).
 */
async function recordDelivered(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables, outcomes: TableName): Promise<void> {
  const d = warehouse.dialect;
  const q = d.quote;
  const columns = mappedColumns(sync);
  const snapshot = d.table(tables.delivered);
  const o = d.table(outcomes);
  await warehouse.transaction(async (tx) => {
    await tx.execute(`delete from ${snapshot} where record_key in (select record_key from ${o} where ok = true and kind <> 'new')`);
    await tx.execute(
      `insert into ${snapshot} (record_key, ${columns.map(q).join(', ')})
       select c.${q(KEY)}, ${columns.map((c) => d.macros.to_string(`c.${q(c)}`)).join(', ')}
       from ${d.table(tables.changes)} c
       where c.${q(KEY)} in (select record_key from ${o} where ok = true and kind <> 'clear')`,
    );
  });
}

export interface PropertyChange {
  column: string;
  property: string;
  /** Changed rows whose value of this column differs from the one last delivered. */
  rows: number;
}

/**
 * Which properties the pending 'changed' rows change, most first: for each mapped column,
 * the rows whose value differs (NULL-safe) from the delivered snapshot. One query.
 * Rows delivered before the snapshot existed have no before-value and are not counted.
 */
async function changedProperties(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables): Promise<PropertyChange[]> {
  const d = warehouse.dialect;
  const q = d.quote;
  const columns = mappedColumns(sync);
  const sums = columns.map(
    (c, i) => `sum(case when s.${q(c)} is distinct from ${d.macros.to_string(`c.${q(c)}`)} then 1 else 0 end) as ${q(`p${i}`)}`,
  );
  const [row] = await warehouse.query(
    `select ${sums.join(', ')} from ${d.table(tables.changes)} c
     join ${d.table(tables.delivered)} s on s.record_key = c.${q(KEY)}
     where c.${q(KIND)} = 'changed'`,
  );
  const byColumn = new Map(columns.map((c, i) => [c, Number(row?.[`p${i}`] ?? 0)]));
  return sync.properties
    .map((p) => ({ column: p.column, property: p.property, rows: byColumn.get(p.column) ?? 0 }))
    .filter((p) => p.rows > 0)
    .sort((a, b) => b.rows - a.rows || a.property.localeCompare(b.property));
}
