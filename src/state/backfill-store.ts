/**
 * Backfills: re-send a sync's rows whatever state says, all of them or a subset.
 *
 * The selection is materialised once, into `<state_schema>.backfill__<sync>` (record_key,
 * sent_at), and described in `<state_schema>.backfills` (one row per unfinished backfill).
 * The send loop is the normal one (runSync with the prepared backfill: the change set diffs
 * only the selection, whatever state says), so it paces, batches and checkpoints like a sync;
 * each checkpoint marks the keys it committed as sent, set-based (record-store.ts). Running the same backfill again, or `--resume`, continues
 * with the keys not yet sent; a backfill that ran to the end is dropped.
 *
 * A dry run only looks: its selection goes to a table of its own (named with the run), dropped
 * when it ends, and it never discards, creates or describes a shared backfill.
 */
import { createHash } from 'node:crypto';
import type { Row, TableName, Warehouse } from '../../connectors/warehouse.ts';
import { syncRelation, type SyncConfig } from '../config/schema.ts';
import { ConfigError, WarehouseError } from '../../contracts/errors.ts';
import { runTable, syncTable } from './run-tables.ts';

/** What a backfill works with: the warehouse, the schemas and the run. */
export interface BackfillContext {
  warehouse: Warehouse;
  schemas: { models: string; state: string };
  runId: string;
}

export type BackfillSelection =
  /** Every row of the model. */
  | { kind: 'full' }
  /** Rows matching the user's own SQL predicate on the model's columns. */
  | { kind: 'where'; predicate: string }
  /** Rows whose key is in a list (a file of keys, one per line). */
  | { kind: 'keys'; keys: string[]; source: string }
  /** Rows whose updated-at column is at or after an instant. */
  | { kind: 'since'; column: string; since: string };

export interface BackfillRequest {
  /** What to select; optional with `resume`. */
  selection?: BackfillSelection;
  /** Continue the unfinished backfill of this sync (an error when there is none). */
  resume?: boolean;
  /** Discard an unfinished backfill of this sync and start this one. */
  restart?: boolean;
  /** Only look: the selection is this run's own, and no shared backfill is discarded or written. */
  dryRun?: boolean;
}

export interface PreparedBackfill {
  sync: string;
  /** The selection's table (record_key, sent_at). */
  table: TableName;
  /** The selection in words (and its identity: the same selection continues). */
  selection: string;
  /** Keys selected. */
  total: number;
  /** Keys already sent by earlier runs of this backfill. */
  sent: number;
  /** True when an unfinished backfill is continued rather than started. */
  resumed: boolean;
  /** Keys listed with --keys that the model does not have (never sent). */
  unknownKeys: number;
  /** True when `table` is this run's own (a dry run): releaseBackfill drops it. */
  scratch: boolean;
}

/** Refuses what is surely an accident in a --where predicate: a second statement or a comment. */
export function checkPredicate(predicate: string): string {
  const text = predicate.trim();
  if (text === '') throw new ConfigError('--where needs a SQL predicate on the model, e.g. --where "pql_tier = \'hot\'"');
  if (/;|--|\/\*|\*\//.test(text)) {
    throw new ConfigError(`--where must be one predicate without ';' or comments (got: ${text})`);
  }
  return text;
}

function describeSelection(selection: BackfillSelection): { label: string; identity: string } {
  switch (selection.kind) {
    case 'full':
      return { label: 'every row', identity: 'full' };
    case 'where':
      return { label: `where ${selection.predicate}`, identity: `where ${selection.predicate}` };
    case 'keys': {
      const digest = createHash('sha256').update([...selection.keys].sort().join('\n')).digest('hex').slice(0, 16);
      return { label: `${selection.keys.length} keys from ${selection.source}`, identity: `keys ${selection.keys.length} sha256:${digest}` };
    }
    case 'since':
      return { label: `${selection.column} >= ${selection.since}`, identity: `since ${selection.column} >= ${selection.since}` };
  }
}

/**
 * Materialises a backfill's selection (or finds the unfinished one to continue) and
 * answers what it holds. Throws ConfigError for a selection that cannot run: an unknown
 * column, a predicate the warehouse refuses, another backfill of the sync unfinished.
 */
