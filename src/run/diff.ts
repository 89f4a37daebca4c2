import { syncRelation, type SyncConfig } from '../config/schema.ts';
import { ConfigError, ModelError } from '../../contracts/errors.ts';
import type { TableName, Warehouse } from '../../connectors/warehouse.ts';
import { runTableName } from '../state/state-store.ts';
import { hasSignificance, insignificantKeysSql } from './significance.ts';
import { FINGERPRINT_PREFIX_LENGTH, mappingFingerprint } from '../state/mapping-fingerprint.ts';

/** Internal columns of the changes table; mapped model columns keep their own names. */
export const KEY = 'pqlsync__key';
export const HASH = 'pqlsync__hash';
export const RECORD_ID = 'pqlsync__record_id';
export const KIND = 'pqlsync__kind';
export const TIER = 'pqlsync__tier';
/** The md5 of a row's mapped values alone (the hash without the mapping's fingerprint). */
const VALUES_HASH = 'pqlsync__values_hash';

export interface SyncTables {
  model: TableName;
  syncState: TableName;
  rowErrors: TableName;
  /** This run's pending changes: new, changed and retried rows, with their values (private to the run). */
  changes: TableName;
  /** Keys in state that left the model (private to the run). */
  removed: TableName;
  /**
   * What HubSpot was last sent for each delivered key: the key and every mapped column
   * as text. Kept at each checkpoint, so `plan` can show before → after values.
   */
  delivered: TableName;
  /** A backfill's selection: the keys to re-send and when each was sent (null: not yet). */
  backfill: TableName;
}

/**
 * The tables one run of a sync works with. The changes and removed tables carry the run id:
 * a `plan` beside a running sync diffs into tables of its own, and the sync only ever reads
 * what its own diff wrote.
 */
export function syncTables(sync: SyncConfig, schemas: { models: string; state: string }, runId: string): SyncTables {
  const state = (name: string) => ({ schema: schemas.state, name });
  return {
    model: syncRelation(sync, schemas.models),
    syncState: state('sync_state'),
    rowErrors: state('row_errors'),
    changes: state(runTableName('changes', sync.name, runId)),
    removed: state(runTableName('removed', sync.name, runId)),
    delivered: state(`delivered__${sync.name}`),
    backfill: state(`backfill__${sync.name}`),
  };
}

/** Options of a diff; none for a normal sync. */
export interface DiffOptions {
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
  /** Of the unchanged rows, those whose values moved but not significantly (run/significance.ts): not sent. */
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

/**
 * Diffs a sync's model against its state, inside the warehouse: the row hash over the
 * mapped columns is computed in SQL, and the changed rows land in the changes table.
 * Nothing here reads rows into the runner but counts.
 */
export async function diffSync(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables, options: DiffOptions = {}): Promise<DiffSummary> {
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
  // what was delivered, run/significance.ts) stays unchanged: its state and snapshot stay as
  // delivered, so small moves add up across runs.
  const quiet = await quietKeys(warehouse, sync, tables, options, { model, modelKey: key });
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
 * The SELECT of keys whose changes are all insignificant (run/significance.ts), or null when
 * significance does not apply: no rule in the mapping, a backfill (it re-sends on purpose), or no
 * delivered snapshot matching the mapping (then every change is sent, which rebuilds it).
 */
async function quietKeys(
  warehouse: Warehouse,
  sync: SyncConfig,
  tables: SyncTables,
  options: DiffOptions,
  sql: { model: string; modelKey: string },
): Promise<string | null> {
  if (!hasSignificance(sync) || options.ignoreState || sync.mode === 'insert_once') return null;
  if (!(await deliveredTableMatches(warehouse, sync, tables))) return null;
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
export function mappedColumns(sync: SyncConfig): string[] {
  return [...new Set(sync.properties.map((p) => p.column))];
}

/** Drops the run's private diff tables (changes, removed). */
export async function dropRunTables(warehouse: Warehouse, tables: SyncTables): Promise<void> {
  for (const table of [tables.changes, tables.removed]) await warehouse.execute(`drop table if exists ${warehouse.dialect.table(table)}`);
}

/** Whether the delivered snapshot exists with the sync's current mapping (a plan only reads it then). */
export async function deliveredTableMatches(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables): Promise<boolean> {
  const have = await warehouse.describe(tables.delivered);
  return !!have && have.map((c) => c.name.toLowerCase()).join(',') === ['record_key', ...mappedColumns(sync)].join(',');
}

/**
 * Creates the delivered snapshot of a sync when missing, and recreates it (empty) when
 * the mapping changed: before-values of columns that were never sent cannot be known.
 * Only a sync, under its lock, calls this: a plan never changes the snapshot.
 */
export async function ensureDeliveredTable(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables): Promise<void> {
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
export async function recordDelivered(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables, outcomes: TableName): Promise<void> {
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

/** Drops keys that left the model from the snapshot (on_removed: keep forgets them). */
export async function forgetDelivered(warehouse: Warehouse, tables: SyncTables): Promise<void> {
  const d = warehouse.dialect;
  await warehouse.execute(
    `delete from ${d.table(tables.delivered)} where record_key in (select ${d.quote(KEY)} from ${d.table(tables.removed)})`,
  );
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
export async function changedProperties(warehouse: Warehouse, sync: SyncConfig, tables: SyncTables): Promise<PropertyChange[]> {
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
