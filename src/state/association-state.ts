/**
 * Association state: one row per association pqlsync wrote (sync, target sync, from key, to
 * key, both record ids), kept in the warehouse like sync state, so a rerun writes only the
 * pairs that are new and can remove the pairs that left the model. This module owns the
 * table and the run-private tables an association diff writes.
 */
import type { TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import { DELETED_PREFIX } from '../../connectors/destination.ts';
import { pairOwner, runTable } from './run-tables.ts';

export const ASSOCIATION_STATE = 'association_state';

interface PairTables {
  /** The model's pairs with both record ids (null when not delivered), computed once per diff (private to the run). */
  resolved: TableName;
  /** Pairs of this run to write: from_key, to_key, from_id, to_id (private to the run). */
  pending: TableName;
  /** Pairs in state that left the model (or whose record ids changed): from_key, to_key, from_id, to_id. */
  removed: TableName;
}

export interface PairDiff {
  /** Pairs in the model. */
  pairs: number;
  /** Pairs to write: both records have ids and the pair is not in state. */
  pending: number;
  /** Pairs whose from or to record has no id yet (not delivered, or failed): they wait for a later run. */
  waiting: number;
  /** Pairs in state that left the model. */
  removed: number;
}

export interface PairSource {
  /** The sync writing the associations, and the sync holding the targets. */
  syncName: string;
  toSync: string;
  /** The model of the sync, its key column and the column with the target's key. */
  model: TableName;
  keyColumn: string;
  targetColumn: string;
}

export class AssociationStore {
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
      `create table if not exists ${this.t(ASSOCIATION_STATE)} (
        sync_name ${s}, to_sync ${s}, from_key ${s}, to_key ${s}, from_id ${s}, to_id ${s}, run_id ${s}, synced_at ${ts})`,
    );
  }

  /**
   * Diffs the model's pairs against association state into tables private to `runId`, and
   * answers the handle over them (dropped on a failure here; by the caller's `drop` otherwise).
   */
  async diff(source: PairSource, runId: string): Promise<PairChangeSet> {
    const owner = pairOwner(source.syncName, source.toSync);
    const tables: PairTables = {
      resolved: runTable(this.schema, 'resolved', runId, owner),
      pending: runTable(this.schema, 'pairs', runId, owner),
      removed: runTable(this.schema, 'unpaired', runId, owner),
    };
    const pairs = new PairChangeSet(this.warehouse, this.schema, source, runId, tables);
    try {
      pairs.summary = await this.diffPairs(source, tables);
    } catch (error) {
      await pairs.drop().catch(() => undefined);
      throw error;
    }
    return pairs;
  }

  /**
   * Diffs the model's pairs against association state, in the warehouse: the record ids come
   * from both syncs' state (sync_state), so a pair is ready only once both records landed.
   */
  private async diffPairs(source: PairSource, tables: PairTables): Promise<PairDiff> {
    const d = this.warehouse.dialect;
    const q = d.quote;
    const str = (e: string) => d.macros.to_string(e);
    const lit = (name: string) => `'${name}'`; // validated identifiers
    const current = `select distinct ${str(`m.${q(source.keyColumn)}`)} as from_key, ${str(`m.${q(source.targetColumn)}`)} as to_key
      from ${d.table(source.model)} m where m.${q(source.keyColumn)} is not null and m.${q(source.targetColumn)} is not null`;
    // A record left deleted in HubSpot (its id in state marked, connectors/destination.ts) has no
    // id to associate: its pairs wait, as for a record not delivered yet.
    const live = (e: string) => `case when ${e} like '${DELETED_PREFIX}%' then null else ${e} end`;
    const resolved = `select c.from_key, c.to_key, ${live('f.record_id')} as from_id, ${live('t.record_id')} as to_id
      from (${current}) c
      left join ${this.t('sync_state')} f on f.sync_name = ${lit(source.syncName)} and f.record_key = c.from_key
      left join ${this.t('sync_state')} t on t.sync_name = ${lit(source.toSync)} and t.record_key = c.to_key`;
    // The resolved pairs are materialised once: the pending and removed diffs below then each
    // join two tables, where inlining them ran the distinct and both state joins twice more,
    // all at once (at 1,000,000 contacts the removed diff ran out of a 512MB limit).
    await this.warehouse.execute(d.createTableAs(tables.resolved, resolved, 'table'));
    const r = d.table(tables.resolved);
    const known = `select from_key, to_key, from_id, to_id from ${this.t(ASSOCIATION_STATE)}
      where sync_name = ${lit(source.syncName)} and to_sync = ${lit(source.toSync)}`;
    await this.warehouse.execute(
      d.createTableAs(
        tables.pending,
        `select r.from_key, r.to_key, r.from_id, r.to_id from ${r} r
         where r.from_id is not null and r.to_id is not null
           and not exists (select 1 from (${known}) k where k.from_key = r.from_key and k.to_key = r.to_key and k.from_id = r.from_id and k.to_id = r.to_id)`,
        'table',
      ),
    );
    await this.warehouse.execute(
      d.createTableAs(
        tables.removed,
        `select k.from_key, k.to_key, k.from_id, k.to_id from (${known}) k
         where not exists (select 1 from ${r} r where r.from_key = k.from_key and r.to_key = k.to_key and r.from_id = k.from_id and r.to_id = k.to_id)`,
        'table',
      ),
    );
    const [counts] = await this.warehouse.query(`select
        (select count(*) from ${r}) as n_pairs,
        (select count(*) from ${r} r where r.from_id is null or r.to_id is null) as n_waiting,
        (select count(*) from ${d.table(tables.pending)}) as n_pending,
        (select count(*) from ${d.table(tables.removed)}) as n_removed`);
    const n = (k: string) => Number(counts[k] ?? 0);
    return { pairs: n('n_pairs'), pending: n('n_pending'), waiting: n('n_waiting'), removed: n('n_removed') };
  }

  /** Associations recorded for a sync (for status and tests). */
  async count(syncName: string): Promise<number> {
    const [row] = await this.warehouse.query({ sql: `select count(*) as n from ${this.t(ASSOCIATION_STATE)} where sync_name = ?`, values: [syncName] });
    return Number(row.n);
  }
}