export async function prepareBackfill(ctx: BackfillContext, sync: SyncConfig, request: BackfillRequest): Promise<PreparedBackfill> {
  const { warehouse } = ctx;
  const dryRun = request.dryRun === true;
  const tables = backfillTables(ctx, sync);
  const meta = dryRun ? metaTable(ctx) : await ensureMetaTable(ctx);
  let existing = await findBackfill(ctx, sync, tables, meta, { repair: !dryRun });
  if (existing && (existing.total === existing.sent || request.restart)) {
    // A dry run leaves the unfinished backfill where it is: only the real --restart discards it.
    if (!dryRun) await discardBackfill(ctx, sync);
    existing = undefined;
  }
  const wanted = request.selection ? describeSelection(request.selection) : undefined;
  if (existing) {
    if (request.resume || (wanted && wanted.identity === existing.identity)) {
      if (wanted && wanted.identity !== existing.identity) {
        throw new ConfigError(
          `--resume continues the unfinished backfill of '${sync.name}' (${existing.selection}); leave out the selection, or pass --restart to start ${wanted.label} instead.`,
        );
      }
      return { sync: sync.name, table: tables.backfill, selection: existing.selection, total: existing.total, sent: existing.sent, resumed: true, unknownKeys: 0, scratch: false };
    }
    throw new ConfigError(
      `An unfinished backfill of '${sync.name}' exists (${existing.selection}; ${existing.sent} of ${existing.total} sent). ` +
        `Finish it with: pqlsync backfill ${sync.name} --resume; or discard it with --restart.`,
    );
  }
  if (request.resume) throw new ConfigError(`There is no unfinished backfill of '${sync.name}' to resume.`);
  if (!request.selection || !wanted) {
    throw new ConfigError(`Say what to backfill: --full, --where "<predicate>", --keys <file> or --since <date> (or --resume).`);
  }

  const d = warehouse.dialect;
  const q = d.quote;
  const model = d.table(tables.model);
  const columns = await warehouse.describe(tables.model);
  if (!columns) throw new ConfigError(`Sync '${sync.name}' reads model '${sync.model}', which is not built: run pqlsync build first.`);
  let predicate = '1 = 1';
  const selection = request.selection;
  const own = selectionTables(ctx, sync, dryRun);
  if (selection.kind === 'where') {
    predicate = `(${checkPredicate(selection.predicate)})`;
    await probe(warehouse, `select count(*) as n from ${model} m where ${predicate}`, (message) =>
      new ConfigError(`--where "${selection.predicate}" does not run on model '${sync.model}': ${message}`),
    );
  } else if (selection.kind === 'since') {
    const column = columns.find((c) => c.name.toLowerCase() === selection.column.toLowerCase());
    if (!column) {
      const times = columns.filter((c) => /TIME|DATE/.test(c.type)).map((c) => c.name);
      throw new ConfigError(
        `Model '${sync.model}' has no column '${selection.column}' for --since: pass --since-column <column>` +
          (times.length ? ` (its date and time columns: ${times.join(', ')})` : ' (it has no date or time column)'),
      );
    }
    predicate = `m.${q(column.name)} >= ${d.timestampLiteral(selection.since)}`;
  } else if (selection.kind === 'keys') {
    if (selection.keys.length === 0) throw new ConfigError(`${selection.source} lists no keys (one per line; # starts a comment).`);
    // The keys travel as data (a table filled by insertRows), never as SQL text.
    await warehouse.execute(`drop table if exists ${d.table(own.keys)}`);
    await warehouse.execute(`create table ${d.table(own.keys)} (record_key ${d.types.string})`);
    await warehouse.insertRows(own.keys, ['record_key'], selection.keys.map((k) => [k]));
    predicate = `${d.macros.to_string(`m.${q(sync.key)}`)} in (select record_key from ${d.table(own.keys)})`;
  }

  await warehouse.execute(
    d.createTableAs(
      own.selection,
      `select distinct ${d.macros.to_string(`m.${q(sync.key)}`)} as record_key, cast(null as ${d.types.timestamp}) as sent_at
       from ${model} m where m.${q(sync.key)} is not null and ${predicate}`,
      'table',
    ),
  );
  const [{ n }] = await warehouse.query(`select count(*) as n from ${d.table(own.selection)}`);
  const total = Number(n);
  if (!dryRun) {
    await warehouse.execute({
      sql: `insert into ${d.table(meta)} (sync_name, selection, identity, total, started_at) values (?, ?, ?, ?, ?)`,
      values: [sync.name, wanted.label, wanted.identity, total, new Date()],
    });
  }
  const unknownKeys = selection.kind === 'keys' ? selection.keys.length - total : 0;
  return { sync: sync.name, table: own.selection, selection: wanted.label, total, sent: 0, resumed: false, unknownKeys, scratch: dryRun };
}

/** Where a new selection and its keys go: the sync's shared backfill tables, or a dry run's own. */
function selectionTables(ctx: BackfillContext, sync: SyncConfig, dryRun: boolean): { selection: TableName; keys: TableName } {
  const schema = ctx.schemas.state;
  if (!dryRun) return { selection: syncTable(schema, 'backfill', sync.name), keys: syncTable(schema, 'backfill_keys', sync.name) };
  return { selection: runTable(schema, 'backfill', ctx.runId, sync.name), keys: runTable(schema, 'backfill_keys', ctx.runId, sync.name) };
}

