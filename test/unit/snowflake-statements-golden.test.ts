/**
 * The statements pqlsync sends to Snowflake for sync state, checkpoints, the diff, backfill
 * selections, the lock and the dry runs' registry, kept as golden SQL
 * (test/golden/snowflake/statements/). No analyzer for Snowflake runs here (ZetaSQL is
 * BigQuery's; its Snowflake variant keeps BigQuery's semantics), so each construct in these
 * files was reviewed against Snowflake's documentation; a change to any of them shows up here
 * as a diff to review the same way. Checked against
 * docs.snowflake.com (sql-reference/…):
 * - sql/update: `UPDATE <target_table> SET <col> = … [FROM <additional_tables>] [WHERE …]`, set
 *   columns unqualified, the target's columns qualified by its name in WHERE (the page's own
 *   example). No alias on the target: the page documents none.
 * - sql/delete and operators-subquery: `DELETE FROM <table> [USING …] [WHERE <condition>]`, with
 *   `[NOT] IN (<query>)` and `[NOT] EXISTS (<query>)` conditions (subquery operators, WHERE).
 * - sql/create-table: CREATE [OR REPLACE] TABLE … AS SELECT, CREATE TABLE IF NOT EXISTS.
 * - transactions: BEGIN … COMMIT / ROLLBACK on one session; an explicit transaction should hold
 *   only DML and queries (DDL, CTAS included, commits it implicitly): the checkpoint's holds only
 *   DML, the staging table is created and filled before it.
 * - data-types-logical: BOOLEAN "can be used in expressions (for example, a SELECT list)": the dry
 *   runs' `started_at < ? as expired`. sql/drop-table: DROP TABLE [IF EXISTS] <name>.
 * - functions/md5: MD5 returns a 32-character hex-encoded string (no TO_HEX, unlike BigQuery).
 * Values travel as bind parameters (`?`); they are not part of the golden files.
 */
import { describe, it } from 'vitest';
import { snowflakeDialect } from '../../connectors/snowflake/snowflake.dialect.ts';
import type { ColumnInfo, Query, Row, SqlRunner, TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { prepareBackfill } from '../../src/state/backfill-store.ts';
import { DryRunRegistry } from '../../src/state/dry-run-registry.ts';
import { RecordStore, type ChangeSet } from '../../src/state/record-store.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { stateTableDdl } from '../../src/state/state-tables.ts';
import { expectGolden } from '../golden/golden.ts';
import { shippedProject } from '../helpers/project.ts';

const RUN_ID = '20261127T142300Z-a1b2c3';
const AT = new Date('2026-11-27T14:23:00.000Z');

/** A Snowflake-dialect warehouse that records what it is sent and answers small canned results. */
class RecordingWarehouse implements Warehouse {
  readonly dialect = snowflakeDialect;
  readonly capabilities = { maxParameters: 16_384, transactions: 'interactive' as const };
  readonly statements: string[] = [];
  constructor(private readonly columns: (t: TableName) => ColumnInfo[] | undefined) {}
  private record(query: Query, prefix = ''): void {
    const sql = typeof query === 'string' ? query : query.sql;
    this.statements.push(prefix + sql.replace(/[ \t]+\n/g, '\n').trim());
  }
  async execute(query: Query): Promise<void> {
    this.record(query);
  }
  async query(query: Query): Promise<Row[]> {
    this.record(query);
    const sql = typeof query === 'string' ? query : query.sql;
    // Counts answer one row of zeros; everything else (duplicate keys, lock holders) no rows.
    return /count\(\*\)/.test(sql) && !/having/.test(sql) && !/group by/.test(sql) ? [{ n: 0 }] : [];
  }
  async insertRows(table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    this.record(`insert into ${this.dialect.table(table)} (${columns.join(', ')}) values ${tuple} -- × ${rows.length} rows`);
  }
  async *stream(): AsyncIterable<Row[]> {}
  async describe(table: TableName): Promise<ColumnInfo[] | undefined> {
    return this.columns(table);
  }
  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    this.statements.push('begin');
    const result = await fn({ execute: (q) => this.execute(q), query: (q) => this.query(q), insertRows: (t, c, r) => this.insertRows(t, c, r) });
    this.statements.push('commit');
    return result;
  }
  async close(): Promise<void> {}
  /** What was sent since the last take, as a golden file's text. */
  take(): string {
    const text = this.statements.map((s) => `${s};`).join('\n\n');
    this.statements.length = 0;
    return text;
  }
}