/** A pair as HubSpot writes it (record ids) and as state keeps it (keys too). */
export interface Pair {
  fromKey: string;
  toKey: string;
  fromId: string;
  toId: string;
}

/**
 * One association's diff in the warehouse, as `ChangeSet` is a sync's records': its counts, the
 * pairs to write and those that left the model in pages, and the state updates for what HubSpot
 * acknowledged. Nothing outside this module reads its tables.
 */
export class PairChangeSet {
  summary: PairDiff = { pairs: 0, pending: 0, waiting: 0, removed: 0 };

  constructor(
    private readonly warehouse: Warehouse,
    private readonly schema: string,
    private readonly source: PairSource,
    private readonly runId: string,
    private readonly tables: PairTables,
  ) {}

  /** The pairs to write, `size` a page. */
  pending(size: number): AsyncIterable<Pair[]> {
    return this.pages(this.tables.pending, size);
  }

  /** The pairs in state that left the model, `size` a page. */
  removed(size: number): AsyncIterable<Pair[]> {
    return this.pages(this.tables.removed, size);
  }

  private async *pages(table: TableName, size: number): AsyncIterable<Pair[]> {
    for await (const page of this.warehouse.stream(`select from_key, to_key, from_id, to_id from ${this.warehouse.dialect.table(table)}`, size)) {
      yield page.map((r) => ({ fromKey: String(r.from_key), toKey: String(r.to_key), fromId: String(r.from_id), toId: String(r.to_id) }));
    }
  }

  /** Records pairs HubSpot acknowledged (one multi-row insert per call). */
  async recordWritten(pairs: readonly Pair[], at = new Date()): Promise<void> {
    if (pairs.length === 0) return;
    const { source, runId } = this;
    const rows: Value[][] = pairs.map((p) => [source.syncName, source.toSync, p.fromKey, p.toKey, p.fromId, p.toId, runId, at]);
    await this.warehouse.insertRows({ schema: this.schema, name: ASSOCIATION_STATE }, ['sync_name', 'to_sync', 'from_key', 'to_key', 'from_id', 'to_id', 'run_id', 'synced_at'], rows);
  }

  /** Forgets every pair that left the model (after they were archived in HubSpot, or when kept there). */
  async forgetRemoved(): Promise<void> {
    const d = this.warehouse.dialect;
    // One value per pair, for an IN list every engine takes (BigQuery refuses a correlated
    // reference to the table a DELETE names). Record ids are digits, so the ids lead.
    const pair = (p: string) => `concat(${p}from_id, '>', ${p}to_id, '>', ${p}from_key, '>', ${p}to_key)`;
    await this.warehouse.execute({
      sql: `delete from ${d.table({ schema: this.schema, name: ASSOCIATION_STATE })} where sync_name = ? and to_sync = ?
              and ${pair('')} in (select ${pair('r.')} from ${d.table(this.tables.removed)} r)`,
      values: [this.source.syncName, this.source.toSync],
    });
  }

  async drop(): Promise<void> {
    for (const table of Object.values(this.tables)) await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(table)}`);
  }
}