/** The model a backfill selects from, and the sync's shared selection. */
function backfillTables(ctx: BackfillContext, sync: SyncConfig): { model: TableName; backfill: TableName } {
  return { model: syncRelation(sync, ctx.schemas.models), backfill: syncTable(ctx.schemas.state, 'backfill', sync.name) };
}

/**
 * Lets go of a backfill that will not be sent now (a dry run, an unconfirmed or refused one): a dry
 * run's own tables are dropped; a selection just made is discarded; one continued stays unfinished.
 */
export async function releaseBackfill(ctx: BackfillContext, sync: SyncConfig, prepared: PreparedBackfill): Promise<void> {
  if (prepared.scratch) {
    const own = selectionTables(ctx, sync, true);
    for (const table of [own.selection, own.keys]) await ctx.warehouse.execute(`drop table if exists ${ctx.warehouse.dialect.table(table)}`);
  } else if (!prepared.resumed) {
    await discardBackfill(ctx, sync);
  }
}

/** An unfinished backfill, for `pqlsync status`. */
export interface UnfinishedBackfill {
  sync: string;
  /** The selection in words. */
  selection: string;
  total: number;
  sent: number;
  startedAt: Date | string;
}

/** Every backfill started and not run to the end, oldest first. Reads only. */
export async function unfinishedBackfills(warehouse: Warehouse, stateSchema: string): Promise<UnfinishedBackfill[]> {
  const d = warehouse.dialect;
  const meta = { schema: stateSchema, name: 'backfills' };
  if (!(await warehouse.describe(meta))) return [];
  const rows = await warehouse.query(`select sync_name, selection, total, started_at from ${d.table(meta)} order by started_at`);
  const out: UnfinishedBackfill[] = [];
  for (const row of rows) {
    const table = syncTable(stateSchema, 'backfill', String(row.sync_name));
    if (!(await warehouse.describe(table))) continue;
    const [{ n }] = await warehouse.query(`select count(*) as n from ${d.table(table)} where sent_at is not null`);
    const [total, sent] = [Number(row.total), Number(n)];
    if (sent < total) out.push({ sync: String(row.sync_name), selection: String(row.selection), total, sent, startedAt: row.started_at as Date | string });
  }
  return out;
}

/** Drops a backfill's tables and its description: it ran to the end, or is discarded. */
export async function discardBackfill(ctx: BackfillContext, sync: SyncConfig): Promise<void> {
  const d = ctx.warehouse.dialect;
  const own = selectionTables(ctx, sync, false);
  const meta = await ensureMetaTable(ctx);
  await ctx.warehouse.execute(`drop table if exists ${d.table(own.selection)}`);
  await ctx.warehouse.execute(`drop table if exists ${d.table(own.keys)}`);
  await ctx.warehouse.execute({ sql: `delete from ${d.table(meta)} where sync_name = ?`, values: [sync.name] });
}

function metaTable(ctx: BackfillContext): TableName {
  return { schema: ctx.schemas.state, name: 'backfills' };
}

async function ensureMetaTable(ctx: BackfillContext): Promise<TableName> {
  const d = ctx.warehouse.dialect;
  const meta = metaTable(ctx);
  const { string: s, integer: i, timestamp: ts } = d.types;
  await ctx.warehouse.execute(
    `create table if not exists ${d.table(meta)} (sync_name ${s}, selection ${s}, identity ${s}, total ${i}, started_at ${ts})`,
  );
  return meta;
}

async function findBackfill(
  ctx: BackfillContext,
  sync: SyncConfig,
  tables: { backfill: TableName },
  meta: TableName,
  options: { repair: boolean },
): Promise<{ selection: string; identity: string; total: number; sent: number } | undefined> {
  const d = ctx.warehouse.dialect;
  if (!options.repair && !(await ctx.warehouse.describe(meta))) return undefined;
  const rows: Row[] = await ctx.warehouse.query({
    sql: `select selection, identity, total from ${d.table(meta)} where sync_name = ? order by started_at desc`,
    values: [sync.name],
  });
  if (rows.length === 0) return undefined;
  if (!(await ctx.warehouse.describe(tables.backfill))) {
    // Described but its table is gone (dropped by hand): forget it, unless only looking.
    if (options.repair) await ctx.warehouse.execute({ sql: `delete from ${d.table(meta)} where sync_name = ?`, values: [sync.name] });
    return undefined;
  }
  const [{ n }] = await ctx.warehouse.query(`select count(*) as n from ${d.table(tables.backfill)} where sent_at is not null`);
  return { selection: String(rows[0].selection), identity: String(rows[0].identity), total: Number(rows[0].total), sent: Number(n) };
}

async function probe(warehouse: Warehouse, sql: string, toError: (message: string) => Error): Promise<void> {
  try {
    await warehouse.query(sql);
  } catch (error) {
    if (error instanceof WarehouseError) throw toError(error.message.split('\n')[0]);
    throw error;
  }
}