describe('Snowflake statements for state, checkpoints, diff, backfill and the lock (golden SQL)', async () => {
  const { project, cleanup } = await shippedProject();
  await cleanup();
  const sync = project.config.syncs.find((s) => s.name === 'contacts') as SyncConfig;
  const schemas = { models: 'pqlsync_models', state: 'pqlsync' };
  const model = { schema: schemas.models, name: sync.model };
  const w = new RecordingWarehouse((t) => {
    if (t.name === model.name) {
      return [sync.key, ...sync.properties.map((p) => p.column), 'last_active_at'].map((name) => ({ name, type: name.endsWith('_at') ? 'TIMESTAMP_NTZ' : 'VARCHAR' }));
    }
    // The delivered snapshot, with the mapping's columns: the plan reads before-values from it.
    if (t.name === `delivered__${sync.name}`) return ['record_key', ...new Set(sync.properties.map((p) => p.column))].map((name) => ({ name, type: 'VARCHAR' }));
    return undefined;
  });
  const state = new StateStore(w, schemas.state);
  const records = new RecordStore(w, state, schemas);
  const golden = (name: string) => expectGolden(`snowflake/statements/${name}.sql`, w.take());
  let changes: ChangeSet;

  it('state tables', () => {
    w.statements.push(...stateTableDdl(snowflakeDialect, schemas.state));
    golden('state-tables');
  });

  it('diff into the run’s own tables', async () => {
    changes = await records.diff(sync, { runId: RUN_ID });
    golden('diff');
    await records.diff(sync, { runId: RUN_ID, backfill: { table: { schema: schemas.state, name: `backfill__${sync.name}` } } });
    golden('diff-backfill');
  });

  it('checkpoint: staging (hash, tier and kind joined from the changes), then one transaction over state and row errors', async () => {
    await changes.checkpoint(
      [
        { key: 'a@x.io', ok: true, recordId: '1' },
        { key: 'b@x.io', ok: false, category: 'validation', property: 'p', message: 'bad' },
      ],
      AT,
    );
    golden('checkpoint');
  });

  it('delivered snapshot, removed keys, row errors and the run’s tables', async () => {
    changes.summary = { ...changes.summary, changed: 1, removed: 1 };
    await changes.changedProperties();
    await changes.forgetRemoved();
    await changes.forgetStaleErrors();
    await changes.drop();
    golden('after-sync');
  });

  it('lock and run history', async () => {
    await state.acquireLock(sync.name, RUN_ID, 60_000);
    await state.renewLock(sync.name, RUN_ID, 60_000);
    await state.releaseLock(sync.name, RUN_ID);
    await state.startRun({ runId: RUN_ID, command: 'sync', syncName: sync.name, startedAt: AT, status: 'running' });
    await state.finishRun({ runId: RUN_ID, command: 'sync', syncName: sync.name, startedAt: AT, status: 'success' });
    await state.abandonDeadRuns(sync, RUN_ID);
    await state.lastRuns();
    await state.openErrors();
    await changes.tierShares();
    golden('lock-and-runs');
  });

  it('dry runs: registered, the dead found and their tables dropped, forgotten', async () => {
    const dryRuns = new DryRunRegistry(w, schemas.state);
    await dryRuns.register({ runId: RUN_ID, command: 'plan', syncs: [sync.name] }, AT);
    await dryRuns.unregister(RUN_ID);
    // The registry answers one dead dry run (another host's, past the age), whose tables are then dropped.
    const query = w.query.bind(w);
    w.query = async (q) => {
      const rows = await query(q);
      return /dry_runs/i.test(typeof q === 'string' ? q : q.sql) ? [{ run_id: RUN_ID, command: 'plan', syncs: sync.name, host: 'elsewhere', pid: 1, expired: true }] : rows;
    };
    try {
      await dryRuns.dropDead(project.config.syncs, AT);
    } finally {
      w.query = query;
    }
    golden('dry-runs');
  });

  it('backfill selection and marking sent keys', async () => {
    const ctx = { warehouse: w, schemas, runId: RUN_ID };
    const prepared = await prepareBackfill(ctx, sync, { selection: { kind: 'since', column: 'last_active_at', since: '2026-10-01T00:00:00.000Z' } });
    golden('backfill');
    const backfill = await records.diff(sync, { runId: RUN_ID, backfill: prepared });
    w.take();
    await backfill.checkpoint([{ key: 'a@x.io', ok: true, recordId: '1' }], AT);
    golden('backfill-checkpoint');
  });
});
