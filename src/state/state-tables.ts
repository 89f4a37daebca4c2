import type { Dialect } from '../../connectors/warehouse.ts';

/**
 * DDL for the tables pqlsync keeps in the warehouse's state schema, in the dialect's types.
 * Idempotent. Nothing lives on local disk: schedulers start every run on a fresh machine.
 */
export function stateTableDdl(dialect: Dialect, schema: string): string[] {
  const { string: s, integer: i, timestamp: ts } = dialect.types;
  const t = (name: string) => dialect.table({ schema, name });
  return [
    dialect.createSchema(schema),
    // One row per delivered record: the hash of what HubSpot holds, and its record id.
    `create table if not exists ${t('sync_state')} (
      sync_name ${s}, record_key ${s}, row_hash ${s}, record_id ${s}, tier ${s}, run_id ${s}, synced_at ${ts})`,
    `create table if not exists ${t('runs')} (
      run_id ${s}, command ${s}, sync_name ${s}, started_at ${ts}, finished_at ${ts}, status ${s},
      n_rows ${i}, n_new ${i}, n_changed ${i}, n_unchanged ${i}, n_removed ${i}, n_sent ${i}, n_failed ${i},
      requests ${i}, message ${s})`,
    // Rows that could not be delivered; retried next run, removed when they land.
    `create table if not exists ${t('row_errors')} (
      sync_name ${s}, record_key ${s}, run_id ${s}, category ${s}, property ${s}, message ${s},
      attempts ${i}, first_failed_at ${ts}, last_failed_at ${ts})`,
    `create table if not exists ${t('locks')} (
      sync_name ${s}, run_id ${s}, host ${s}, pid ${i}, acquired_at ${ts}, expires_at ${ts})`,
    // One row per command that ran against this state (build, test, run, sync, backfill…),
    // whatever stopped it: `runs` holds the per-sync detail of the same run ids.
    `create table if not exists ${t('run_log')} (
      run_id ${s}, command ${s}, account_id ${s}, started_at ${ts}, finished_at ${ts}, status ${s}, exit_code ${i}, message ${s})`,
    // The destination account (HubSpot portal) this state describes: one, bound by the first sync.
    `create table if not exists ${t('destination_account')} (account_id ${s}, bound_at ${ts}, run_id ${s})`,
    // Each mapping a sync delivered under, by fingerprint: the row hashes in sync_state start with
    // it, so a renamed or retyped property is a change, and a plan can say what changed.
    `create table if not exists ${t('sync_mappings')} (sync_name ${s}, fingerprint ${s}, mapping ${s}, first_run_id ${s}, first_seen_at ${ts})`,
    // The create journal (create-intents.ts): a create recorded before its request, where a retried
    // create could duplicate (tasks in a portal without unique task keys).
    `create table if not exists ${t('create_intents')} (sync_name ${s}, record_key ${s}, parent_id ${s}, run_id ${s}, intended_at ${ts})`,
    // Dry runs in progress (dry-run-registry.ts): a plan is not in `runs`, so the tables a
    // killed one left are found through its row here (host and pid, as a lock's).
    `create table if not exists ${t('dry_runs')} (run_id ${s}, command ${s}, syncs ${s}, host ${s}, pid ${i}, started_at ${ts})`,
  ];
}
