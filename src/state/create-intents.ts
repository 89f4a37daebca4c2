/**
 * The create journal: where the portal keeps no unique values on a sync's key (tasks; docs/hubspot.md,
 * "Tasks and unique values"), a create repeated after an uncertain answer or a kill would make a
 * second record. So the intent of each create is recorded here, in the warehouse, before the
 * request: one row per key (sync, key, the parent record it is created with, run, time). A key with
 * an intent and no sync state is one whose create may have landed unseen: the destination looks for
 * it before creating it again. Intents of delivered keys are forgotten. This module owns the table
 * (created with the other state tables, state-tables.ts).
 */
import type { TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import { DELETED_PREFIX } from '../../connectors/destination.ts';

export const CREATE_INTENTS = 'create_intents';

/** Where a journaled sync's parents are: its model's key and parent columns, and the parent sync (whose state holds the ids). */
export interface ParentSource {
  syncName: string;
  /** The sync whose records are the parents (a tasks sync's contacts sync). */
  parentSync: string;
  model: TableName;
  keyColumn: string;
  parentColumn: string;
}

export interface JournalEntry {
  /**
   * The parent's record id: the one an earlier attempt's intent names, else the parent sync's;
   * null when the parent has none yet (or was deleted in HubSpot).
   */
  parentId: string | null;
  /** An intent was recorded before this run's page (a create that may have landed). */
  attempted: boolean;
}

export class CreateIntents {
  constructor(
    private readonly warehouse: Warehouse,
    readonly schema: string,
  ) {}

  private t(name: string): string {
    return this.warehouse.dialect.table({ schema: this.schema, name });
  }

  /**
   * For each key (as the changes table has it: the key column as text): its parent's record id
   * and whether an intent exists. One query for the page.
   */
  async lookup(source: ParentSource, keys: readonly string[]): Promise<Map<string, JournalEntry>> {
    const out = new Map<string, JournalEntry>();
    if (keys.length === 0) return out;
    const d = this.warehouse.dialect;
    const q = d.quote;
    const key = d.macros.to_string(`m.${q(source.keyColumn)}`);
    const rows = await this.warehouse.query({
      // A key intended before keeps the parent its create was sent with: that is where it is looked for.
      sql: `select ${key} as record_key, coalesce(i.parent_id, p.record_id) as parent_id, i.record_key as intended
        from ${d.table(source.model)} m
        left join ${this.t('sync_state')} p on p.sync_name = ? and p.record_key = ${d.macros.to_string(`m.${q(source.parentColumn)}`)}
        left join ${this.t(CREATE_INTENTS)} i on i.sync_name = ? and i.record_key = ${key}
        where ${key} in (${keys.map(() => '?').join(', ')})`,
      values: [source.parentSync, source.syncName, ...keys],
    });
    for (const row of rows) {
      const parent = row.parent_id === null || row.parent_id === undefined ? null : String(row.parent_id);
      out.set(String(row.record_key), { parentId: parent && !parent.startsWith(DELETED_PREFIX) ? parent : null, attempted: row.intended !== null && row.intended !== undefined });
    }
    return out;
  }

  /** Records the intent to create these keys (one multi-row insert); call it before the request. */
  async record(syncName: string, runId: string, intents: ReadonlyArray<{ key: string; parentId: string }>, at = new Date()): Promise<void> {
    if (intents.length === 0) return;
    const rows: Value[][] = intents.map((i) => [syncName, i.key, i.parentId, runId, at]);
    await this.warehouse.insertRows({ schema: this.schema, name: CREATE_INTENTS }, ['sync_name', 'record_key', 'parent_id', 'run_id', 'intended_at'], rows);
  }

  /** Forgets the intents of keys now in sync state (delivered: their create is settled). */
  async forgetDelivered(syncName: string): Promise<void> {
    await this.warehouse.execute({
      sql: `delete from ${this.t(CREATE_INTENTS)} where sync_name = ?
              and record_key in (select record_key from ${this.t('sync_state')} where sync_name = ?)`,
      values: [syncName, syncName],
    });
  }

  /** Keys of a sync with an intent and no delivery yet: each is looked for in HubSpot before it is created. */
  async pending(syncName: string): Promise<number> {
    const [row] = await this.warehouse.query({
      sql: `select count(*) as n from ${this.t(CREATE_INTENTS)} i where i.sync_name = ?
              and not exists (select 1 from ${this.t('sync_state')} s where s.sync_name = ? and s.record_key = i.record_key)`,
      values: [syncName, syncName],
    });
    return Number(row?.n ?? 0);
  }
}
