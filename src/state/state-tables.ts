import type { Dialect, TableName } from '../../connectors/warehouse.ts';

/**
 * The tables pqlsync keeps in the warehouse's state schema. Nothing lives on local
 * disk: schedulers start every run on a fresh machine.
 */
export const STATE_TABLES = ['sync_state', 'runs', 'row_errors', 'locks'] as const;
export type StateTable = (typeof STATE_TABLES)[number];

export function stateTable(schema: string, name: string): TableName {
  return { schema, name };
}

/** DDL for the state tables, in the dialect's types. Idempotent. */
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
  ];
}
