/**
 * Per-run history of values (docs/change-control.md): for each record a sync run delivered, the
 * values it replaced in HubSpot and the values it wrote, one row per changed property, so
 * `pqlsync rollback <run>` can put the old values back. Kept in the warehouse for the runs of the
 * last `history.retention_days` days. This module owns the history table (`run_values`) and a
 * rollback's work table (`rollback__<sync>__<run tag>`), and moves sync state and the delivered
 * snapshot back for the records a rollback restored.
 */
import type { Row, TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../config/schema.ts';
import { mappingFingerprint } from './mapping-fingerprint.ts';
import { rollbackTable } from './run-tables.ts';

export const RUN_VALUES = 'run_values';

/**
 * What a run did to one record, as the history keeps it: 'changed' (one row per property whose
 * value changed, before and after), 'new' (created by the run: a rollback never deletes it),
 * 'unknown' (delivered before pqlsync kept a snapshot: the before-values are not known) and
 * 'cleared' (its properties emptied when it left the model).
 */
export type HistoryKind = 'changed' | 'new' | 'unknown' | 'cleared';

/**
 * A rollback's verdict on one record: 'restore' (pending until sent_at is set), 'restored',
 * 'already' (HubSpot held the old values already: restored by a rollback killed before its
 * checkpoint), 'edited' (someone changed it in HubSpot after the run: left alone),
 * 'later_run' (a later pqlsync run changed it: left alone), 'kept' (nothing the write rules let
 * a rollback put back: a deal or lifecycle stage that would move back, a NULL that does not clear
 * a not_null or if_empty property), 'failed', and the kinds no rollback writes:
 * 'new', 'unknown', 'cleared'.
 */
export type RollbackVerdict = 'restore' | 'restored' | 'already' | 'edited' | 'later_run' | 'kept' | 'failed' | HistoryKind;

/** The sync's tables a history capture and a restore work with (the change set's, src/state/record-store.ts). */
export interface HistoryTables {
  /** This run's changes (pqlsync__key and every mapped column). */
  changes: TableName;
  /** The delivered snapshot (record_key and every mapped column as text). */
  delivered: TableName;
  /** The checkpoint's outcomes (record_key, ok, record_id, kind). */
  outcomes: TableName;
}

export interface RunHistoryEntry {
  syncName: string;
  runId: string;
  /** Records with history, by kind. */
  records: number;
  /** When the oldest row was recorded: the run stays restorable until this plus the retention. */
  recordedAt: Date;
}

export class RunHistoryValues {
  constructor(
    private readonly warehouse: Warehouse,
    readonly schema: string,
  ) {}

  private t(name: string): string {
    return this.warehouse.dialect.table({ schema: this.schema, name });
  }

  async ensureTable(): Promise<void> {
    const { string: s, timestamp: ts } = this.warehouse.dialect.types;
    await this.warehouse.execute(
      `create table if not exists ${this.t(RUN_VALUES)} (
        sync_name ${s}, run_id ${s}, record_key ${s}, record_id ${s}, kind ${s}, column_name ${s}, property ${s},
        before_value ${s}, after_value ${s}, recorded_at ${ts})`,
    );
  }

  /**
   * Records what the checkpoint whose outcomes are in `tables.outcomes` delivered, before the
   * delivered snapshot moves forward (it still holds the values HubSpot had). Set-based: one
   * statement. A crash after it and before the snapshot moves repeats it for those keys, so the
   * keys' earlier rows of this run are replaced, never doubled.
   */
  async capture(sync: SyncConfig, runId: string, tables: HistoryTables, keyColumn: string, at: Date): Promise<void> {
    const d = this.warehouse.dialect;
    const q = d.quote;
    const o = d.table(tables.outcomes);
    const c = d.table(tables.changes);
    const s = d.table(tables.delivered);
    const head = (kind: string) => `select ${sqlText(sync.name)}, ${sqlText(runId)}, o.record_key, o.record_id, '${kind}'`;
    const ok = `o.ok = true`;
    // A literal, not a parameter: PostgreSQL cannot type a parameter in a UNION's select list.
    const stamp = d.timestampLiteral(at.toISOString());
    const inSnapshot = `exists (select 1 from ${s} s where s.record_key = o.record_key)`;
    const perProperty = sync.properties.map(
      (p) =>
        `${head('changed')}, ${sqlText(p.column)}, ${sqlText(p.property)}, s.${q(p.column)}, ${d.macros.to_string(`c.${q(p.column)}`)}, ${stamp}
         from ${o} o join ${c} c on c.${q(keyColumn)} = o.record_key join ${s} s on s.record_key = o.record_key
         where ${ok} and o.kind in ('changed', 'retry') and s.${q(p.column)} is distinct from ${d.macros.to_string(`c.${q(p.column)}`)}`,
    );
    const whole = (kind: HistoryKind, where: string) =>
      `${head(kind)}, cast(null as ${d.types.string}), cast(null as ${d.types.string}), cast(null as ${d.types.string}), cast(null as ${d.types.string}), ${stamp} from ${o} o where ${ok} and ${where}`;
    const parts = [
      ...perProperty,
      // A retried key without a snapshot row was never delivered before: the run created it.
      whole('new', `(o.kind = 'new' or (o.kind = 'retry' and not ${inSnapshot}))`),
      whole('cleared', `o.kind = 'clear'`),
      whole('unknown', `o.kind = 'changed' and not ${inSnapshot}`),
    ];
    await this.warehouse.execute({
      sql: `delete from ${this.t(RUN_VALUES)} where sync_name = ? and run_id = ? and record_key in (select record_key from ${o} where ok = true)`,
      values: [sync.name, runId],
    });
    await this.warehouse.execute(
      `insert into ${this.t(RUN_VALUES)} (sync_name, run_id, record_key, record_id, kind, column_name, property, before_value, after_value, recorded_at)
        ${parts.join('\n        union all ')}`,
    );
  }

  /** Drops the history of runs recorded before `before` (the retention), and the work tables of rollbacks of them. */
  async prune(before: Date): Promise<void> {
    await this.warehouse.execute({ sql: `delete from ${this.t(RUN_VALUES)} where recorded_at < ?`, values: [before] });
  }

  /** The runs that can be rolled back, with their records and when recorded. */
  async restorableRuns(runIds: string[]): Promise<RunHistoryEntry[]> {
    if (runIds.length === 0) return [];
    const rows = await this.warehouse.query({
      sql: `select sync_name, run_id, count(distinct record_key) as n, min(recorded_at) as at from ${this.t(RUN_VALUES)}
            where run_id in (${runIds.map(() => '?').join(', ')}) group by sync_name, run_id`,
      values: runIds,
    });
    return rows.map((r) => ({ syncName: String(r.sync_name), runId: String(r.run_id), records: Number(r.n), recordedAt: asDate(r.at) }));
  }

  /**
   * When the run's last checkpoint was recorded, over all of its syncs (after HubSpot had
   * acknowledged every write of the run), or null when it has no history.
   */
  async lastRecordedAt(runId: string): Promise<Date | null> {
    const [row] = await this.warehouse.query({ sql: `select max(recorded_at) as at from ${this.t(RUN_VALUES)} where run_id = ?`, values: [runId] });
    return row?.at === null || row?.at === undefined ? null : asDate(row.at);
  }

  /** The syncs a run has history for. */
  async syncsOfRun(runId: string): Promise<string[]> {
    const rows = await this.warehouse.query({ sql: `select distinct sync_name from ${this.t(RUN_VALUES)} where run_id = ? order by sync_name`, values: [runId] });
    return rows.map((r) => String(r.sync_name));
  }

  /** The work table of a rollback of `runId` on one sync: one row per record the run delivered. */
  rollbackTable(syncName: string, runId: string): TableName {
    return rollbackTable(this.schema, syncName, runId);
  }

  /**
   * Creates a rollback's work table once (a rerun continues where it stopped): each record of
   * the run with its verdict so far. A changed record whose delivered snapshot no longer holds
   * what the run wrote was changed by a later run ('later_run'); the others are 'restore' until
   * HubSpot is read. Answers whether the table was there already. A dry run passes a table of
   * its own (dropped after).
   */
  async prepareRollback(syncName: string, runId: string, delivered: TableName, table = this.rollbackTable(syncName, runId)): Promise<{ resumed: boolean; table: TableName }> {
    const d = this.warehouse.dialect;
    if (await this.warehouse.describe(table)) return { resumed: true, table };
    const v = this.t(RUN_VALUES);
    const s = d.table(delivered);
    // Literals, not parameters: PostgreSQL's CREATE TABLE AS here is two statements (drop, create).
    const mine = `v.sync_name = ${sqlText(syncName)} and v.run_id = ${sqlText(runId)}`;
    // The snapshot's value of the row's column, chosen by name (one CASE arm per column it has).
    const columns = ((await this.warehouse.describe(delivered)) ?? []).map((c) => c.name).filter((c) => c !== 'record_key');
    const snapshotValue = columns.length
      ? `case ${columns.map((c) => `when v.column_name = '${c}' then s.${d.quote(c)}`).join(' ')} end`
      : 'null';
    const moved = `exists (select 1 from ${v} v left join ${s} s on s.record_key = v.record_key
        where ${mine} and v.record_key = r.record_key and v.kind = 'changed' and (s.record_key is null or ${snapshotValue} is distinct from v.after_value))`;
    await this.warehouse.execute(
      d.createTableAs(
        table,
        `select r.record_key, r.record_id,
           case when r.kind <> 'changed' then r.kind when ${moved} then 'later_run' else 'restore' end as verdict,
           cast(null as ${d.types.string}) as message, cast(null as ${d.types.timestamp}) as done_at
         from (select distinct v.record_key, v.record_id, v.kind from ${v} v where ${mine}) r`,
        'table',
      ),
    );
    return { resumed: false, table };
  }

  /** Counts of a rollback's verdicts, and a few keys of each verdict that is not a restore. */
  async rollbackSummary(table: TableName, sampleSize = 20): Promise<{ counts: Record<string, number>; samples: Record<string, Array<{ key: string; message: string | null }>> }> {
    const t = this.warehouse.dialect.table(table);
    const counts: Record<string, number> = {};
    for (const r of await this.warehouse.query(`select verdict, count(*) as n from ${t} group by verdict`)) counts[String(r.verdict)] = Number(r.n);
    const samples: Record<string, Array<{ key: string; message: string | null }>> = {};
    for (const verdict of Object.keys(counts).filter((v) => v !== 'restore' && v !== 'restored' && v !== 'already')) {
      const rows = await this.warehouse.query({ sql: `select record_key, message from ${t} where verdict = ? order by record_key limit ${Math.trunc(sampleSize)}`, values: [verdict] });
      samples[verdict] = rows.map((r) => ({ key: String(r.record_key), message: r.message === null ? null : String(r.message) }));
    }
    return { counts, samples };
  }

  /**
   * The pending records of a rollback with the values to put back, as a query streamed in key
   * order (every row of one record together): record_key, record_id, column_name, property,
   * before_value, after_value.
   */
  pendingValuesQuery(syncName: string, runId: string, table: TableName): { sql: string; values: Value[] } {
    const t = this.warehouse.dialect.table(table);
    return {
      sql: `select r.record_key, r.record_id, v.column_name, v.property, v.before_value, v.after_value
            from ${t} r join ${this.t(RUN_VALUES)} v on v.record_key = r.record_key and v.sync_name = ? and v.run_id = ? and v.kind = 'changed'
            where r.verdict = 'restore' order by r.record_key, v.column_name`,
      values: [syncName, runId],
    };
  }

  /**
   * Commits a rollback checkpoint: each record's verdict; for the records restored (or found
   * restored), sync state and the delivered snapshot take the run's before-values again, so
   * the next sync diffs against what HubSpot holds. `staging` is a table of the rollback's own
   * (record_key, verdict, message), filled here.
   */
  async commitRollback(
    sync: SyncConfig,
    runId: string,
    rollbackRunId: string,
    tables: { work: TableName; staging: TableName; delivered: TableName; syncState: TableName },
    verdicts: Array<{ key: string; verdict: RollbackVerdict; message: string | null }>,
    at: Date,
  ): Promise<void> {
    if (verdicts.length === 0) return;
    const d = this.warehouse.dialect;
    const q = d.quote;
    const st = d.table(tables.staging);
    await this.warehouse.execute(`delete from ${st} where true`);
    await this.warehouse.insertRows(tables.staging, ['record_key', 'verdict', 'message'], verdicts.map((v) => [v.key, v.verdict, v.message]));
    const restored = `select record_key from ${st} where verdict in ('restored', 'already')`;
    const snapshot = d.table(tables.delivered);
    const snapshotName = q(tables.delivered.name);
    const columns = ((await this.warehouse.describe(tables.delivered)) ?? []).map((c) => c.name).filter((c) => c !== 'record_key');
    const v = this.t(RUN_VALUES);
    const stateName = q(tables.syncState.name);
    await this.warehouse.transaction(async (tx) => {
      await tx.execute(
        `update ${d.table(tables.work)} set verdict = f.verdict, message = f.message, done_at = ${d.timestampLiteral(at.toISOString())}
         from ${st} f where ${q(tables.work.name)}.record_key = f.record_key`,
      );
      // One statement for every column: the run's before-values of the restored records,
      // pivoted to one row per record (a column the run did not change keeps its value).
      if (columns.length > 0) {
        const has = (c: string) => q(`has__${c}`);
        const pivot = columns
          .map((c) => `max(case when v.column_name = ${sqlText(c)} then 1 else 0 end) as ${has(c)}, max(case when v.column_name = ${sqlText(c)} then v.before_value end) as ${q(c)}`)
          .join(', ');
        await tx.execute({
          sql: `update ${snapshot} set ${columns.map((c) => `${q(c)} = case when p.${has(c)} = 1 then p.${q(c)} else ${snapshotName}.${q(c)} end`).join(', ')}
                from (select v.record_key, ${pivot} from ${v} v
                      where v.sync_name = ? and v.run_id = ? and v.kind = 'changed' and v.record_key in (${restored})
                      group by v.record_key) p
                where p.record_key = ${snapshotName}.record_key`,
          values: [sync.name, runId],
        });
      }
      // The hash of the snapshot's text is the hash of the model's values it was taken from
      // (row_hash casts each column to text first), under today's mapping (the snapshot is rebuilt
      // when the mapping changes): the next diff compares with what HubSpot holds.
      const tier = sync.guardrails.tier_column && columns.includes(sync.guardrails.tier_column) ? `, tier = s.${q(sync.guardrails.tier_column)}` : '';
      await tx.execute({
        sql: `update ${d.table(tables.syncState)} set row_hash = '${mappingFingerprint(sync).fingerprint}:' || ${d.macros.row_hash(...mappedColumnsOf(sync).map((c) => `s.${q(c)}`))}${tier}, run_id = ?
              from ${snapshot} s where ${stateName}.sync_name = ? and ${stateName}.record_key = s.record_key and s.record_key in (${restored})`,
        values: [rollbackRunId, sync.name],
      });
    });
  }

  async createStaging(table: TableName): Promise<void> {
    const s = this.warehouse.dialect.types.string;
    await this.warehouse.execute(`create table if not exists ${this.warehouse.dialect.table(table)} (record_key ${s}, verdict ${s}, message ${s})`);
  }

  async drop(table: TableName): Promise<void> {
    await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(table)}`);
  }

  /** Rows in the history (one per changed property of each record, one per created or cleared record). */
  async rowCount(): Promise<number> {
    const [row] = await this.warehouse.query(`select count(*) as n from ${this.t(RUN_VALUES)}`);
    return Number(row?.n ?? 0);
  }
}

/** Mapped columns of a sync, each once, in mapping order (the delivered snapshot's columns). */
function mappedColumnsOf(sync: SyncConfig): string[] {
  return [...new Set(sync.properties.map((p) => p.column))];
}

/** A string as a SQL literal (quotes doubled). */
function sqlText(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

function asDate(v: Row[string]): Date {
  return v instanceof Date ? v : new Date(String(v));
}
