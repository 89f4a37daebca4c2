/**
 * Which registered dry runs (src/state/dry-run-registry.ts) lose their tables: one on this host whose
 * process is gone, or one older than a day from any host; never one whose process is alive here
 * or one from another host younger than a day (its pid cannot be checked from here). A dead one
 * loses every table run-tables.ts lists for the syncs it registered (their associations' pair
 * diffs too, and a sync removed from the project since), and the handoff's. On DuckDB, and on
 * the BigQuery fake, where ZetaSQL analyzes every statement before it runs.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { PassThroughClient } from 'google-auth-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigQueryWarehouse } from '../../connectors/bigquery/bigquery.warehouse.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { DRY_RUN_DEAD_AFTER_MS, DryRunRegistry } from '../../src/state/dry-run-registry.ts';
import { deadRunTables, handoffRunTables } from '../../src/state/run-tables.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { BigQueryFake } from '../fakes/bigquery-fake.ts';
import { dealsSync } from '../helpers/deals-sync.ts';

const SCHEMA = 'pqlsync';
const NOW = new Date('2026-12-08T12:00:00.000Z');
const HOUR = 3_600_000;
const deals = dealsSync([
  { to: 'companies', column: 'domain', primary: true, on_removed: 'keep' },
  { to: 'contacts', column: 'email', primary: false, on_removed: 'keep' },
]);
const contacts = { name: 'contacts' };

/** A pid no process has: a child that has already exited. */
const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;

/** Registered dry runs, each with the tables it had when it was found: [run id, host, pid, started, syncs]. */
const RUNS: Array<{ runId: string; host: string; pid: number; startedAt: Date; syncs: string[]; dead: boolean }> = [
  // Killed here: its process is gone.
  { runId: '20261208T115000Z-aa0001', host: hostname(), pid: deadPid, startedAt: new Date(NOW.getTime() - HOUR), syncs: ['deals', 'contacts'], dead: true },
  // Running here (this process), beside the cleanup.
  { runId: '20261208T115500Z-aa0002', host: hostname(), pid: process.pid, startedAt: new Date(NOW.getTime() - HOUR), syncs: ['deals'], dead: false },
  // On another host, 23 hours ago: maybe alive, its pid cannot be checked here.
  { runId: '20261207T130000Z-aa0003', host: 'runner-elsewhere', pid: process.pid, startedAt: new Date(NOW.getTime() - 23 * HOUR), syncs: ['deals'], dead: false },
  // On another host, over a day ago; its sync has left the project since.
  { runId: '20261207T110000Z-aa0004', host: 'runner-elsewhere', pid: 7, startedAt: new Date(NOW.getTime() - DRY_RUN_DEAD_AFTER_MS - HOUR), syncs: ['old_sync'], dead: true },
  // Here, over a day ago, with a live pid: a pid reused by another process, not the plan.
  { runId: '20261207T100000Z-aa0005', host: hostname(), pid: process.pid, startedAt: new Date(NOW.getTime() - DRY_RUN_DEAD_AFTER_MS - HOUR), syncs: ['contacts'], dead: true },
];

/** The tables each run had: every kind, for its syncs (known to the project or not) and the handoff. */
function tablesOf(run: (typeof RUNS)[number]) {
  const all = [...handoffRunTables(SCHEMA, run.runId), ...run.syncs.flatMap((name) => deadRunTables(SCHEMA, name === 'deals' ? deals : { name }, run.runId))];
  return [...new Map(all.map((t) => [t.name, t])).values()];
}

function deadOrAlive(name: string, open: () => Promise<{ w: Warehouse; stop(): Promise<void> }>) {
  describe(`dead or alive: which dry runs lose their tables (${name})`, () => {
    let w: Warehouse;
    let stop: () => Promise<void>;
    beforeAll(async () => {
      ({ w, stop } = await open());
      await new StateStore(w, SCHEMA).ensureTables();
    }, 120_000);
    afterAll(async () => {
      await stop?.();
    });

    it('drops the dead ones’ tables (pair diffs and handoff tables included) and keeps those that may be running', async () => {
      const exists = async (table: { schema: string; name: string }) => (await w.describe(table)) !== undefined;
      for (const run of RUNS) {
        await w.execute({
          sql: `insert into ${w.dialect.table({ schema: SCHEMA, name: 'dry_runs' })} (run_id, command, syncs, host, pid, started_at) values (?, ?, ?, ?, ?, ?)`,
          values: [run.runId, 'plan', run.syncs.join(','), run.host, run.pid, run.startedAt],
        });
        for (const t of tablesOf(run)) await w.execute(`create table ${w.dialect.table(t)} (x ${w.dialect.types.integer})`);
      }
      // The first run: deals' 5 sync tables and 2 × 3 pair diffs, contacts' 5, the handoff's 5.
      expect(tablesOf(RUNS[0]).length).toBe(21);

      const dead = await new DryRunRegistry(w, SCHEMA).dropDead([deals, contacts], NOW);

      expect(dead.map((d) => d.runId).sort()).toEqual(RUNS.filter((r) => r.dead).map((r) => r.runId).sort());
      expect(dead.find((d) => d.runId === RUNS[3].runId)).toMatchObject({ syncs: ['old_sync'], host: 'runner-elsewhere', pid: 7 });
      for (const run of RUNS) {
        for (const t of tablesOf(run)) expect(await exists(t), `${t.name} of ${run.dead ? 'a dead' : 'a live'} dry run`).toBe(!run.dead);
      }
      const left = await w.query(`select run_id from ${w.dialect.table({ schema: SCHEMA, name: 'dry_runs' })} where true order by run_id`);
      expect(left.map((r) => String(r.run_id))).toEqual(RUNS.filter((r) => !r.dead).map((r) => r.runId).sort());
      // Once forgotten, found no more.
      expect(await new DryRunRegistry(w, SCHEMA).dropDead([deals, contacts], NOW)).toEqual([]);
    }, 120_000);

    it('a dry run that registers and ends leaves nothing registered', async () => {
      const runs = new DryRunRegistry(w, SCHEMA);
      const before = await w.query(`select run_id from ${w.dialect.table({ schema: SCHEMA, name: 'dry_runs' })} where true`);
      await runs.register({ runId: '20261208T120000Z-bb0001', command: 'plan', syncs: ['deals'] });
      const registered = await w.query({ sql: `select host, pid, syncs from ${w.dialect.table({ schema: SCHEMA, name: 'dry_runs' })} where run_id = ?`, values: ['20261208T120000Z-bb0001'] });
      expect(registered.map((r) => [r.host, Number(r.pid), r.syncs])).toEqual([[hostname(), process.pid, 'deals']]);
      await runs.unregister('20261208T120000Z-bb0001');
      expect(await w.query(`select run_id from ${w.dialect.table({ schema: SCHEMA, name: 'dry_runs' })} where true`)).toHaveLength(before.length);
    }, 120_000);
  });
}

deadOrAlive('DuckDB', async () => {
  const w = await DuckDBWarehouse.open({ path: ':memory:' });
  return { w, stop: () => w.close() };
});

deadOrAlive('BigQuery fake, ZetaSQL-checked', async () => {
  const fake = await BigQueryFake.start();
  const w = BigQueryWarehouse.open({ projectId: 'test-project', clientOptions: { apiEndpoint: fake.url, authClient: new PassThroughClient() } });
  return {
    w,
    stop: async () => {
      await w.close();
      await fake.stop();
      if (fake.rejected.length > 0) throw new Error(`ZetaSQL rejected: ${JSON.stringify(fake.rejected, null, 2)}`);
    },
  };
});
