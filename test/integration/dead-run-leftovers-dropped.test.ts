/**
 * A run killed mid-way leaves tables named after it: its diff and checkpoint staging, its
 * associations' pair diffs, the handoff's routing tables. The next run of the sync drops every
 * one of them (one list, src/state/run-tables.ts), and the next handoff drops the handoff's,
 * found through the lock the dead run held. On DuckDB, with the tables a dead run would leave.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { deadRunTables, handoffRunTables, RUN_TABLES } from '../../src/state/run-tables.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { dealsSync } from '../helpers/deals-sync.ts';

const DEAD = '20261207T101500Z-dead01';
const NOW = '20261207T120000Z-live02';

const sync = dealsSync([
  { to: 'companies', column: 'domain', primary: true, on_removed: 'keep' },
  { to: 'contacts', column: 'email', primary: false, on_removed: 'keep' },
]);

let w: DuckDBWarehouse;
let state: StateStore;

async function exists(name: string): Promise<boolean> {
  return (await w.describe({ schema: 'pqlsync', name })) !== undefined;
}

beforeEach(async () => {
  w = await DuckDBWarehouse.open({ path: ':memory:' });
  state = new StateStore(w, 'pqlsync');
  await state.ensureTables();
});

afterEach(async () => {
  await w.close();
});

describe('what a killed run leaves behind', () => {
  it('the next run of the sync drops its diff, staging, backfill scratch, pair diffs and handoff tables, and marks it failed', async () => {
    const left = deadRunTables('pqlsync', sync, DEAD);
    // Every kind of run table, each association's three pair tables among them.
    expect(left.length).toBe(Object.values(RUN_TABLES).filter((o) => o !== 'association').length + 3 * 2);
    for (const t of left) await w.execute(`create table pqlsync."${t.name}" (x integer)`);
    // Another run's tables (a plan beside it) and the sync's own lasting tables are not the dead run's.
    await w.execute(`create table pqlsync."changes__deals__120000_live02" (x integer)`);
    await w.execute(`create table pqlsync."delivered__deals" (record_key varchar)`);
    await state.startRun({ runId: DEAD, command: 'sync', syncName: 'deals', startedAt: new Date('2026-12-07T10:15:00Z'), status: 'running' });

    const dead = await state.beginSync(sync, { runId: NOW, command: 'sync', startedAt: new Date() });

    expect(dead).toEqual([DEAD]);
    for (const t of left) expect(await exists(t.name), t.name).toBe(false);
    expect(await exists('handoff_candidates__101500_dead01')).toBe(false);
    expect(await exists('pairs__deals_companies__101500_dead01')).toBe(false);
    expect(await exists('changes__deals__120000_live02')).toBe(true);
    expect(await exists('delivered__deals')).toBe(true);
    const runs = await w.query(`select run_id, status from pqlsync.runs order by run_id`);
    expect(runs.map((r) => [r.run_id, r.status])).toEqual([
      [DEAD, 'failed'],
      [NOW, 'running'],
    ]);
  });

  it('the next handoff drops the routing tables of a run that died holding its lock', async () => {
    const left = handoffRunTables('pqlsync', DEAD);
    expect(left.map((t) => t.name)).toEqual(['handoff_candidates__101500_dead01', 'handoff_kept__101500_dead01', 'handoff_slots__101500_dead01', 'handoff_rekey__101500_dead01', 'handoff_rekey_state__101500_dead01']);
    for (const t of left) await w.execute(`create table pqlsync."${t.name}" (x integer)`);
    // The dead run's lock row, expired (a killed process never releases it).
    await w.execute({
      sql: `insert into pqlsync.locks (sync_name, run_id, host, pid, acquired_at, expires_at) values ('__handoff', ?, 'elsewhere', 1, ?, ?)`,
      values: [DEAD, new Date(Date.now() - 3_600_000), new Date(Date.now() - 60_000)],
    });

    const takenOver = await state.acquireLock('__handoff', NOW, 60_000);
    await state.dropHandoffLeftovers(takenOver);

    expect(takenOver).toEqual([DEAD]);
    for (const t of left) expect(await exists(t.name), t.name).toBe(false);
    // Taking a free lock takes nothing over.
    await state.releaseLock('__handoff', NOW);
    expect(await state.acquireLock('__handoff', NOW, 60_000)).toEqual([]);
  });
});
