/**
 * Dry runs in progress: `plan`, `run --dry-run`, `backfill --dry-run`, and a backfill's plan
 * before it is confirmed. Like a sync, a dry run diffs into tables named after its run id
 * (run-tables.ts) and drops them when done; unlike a sync, it takes no lock and is not in run
 * history (`runs`), so the dead-run cleanup of StateStore.beginSync never sees what a killed one
 * left. So a dry run registers here before it creates any table and leaves when done, and the
 * next pipeline call drops the tables of the registered ones that are dead (docs/delivery.md,
 * "A run only reads what it created"). This module owns the table (created with the other state
 * tables, state-tables.ts).
 */
import { hostname } from 'node:os';
import type { Row, TableName, Warehouse } from '../../connectors/warehouse.ts';
import { deadRunTables, handoffRunTables } from './run-tables.ts';
import { deadOnThisHost } from './state-store.ts';

const DRY_RUNS = 'dry_runs';

/**
 * How old a dry run registered from another host must be before it counts as dead. Another
 * host's pid cannot be checked from here, so only age tells; a plan takes minutes even at
 * millions of rows (its diff runs in the warehouse), so a day is far beyond any live one and
 * still frees a killed plan's tables (a changes table can hold a million rows) the next day.
 * It applies on this host too, where a reused pid would otherwise keep a dead entry alive.
 */
export const DRY_RUN_DEAD_AFTER_MS = 24 * 3_600_000;

/** A sync as the cleanup needs it: its name and whom it associates with (their pair diffs). */
type SyncTables = { name: string; associations?: ReadonlyArray<{ to: string }> };

export interface DeadDryRun {
  runId: string;
  command: string;
  /** The syncs it registered (their tables were dropped). */
  syncs: string[];
  host: string;
  pid: number;
}

export class DryRunRegistry {
  constructor(
    private readonly warehouse: Warehouse,
    readonly schema: string,
  ) {}

  private table(): string {
    return this.warehouse.dialect.table({ schema: this.schema, name: DRY_RUNS });
  }

  /** Records this process's dry run, before it creates any table: the syncs it diffs, host, pid, start. */
  async register(run: { runId: string; command: string; syncs: readonly string[] }, at: Date = new Date()): Promise<void> {
    await this.warehouse.execute({
      sql: `insert into ${this.table()} (run_id, command, syncs, host, pid, started_at) values (?, ?, ?, ?, ?, ?)`,
      values: [run.runId, run.command, run.syncs.join(','), hostname(), process.pid, at],
    });
  }

  /** Forgets a dry run once its tables are dropped. */
  async unregister(runId: string): Promise<void> {
    await this.warehouse.execute({ sql: `delete from ${this.table()} where run_id = ?`, values: [runId] });
  }

  /**
   * Drops the tables of every registered dry run that is dead, then forgets it: one on this host
   * whose process is gone, or one older than DRY_RUN_DEAD_AFTER_MS (from any host). A dry run
   * that may still be running keeps its tables. Its tables are every kind run-tables.ts lists
   * for the syncs it registered (taken from `syncs`, the project's, for their associations; a
   * sync since removed from the project still loses its own tables), and the handoff's.
   */
  async dropDead(syncs: readonly SyncTables[], now: Date = new Date()): Promise<DeadDryRun[]> {
    // The age is compared in SQL, as the lock's expiry is: timestamps never go through the drivers' time zones.
    const rows = await this.warehouse.query({
      sql: `select run_id, command, syncs, host, pid, started_at < ? as expired from ${this.table()}`,
      values: [new Date(now.getTime() - DRY_RUN_DEAD_AFTER_MS)],
    });
    const dead = rows.filter((r) => r.expired === true || deadOnThisHost(r.host, r.pid)).map(entry);
    for (const run of dead) {
      const tables = new Map<string, TableName>();
      for (const t of handoffRunTables(this.schema, run.runId)) tables.set(t.name, t);
      for (const name of run.syncs) {
        for (const t of deadRunTables(this.schema, syncs.find((s) => s.name === name) ?? { name }, run.runId)) tables.set(t.name, t);
      }
      for (const t of tables.values()) await this.warehouse.execute(`drop table if exists ${this.warehouse.dialect.table(t)}`);
      await this.unregister(run.runId);
    }
    return dead;
  }
}

function entry(r: Row): DeadDryRun {
  const syncs = String(r.syncs ?? '');
  return { runId: String(r.run_id), command: String(r.command), syncs: syncs === '' ? [] : syncs.split(','), host: String(r.host), pid: Number(r.pid) };
}
