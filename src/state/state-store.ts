import { hostname } from 'node:os';
import { DELETED_PREFIX } from '../../connectors/destination.ts';
import type { Row, Statement, TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import { ConfigError, LockHeldError } from '../../contracts/errors.ts';
import { stateTableDdl } from './state-tables.ts';

/** What one record's delivery came to, as the checkpoint stores it. */
export interface DeliveryOutcome {
  key: string;
  ok: boolean;
  recordId: string | null;
  /** Hash of the values delivered (null for a cleared record: it leaves state). */
  hash: string | null;
  tier: string | null;
  kind: 'new' | 'changed' | 'retry' | 'clear';
  category: string | null;
  property: string | null;
  message: string | null;
}

/** The priority class column of prioritisedChangesSql (0 first). */
export const PRIORITY = 'pqlsync__priority';
const OUTCOME_COLUMNS = ['record_key', 'ok', 'record_id', 'row_hash', 'tier', 'kind', 'category', 'property', 'message'];

export interface RunRecord {
  runId: string;
  command: string;
  syncName: string | null;
  startedAt: Date;
  finishedAt?: Date;
  status: 'running' | 'success' | 'partial' | 'failed' | 'stopped';
  counts?: { rows: number; new: number; changed: number; unchanged: number; removed: number; sent: number; failed: number };
  requests?: number;
  message?: string;
}

export type RunLogStatus = 'success' | 'partial' | 'failed' | 'stopped' | 'interrupted';

/** What to do when the state belongs to another portal than the token's (exit 2). */
export function accountMismatchMessage(schema: string, bound: string, current: string): string {
  const fresh = `${schema}_${current}`;
  return (
    `The sync state in schema '${schema}' was delivered to HubSpot portal ${bound}, but this token reaches portal ${current}. ` +
    `Nothing was sent: reading portal ${bound}'s state would skip every row portal ${current} has never received. ` +
    `If portal ${current} is where pqlsync should deliver now, give it a state of its own: set \`state_schema: ${fresh}\` in pqlsync.yml ` +
    `(or PQLSYNC_STATE_SCHEMA=${fresh}, or --state-schema ${fresh}); the next run sends every row there as a first sync, and portal ${bound}'s state stays in '${schema}'. ` +
    `If the token is the wrong one, export portal ${bound}'s token instead.`
  );
}

/**
 * Sync state, run history, row errors and the lock, as tables in the warehouse.
 * State advances only through `checkpoint`, and only for acknowledged records.
 */
export class StateStore {
  constructor(
    private readonly warehouse: Warehouse,
    readonly schema: string,
  ) {}

  private t(name: string): string {
    return this.warehouse.dialect.table({ schema: this.schema, name });
  }

  async ensureTables(): Promise<void> {
    for (const ddl of stateTableDdl(this.warehouse.dialect, this.schema)) await this.warehouse.execute(ddl);
  }

  /**
   * Creates the run's own outcome staging table (see `outcomesTable`), empty. Nothing else
   * reads or writes it; `dropOutcomes` removes it when the run ends.
   */
  async createOutcomes(table: TableName): Promise<void> {
    const { string: s, boolean: b } = this.warehouse.dialect.types;
    const name = this.warehouse.dialect.table(table);
    const columns = OUTCOME_COLUMNS.map((c) => `${c} ${c === 'ok' ? b : s}`).join(', ');
    await this.warehouse.execute(`drop table if exists ${name}`);
    await this.warehouse.execute(`create table ${name} (${columns})`);
  }

  async dropOutcomes(table: TableName): Promise<void> {
    await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(table)}`);
  }

  /**
   * Commits a checkpoint: the outcomes are staged in the run's own table (`staging`, from
   * `outcomesTable`), then one transaction moves delivered keys into (or, when cleared, out of)
   * sync state and out of row errors, and records failed keys in row errors with their attempt
   * count. Set-based statements, never one per record. A crash before the transaction commits
   * changes nothing in state (the keys are re-sent, and upserts are idempotent).
   */
  async checkpoint(syncName: string, runId: string, staging: TableName, outcomes: DeliveryOutcome[], at: Date = new Date()): Promise<void> {
    if (outcomes.length === 0) return;
    const rows: Value[][] = outcomes.map((o) => [o.key, o.ok, o.recordId, o.hash, o.tier, o.kind, o.category, o.property, o.message]);
    const o = this.warehouse.dialect.table(staging);
    const state = this.t('sync_state');
    const errors = this.t('row_errors');
    const errorsName = this.warehouse.dialect.quote('row_errors');
    const stateName = this.warehouse.dialect.quote('sync_state');
    const stmt = (sql: string, values: Value[]): Statement => ({ sql, values });
    // The staging table is this run's alone: filling it outside the transaction is safe, and
    // keeps the transaction small (BigQuery sends it as one script).
    await this.warehouse.execute(`delete from ${o} where true`);
    await this.warehouse.insertRows(staging, OUTCOME_COLUMNS, rows);
    await this.warehouse.transaction(async (tx) => {
      await tx.execute(
        // A changed key is in state (the diff said so, under the lock): its row is updated in place.
        // Deleting and inserting it again, as for the other kinds, would leave DuckDB holding the
        // version info of the deleted rows in memory (16 KiB for every 2,048-row vector touched, until
        // a checkpoint rewrites the row group), which it cannot spill: at 10,000,000 rows of state,
        // scattered daily changes pinned about 80 MB of its memory limit.
        stmt(
          `update ${state} set row_hash = f.row_hash, record_id = f.record_id, tier = f.tier, run_id = ?, synced_at = ?
           from ${o} f where f.ok = true and f.kind = 'changed' and ${stateName}.sync_name = ? and ${stateName}.record_key = f.record_key`,
          [runId, at, syncName],
        ),
      );
      await tx.execute(
        // New keys are not in state: skipping them keeps a first sync from scanning the whole state
        // table at every checkpoint. Retried keys may or may not be; cleared ones leave it.
        stmt(`delete from ${state} where sync_name = ? and record_key in (select record_key from ${o} where ok = true and kind in ('retry', 'clear'))`, [syncName]),
      );
      await tx.execute(
        stmt(
          `insert into ${state} (sync_name, record_key, row_hash, record_id, tier, run_id, synced_at)
           select ?, record_key, row_hash, record_id, tier, ?, ? from ${o} where ok = true and kind in ('new', 'retry')`,
          [syncName, runId, at],
        ),
      );
      await tx.execute(
        stmt(`delete from ${errors} where sync_name = ? and record_key in (select record_key from ${o} where ok = true)`, [syncName]),
      );
      await tx.execute(
        stmt(
          // The target's columns are qualified by its bare name: BigQuery does not resolve
          // `dataset`.`table`.column, and Snowflake's UPDATE documents no alias for the target.
          `update ${errors} set run_id = ?, category = f.category, property = f.property, message = f.message,
             attempts = attempts + 1, last_failed_at = ?
           from ${o} f where f.ok = false and ${errorsName}.sync_name = ? and ${errorsName}.record_key = f.record_key`,
          [runId, at, syncName],
        ),
      );
      await tx.execute(
        stmt(
          `insert into ${errors} (sync_name, record_key, run_id, category, property, message, attempts, first_failed_at, last_failed_at)
           select ?, f.record_key, ?, f.category, f.property, f.message, 1, ?, ? from ${o} f
           where f.ok = false and not exists (select 1 from ${errors} e where e.sync_name = ? and e.record_key = f.record_key)`,
          [syncName, runId, at, at, syncName],
        ),
      );
    });
  }

  /**
   * Drops the row errors of keys that are no longer in the model: `changesTable` holds every
   * key of the model still in row errors (a full diff re-sends them all), so after a run
   * that went through it, an error whose key is not there can never land.
   */
  async forgetErrorsNotIn(syncName: string, changesTable: string, keyColumn: string): Promise<void> {
    const errors = this.t('row_errors');
    // The inner list is the changes table's keys that are in row errors (few), not the whole
    // changes table (every row on a first sync), which the engine would otherwise hold in memory.
    await this.warehouse.execute({
      sql: `delete from ${errors} where sync_name = ? and record_key not in (
              select ${keyColumn} from ${changesTable} where ${keyColumn} in (select record_key from ${errors} where sync_name = ?))`,
      values: [syncName, syncName],
    });
  }

  /** Forgets keys that left the model while their HubSpot values are kept (on_removed: keep). */
  async forgetRemoved(syncName: string, removedTable: string, keyColumn: string): Promise<void> {
    await this.warehouse.execute({
      sql: `delete from ${this.t('sync_state')} where sync_name = ? and record_key in (select ${keyColumn} from ${removedTable})`,
      values: [syncName],
    });
  }

  /**
   * Cleans up after runs of this sync that died without finishing (SIGKILL, a lost machine):
   * their run-history rows still say 'running', and their per-run tables are left behind.
   * Call it holding the sync's lock: then no other run of the sync is alive. Plans are not
   * in run history, so a plan running beside us keeps its tables.
   */
  async abandonDeadRuns(syncName: string, currentRunId: string): Promise<string[]> {
    const dead = await this.warehouse.query({
      sql: `select run_id from ${this.t('runs')} where sync_name = ? and status = 'running' and run_id <> ?`,
      values: [syncName, currentRunId],
    });
    const runIds = dead.map((r) => String(r.run_id));
    for (const runId of runIds) {
      for (const kind of RUN_TABLE_KINDS) {
        await this.warehouse.execute(`drop table if exists ${this.t(runTableName(kind, syncName, runId))}`);
      }
      await this.warehouse.execute({
        sql: `update ${this.t('runs')} set status = 'failed', finished_at = ?, message = ? where sync_name = ? and run_id = ?`,
        values: [new Date(), 'abandoned: the process ended without finishing (killed?); found and cleaned up by the next run', syncName, runId],
      });
    }
    return runIds;
  }

  /** The destination account this state describes, null before the first sync. */
  async boundAccount(): Promise<string | null> {
    const [row] = await this.warehouse.query(`select account_id from ${this.t('destination_account')} order by bound_at limit 1`);
    return row ? String(row.account_id) : null;
  }

  /**
   * Binds this state to the account a sync is about to write to, or checks that it is bound to
   * it: state delivered to one HubSpot portal says nothing of another, and reading it as if it did
   * would skip every row (docs/delivery.md, "One portal per state"). Throws a ConfigError (exit 2)
   * naming both portals and what to do when the state belongs to another.
   */
  async claimAccount(accountId: string, runId: string): Promise<'bound' | 'same'> {
    const bound = await this.boundAccount();
    if (bound === accountId) return 'same';
    if (bound !== null) throw new ConfigError(accountMismatchMessage(this.schema, bound, accountId));
    await this.warehouse.execute({
      sql: `insert into ${this.t('destination_account')} (account_id, bound_at, run_id) values (?, ?, ?)`,
      values: [accountId, new Date(), runId],
    });
    return 'bound';
  }

  /** Records a sync's mapping under its fingerprint (once per fingerprint). */
  async rememberMapping(syncName: string, fingerprint: string, mapping: string, runId: string): Promise<void> {
    const [row] = await this.warehouse.query({
      sql: `select count(*) as n from ${this.t('sync_mappings')} where sync_name = ? and fingerprint = ?`,
      values: [syncName, fingerprint],
    });
    if (Number(row.n) > 0) return;
    await this.warehouse.execute({
      sql: `insert into ${this.t('sync_mappings')} (sync_name, fingerprint, mapping, first_run_id, first_seen_at) values (?, ?, ?, ?, ?)`,
      values: [syncName, fingerprint, mapping, runId, new Date()],
    });
  }

  /** The mappings a sync delivered under, by fingerprint. */
  async mappings(syncName: string): Promise<Map<string, string>> {
    const rows = await this.warehouse.query({ sql: `select fingerprint, mapping from ${this.t('sync_mappings')} where sync_name = ?`, values: [syncName] });
    return new Map(rows.map((r) => [String(r.fingerprint), String(r.mapping)]));
  }

  /** Opens a run's line in the run log (every command that works on this state). */
  async logRunStart(entry: { runId: string; command: string; startedAt: Date }): Promise<void> {
    await this.warehouse.execute({
      sql: `insert into ${this.t('run_log')} (run_id, command, started_at, status) values (?, ?, ?, 'running')`,
      values: [entry.runId, entry.command, entry.startedAt],
    });
  }

  /** Closes a run's line with how it ended: its exit code and, when it failed, why. */
  async logRunEnd(entry: { runId: string; status: RunLogStatus; exitCode: number; message?: string; accountId?: string | null }): Promise<void> {
    await this.warehouse.execute({
      sql: `update ${this.t('run_log')} set finished_at = ?, status = ?, exit_code = ?, message = ?, account_id = ? where run_id = ?`,
      values: [new Date(), entry.status, entry.exitCode, entry.message ?? null, entry.accountId ?? null, entry.runId],
    });
  }

  /** The last runs of the run log, newest first; runs recorded before the log existed come from `runs`. */
  async lastRunLog(limit = 10): Promise<Row[]> {
    return this.warehouse.query(`select * from ${this.t('run_log')} order by started_at desc limit ${Math.trunc(limit)}`);
  }

  /** The per-sync rows of these runs. */
  async syncRunsOf(runIds: string[]): Promise<Row[]> {
    if (runIds.length === 0) return [];
    return this.warehouse.query({
      sql: `select * from ${this.t('runs')} where run_id in (${runIds.map(() => '?').join(', ')}) order by started_at, sync_name`,
      values: runIds,
    });
  }

  async startRun(run: RunRecord): Promise<void> {
    await this.warehouse.execute({
      sql: `insert into ${this.t('runs')} (run_id, command, sync_name, started_at, status) values (?, ?, ?, ?, ?)`,
      values: [run.runId, run.command, run.syncName, run.startedAt, run.status],
    });
  }

  async finishRun(run: RunRecord): Promise<void> {
    const c = run.counts;
    await this.warehouse.execute({
      sql: `update ${this.t('runs')} set finished_at = ?, status = ?, n_rows = ?, n_new = ?, n_changed = ?, n_unchanged = ?,
              n_removed = ?, n_sent = ?, n_failed = ?, requests = ?, message = ?
            where run_id = ? and ${run.syncName === null ? 'sync_name is null' : 'sync_name = ?'}`,
      values: [
        run.finishedAt ?? new Date(),
        run.status,
        c?.rows ?? null,
        c?.new ?? null,
        c?.changed ?? null,
        c?.unchanged ?? null,
        c?.removed ?? null,
        c?.sent ?? null,
        c?.failed ?? null,
        run.requests ?? null,
        run.message ?? null,
        run.runId,
        ...(run.syncName === null ? [] : [run.syncName]),
      ],
    });
  }

  async lastRuns(limit = 10): Promise<Row[]> {
    return this.warehouse.query(`select * from ${this.t('runs')} order by started_at desc, sync_name limit ${Math.trunc(limit)}`);
  }

  async openErrors(limit = 50): Promise<Row[]> {
    return this.warehouse.query(
      `select sync_name, record_key, category, property, message, attempts, first_failed_at, last_failed_at
       from ${this.t('row_errors')} order by sync_name, record_key limit ${Math.trunc(limit)}`,
    );
  }

  /** Per sync, the records someone deleted in HubSpot that the sync leaves deleted (on_deleted_in_hubspot: skip). */
  async deletedInDestination(): Promise<Array<{ sync_name: string; deleted: number }>> {
    const rows = await this.warehouse.query({
      sql: `select sync_name, count(*) as deleted from ${this.t('sync_state')} where record_id like ? group by sync_name order by sync_name`,
      values: [`${DELETED_PREFIX}%`],
    });
    return rows.map((r) => ({ sync_name: String(r.sync_name), deleted: Number(r.deleted) }));
  }

  /**
   * A query over a run's changes table giving each row its priority class under a tight daily
   * budget, as column `pqlsync__priority` (docs/hubspot.md, "Daily budget"): 0 rows whose tier
   * enters one of `pqlTiers` (new PQLs, tier changes into them), 1 other tier changes and records
   * never delivered, 2 score moves (`scoreMoved`: a boolean over c, the changes, and s, the
   * delivered snapshot left-joined by key when given), 3 the rest (counters). Set-based: the class is
   * computed in the warehouse; `ordered` sorts by class, then key.
   */
  prioritisedChangesSql(
    syncName: string,
    sql: { changes: string; delivered: string | null; keyColumn: string; tierColumn: string; pqlTiers: readonly string[]; scoreMoved: string; ordered: boolean },
  ): string {
    const lit = (v: string) => `'${v.replace(/'/g, "''")}'`;
    const tier = `c.${sql.tierColumn}`;
    const moved = `(${tier} is not null and (st.tier is null or st.tier <> ${tier}))`;
    return `select c.*, case when ${moved} and ${tier} in (${sql.pqlTiers.map(lit).join(', ')}) then 0
          when ${moved} or st.record_key is null then 1
          when ${sql.scoreMoved} then 2
          else 3 end as ${PRIORITY}
      from ${sql.changes} c
      left join ${this.t('sync_state')} st on st.sync_name = ${lit(syncName)} and st.record_key = c.${sql.keyColumn}
      ${sql.delivered ? `left join ${sql.delivered} s on s.record_key = c.${sql.keyColumn}` : ''}${sql.ordered ? `
      order by ${PRIORITY}, c.${sql.keyColumn}` : ''}`;
  }

  async countErrors(syncName: string): Promise<number> {
    const [row] = await this.warehouse.query({ sql: `select count(*) as n from ${this.t('row_errors')} where sync_name = ?`, values: [syncName] });
    return Number(row.n);
  }

  /** Tier shares among delivered rows, for the guardrails. */
  async tierShares(syncName: string): Promise<{ total: number; shares: Map<string, number> }> {
    const rows = await this.warehouse.query({
      sql: `select tier, count(*) as n from ${this.t('sync_state')} where sync_name = ? group by tier`,
      values: [syncName],
    });
    const total = rows.reduce((sum, r) => sum + Number(r.n), 0);
    return { total, shares: new Map(rows.map((r) => [String(r.tier), total ? Number(r.n) / total : 0])) };
  }

  /**
   * Takes the lock of a sync. Insert-then-check: after inserting our row, any other live
   * row means we lose (and remove ours), so two runs can both lose but never both win.
   * A row left by a killed process on this host, or past its expiry, is taken over.
   */
  async acquireLock(syncName: string, runId: string, ttlMs: number): Promise<void> {
    const locks = this.t('locks');
    const now = new Date();
    await this.warehouse.execute({ sql: `delete from ${locks} where sync_name = ? and expires_at < ?`, values: [syncName, now] });
    for (const holder of await this.lockHolders(syncName)) {
      if (holder.host === hostname() && !isAlive(Number(holder.pid))) {
        await this.releaseLock(syncName, String(holder.run_id));
      }
    }
    await this.warehouse.execute({
      sql: `insert into ${locks} (sync_name, run_id, host, pid, acquired_at, expires_at) values (?, ?, ?, ?, ?, ?)`,
      values: [syncName, runId, hostname(), process.pid, now, new Date(now.getTime() + ttlMs)],
    });
    const others = (await this.lockHolders(syncName)).filter((h) => h.run_id !== runId);
    if (others.length > 0) {
      await this.releaseLock(syncName, runId);
      const h = others[0];
      throw new LockHeldError(
        `${syncName.startsWith(BUILD_LOCK_PREFIX) ? `The build of schema '${syncName.slice(BUILD_LOCK_PREFIX.length)}'` : `Sync '${syncName}'`} is locked by run ${h.run_id} (host ${h.host}, pid ${h.pid}, since ${toIso(h.acquired_at)}). ` +
          `Skip this run, run again when that one has finished, or pass --wait <seconds> to queue behind it (a lock left by a dead process on this host, or past its expiry, is taken over).`,
      );
    }
  }

  async renewLock(syncName: string, runId: string, ttlMs: number): Promise<void> {
    await this.warehouse.execute({
      sql: `update ${this.t('locks')} set expires_at = ? where sync_name = ? and run_id = ?`,
      values: [new Date(Date.now() + ttlMs), syncName, runId],
    });
  }

  async releaseLock(syncName: string, runId: string): Promise<void> {
    await this.warehouse.execute({ sql: `delete from ${this.t('locks')} where sync_name = ? and run_id = ?`, values: [syncName, runId] });
  }

  async lockHolders(syncName?: string): Promise<Row[]> {
    return syncName
      ? this.warehouse.query({ sql: `select * from ${this.t('locks')} where sync_name = ?`, values: [syncName] })
      : this.warehouse.query(`select * from ${this.t('locks')}`);
  }

  /**
   * The staging table of one run's checkpoint outcomes (record_key, ok, kind, …). After
   * `checkpoint` returns, it holds that checkpoint's outcomes until the next one.
   */
  outcomesTable(syncName: string, runId: string): TableName {
    return { schema: this.schema, name: runTableName('outcomes', syncName, runId) };
  }
}

/**
 * The lock a build takes on its models schema (incremental models read and move their
 * watermarks, so two builds of one schema must not interleave), kept beside the syncs' locks.
 */
export const BUILD_LOCK_PREFIX = 'build:';

/** The kinds of table private to one run of a sync: its diff (changes, removed) and its checkpoint staging. */
export const RUN_TABLE_KINDS = ['changes', 'removed', 'outcomes'] as const;

/**
 * The name of a table private to one run of one sync (`<kind>__<sync>__<run tag>`): a `plan`,
 * a `build` or another run never reads or writes what this run created.
 */
export function runTableName(kind: (typeof RUN_TABLE_KINDS)[number], syncName: string, runId: string): string {
  return `${kind}__${syncName}__${runTag(runId)}`;
}

/**
 * A short tag for a run id, so names stay within PostgreSQL's 63 characters (which it would
 * otherwise truncate silently): '20261127T142300Z-a1b2c3' → '142300_a1b2c3'.
 */
export function runTag(runId: string): string {
  const standard = /T(\d{6})Z-([0-9a-f]+)$/.exec(runId);
  return standard ? `${standard[1]}_${standard[2]}` : runId.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(-16);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function toIso(v: Value): string {
  return v instanceof Date ? v.toISOString() : String(v);
}
