import { hostname } from 'node:os';
import { DELETED_PREFIX } from '../../connectors/destination.ts';
import type { Row, Statement, TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../config/schema.ts';
import { ConfigError, LockHeldError } from '../../contracts/errors.ts';
import { deadRunTables, handoffRunTables } from './run-tables.ts';
import { stateTableDdl } from './state-tables.ts';

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
   * Commits a checkpoint whose outcomes are staged in `staging` (record_key, ok, record_id,
   * row_hash, tier, kind, category, property, message; see record-store.ts): one transaction
   * moves delivered keys into (or, when cleared, out of) sync state and out of row errors, and
   * records failed keys in row errors with their attempt count. Set-based statements, never one
   * per record. A crash before the transaction commits changes nothing in state (the keys are
   * re-sent, and upserts are idempotent).
   */
  async checkpoint(syncName: string, runId: string, staging: TableName, at: Date = new Date()): Promise<void> {
    const o = this.warehouse.dialect.table(staging);
    const state = this.t('sync_state');
    const errors = this.t('row_errors');
    const errorsName = this.warehouse.dialect.quote('row_errors');
    const stateName = this.warehouse.dialect.quote('sync_state');
    const stmt = (sql: string, values: Value[]): Statement => ({ sql, values });
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
   * Cleans up after runs of this sync that died without finishing (SIGKILL, a lost machine):
   * their run-history rows still say 'running', and their per-run tables are left behind (every
   * kind in run-tables.ts: the sync's, its associations', the handoff's). Call it holding the
   * sync's lock: then no other run of the sync is alive. Plans are not in run history, so a plan
   * running beside us keeps its tables.
   */
  async abandonDeadRuns(sync: { name: string; associations?: ReadonlyArray<{ to: string }> }, currentRunId: string): Promise<string[]> {
    const dead = await this.warehouse.query({
      sql: `select run_id from ${this.t('runs')} where sync_name = ? and status = 'running' and run_id <> ?`,
      values: [sync.name, currentRunId],
    });
    const runIds = dead.map((r) => String(r.run_id));
    for (const runId of runIds) {
      await this.dropTables(deadRunTables(this.schema, sync, runId));
      await this.warehouse.execute({
        sql: `update ${this.t('runs')} set status = 'failed', finished_at = ?, message = ? where sync_name = ? and run_id = ?`,
        values: [new Date(), 'abandoned: the process ended without finishing (killed?); found and cleaned up by the next run', sync.name, runId],
      });
    }
    return runIds;
  }

  /**
   * Opens a sync's run in run history, holding the sync's lock: first cleans up after its dead
   * runs (see abandonDeadRuns), then records the run as running. Answers the dead runs' ids.
   */
  async beginSync(sync: SyncConfig, run: { runId: string; command: string; startedAt: Date }): Promise<string[]> {
    const dead = await this.abandonDeadRuns(sync, run.runId);
    await this.startRun({ ...run, syncName: sync.name, status: 'running' });
    return dead;
  }

  /** Drops the handoff's work tables of runs that died holding its lock (see acquireLock). */
  async dropHandoffLeftovers(deadRunIds: readonly string[]): Promise<void> {
    for (const runId of deadRunIds) await this.dropTables(handoffRunTables(this.schema, runId));
  }

  private async dropTables(tables: TableName[]): Promise<void> {
    for (const table of tables) await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(table)}`);
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

  /**
   * When one run was writing with any of these syncs: the start and end of each of its syncs
   * among them that finished having sent something (or with its count unknown: one that failed),
   * oldest first. A sync still running is not listed (its end is not known).
   */
  async writeWindows(runId: string, syncNames: readonly string[]): Promise<Array<{ from: Date; to: Date }>> {
    if (syncNames.length === 0) return [];
    const rows = await this.warehouse.query({
      sql: `select started_at, finished_at from ${this.t('runs')}
            where run_id = ? and sync_name in (${syncNames.map(() => '?').join(', ')}) and command in ('sync', 'backfill')
              and finished_at is not null and (n_sent is null or n_sent > 0)
            order by started_at`,
      values: [runId, ...syncNames],
    });
    return rows.map((r) => ({ from: asDate(r.started_at), to: asDate(r.finished_at) }));
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

  async countErrors(syncName: string): Promise<number> {
    const [row] = await this.warehouse.query({ sql: `select count(*) as n from ${this.t('row_errors')} where sync_name = ?`, values: [syncName] });
    return Number(row.n);
  }

  /**
   * Takes the lock of a sync. Insert-then-check: after inserting our row, any other live
   * row means we lose (and remove ours), so two runs can both lose but never both win.
   * A row left by a killed process on this host, or past its expiry, is taken over: answers the
   * run ids whose lock it took over (dead runs, whose leftovers the caller may drop).
   */
  async acquireLock(syncName: string, runId: string, ttlMs: number): Promise<string[]> {
    const locks = this.t('locks');
    const now = new Date();
    const expired = await this.warehouse.query({ sql: `select run_id from ${locks} where sync_name = ? and expires_at < ?`, values: [syncName, now] });
    const takenOver = expired.map((r) => String(r.run_id));
    await this.warehouse.execute({ sql: `delete from ${locks} where sync_name = ? and expires_at < ?`, values: [syncName, now] });
    for (const holder of await this.lockHolders(syncName)) {
      if (deadOnThisHost(holder.host, holder.pid)) {
        await this.releaseLock(syncName, String(holder.run_id));
        takenOver.push(String(holder.run_id));
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
    return takenOver.filter((id) => id !== runId);
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

}

/**
 * The lock a build takes on its models schema (incremental models read and move their
 * watermarks, so two builds of one schema must not interleave), kept beside the syncs' locks.
 */
export const BUILD_LOCK_PREFIX = 'build:';

/**
 * Whether the process that wrote a row (a lock, a dry run: its host and pid) is gone: only a
 * process on this host can be checked; one elsewhere is not known to be dead.
 */
export function deadOnThisHost(host: Value, pid: Value): boolean {
  return host === hostname() && !isAlive(Number(pid));
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

function asDate(v: Row[string]): Date {
  return v instanceof Date ? v : new Date(String(v));
}
