/**
 * The names of the tables pqlsync keeps for one sync or one run in the state schema, in one
 * scheme: `<kind>__<owner>__<run tag>` for a table private to one run (owner: the sync, or
 * `<sync>_<target sync>` for an association's pair diff), `<kind>__<run tag>` for a run-wide
 * one (the handoff's), and `<kind>__<sync>` for a sync's tables that outlive runs. Nothing outside
 * src/state names them; the shared state tables themselves are in state-tables.ts.
 */
import type { TableName } from '../../connectors/warehouse.ts';

/**
 * Every kind of table private to one run, with what owns it. A run that dies (SIGKILL, a lost
 * machine) leaves them behind; `deadRunTables` lists them all for the next run to drop.
 */
export const RUN_TABLES = {
  /** The run's pending changes of a sync: new, changed and retried rows with their values. */
  changes: 'sync',
  /** Keys in state that left the model. */
  removed: 'sync',
  /** A checkpoint's outcomes (or a rollback's verdicts), staged before its transaction. */
  outcomes: 'sync',
  /** A dry-run backfill's own selection and keys (a real backfill's are the sync's, below). */
  backfill: 'sync',
  backfill_keys: 'sync',
  /** An association's pair diff: the resolved pairs, those to write, those that left. */
  resolved: 'association',
  pairs: 'association',
  unpaired: 'association',
  /** The handoff's routing work tables (one handoff at a time, under its own lock). */
  handoff_candidates: 'handoff',
  handoff_kept: 'handoff',
  handoff_slots: 'handoff',
  handoff_rekey: 'handoff',
  /** The handoff's contact syncs' state, email key → user id (HandoffStore.adoptEmailKeyedSyncState). */
  handoff_rekey_state: 'handoff',
} as const;

export type RunTableKind = keyof typeof RUN_TABLES;

/** The tables of a sync that outlive a run: the delivered snapshot and an unfinished backfill. */
export type SyncTableKind = 'delivered' | 'backfill' | 'backfill_keys';

/** A table private to one run (see RUN_TABLES): `<kind>__<owner>__<run tag>`, or `<kind>__<run tag>` without owner. */
export function runTable(schema: string, kind: RunTableKind, runId: string, owner?: string): TableName {
  return { schema, name: owner ? `${kind}__${owner}__${runTag(runId)}` : `${kind}__${runTag(runId)}` };
}

/** A sync's table that outlives runs: `<kind>__<sync>`. */
export function syncTable(schema: string, kind: SyncTableKind, syncName: string): TableName {
  return { schema, name: `${kind}__${syncName}` };
}

/**
 * A rollback's work table, named after the run it rolls back (`rollback__<sync>__<run tag>`): it
 * outlives the rollback (a rerun continues it), so no dead-run list holds it.
 */
export function rollbackTable(schema: string, syncName: string, rolledBackRunId: string): TableName {
  return { schema, name: `rollback__${syncName}__${runTag(rolledBackRunId)}` };
}

/** The shared state and the delivered snapshot of one sync, as a rollback moves them back. */
export function deliveredTables(schema: string, syncName: string): { syncState: TableName; delivered: TableName } {
  return { syncState: { schema, name: 'sync_state' }, delivered: syncTable(schema, 'delivered', syncName) };
}

/** What owns an association's pair diff tables: the sync and the sync it associates with. */
export function pairOwner(syncName: string, toSync: string): string {
  return `${syncName}_${toSync}`;
}

/**
 * Every table a dead run of `sync` may have left: the sync's, its associations' and the
 * handoff's (the handoff runs inside a sync step). One list: a kind added to RUN_TABLES is
 * cleaned up without anyone remembering to.
 */
export function deadRunTables(schema: string, sync: { name: string; associations?: ReadonlyArray<{ to: string }> }, runId: string): TableName[] {
  const out: TableName[] = [];
  for (const [kind, owner] of Object.entries(RUN_TABLES) as Array<[RunTableKind, (typeof RUN_TABLES)[RunTableKind]]>) {
    if (owner === 'sync') out.push(runTable(schema, kind, runId, sync.name));
    else if (owner === 'association') for (const a of sync.associations ?? []) out.push(runTable(schema, kind, runId, pairOwner(sync.name, a.to)));
    else out.push(runTable(schema, kind, runId));
  }
  return out;
}

/** The handoff's tables of one run (see RUN_TABLES). */
export function handoffRunTables(schema: string, runId: string): TableName[] {
  return (Object.keys(RUN_TABLES) as RunTableKind[]).filter((k) => RUN_TABLES[k] === 'handoff').map((k) => runTable(schema, k, runId));
}

/**
 * A short tag for a run id, so names stay within PostgreSQL's 63 characters (which it would
 * otherwise truncate silently): '20261127T142300Z-a1b2c3' → '142300_a1b2c3'.
 */
function runTag(runId: string): string {
  const standard = /T(\d{6})Z-([0-9a-f]+)$/.exec(runId);
  return standard ? `${standard[1]}_${standard[2]}` : runId.toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(-16);
}
