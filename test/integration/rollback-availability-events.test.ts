/**
 * `status` says a task sync's run cannot be rolled back (tasks are events: never deleted by a
 * rollback), while a records sync's run without kept history says why it cannot: its history
 * lapsed, or it replaced no value pqlsync knows.
 */
import { afterAll, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { rollbackAvailability } from '../../src/run/rollback.ts';
import { StateStore } from '../../src/state/state-store.ts';

let w: DuckDBWarehouse | undefined;
afterAll(async () => w?.close());

it('a run of an events sync is never offered for rollback', async () => {
  w = await DuckDBWarehouse.open({ path: ':memory:' });
  const state = new StateStore(w, 'st');
  await state.ensureTables();
  const ctx = { warehouse: w, state, schemas: { models: 'm', state: 'st' }, runId: 'now', syncs: [] };
  const runs = [
    { run_id: 'r1', sync_name: 'handoff_tasks', command: 'sync', n_sent: 48, started_at: null },
    { run_id: 'r1', sync_name: 'contacts', command: 'sync', n_sent: 5, started_at: new Date(Date.now() - 8 * 86_400_000) },
    // Recent, sent, nothing kept: it re-sent unchanged values (a property rename), not a lapsed history.
    { run_id: 'r2', sync_name: 'contacts', command: 'sync', n_sent: 5, started_at: new Date(Date.now() - 3_600_000).toISOString() },
  ];
  const out = await rollbackAvailability(ctx, runs, 7, new Set(['handoff_tasks']));
  expect(out.get('r1/handoff_tasks')).toBe('no: events such as tasks are never rolled back');
  expect(out.get('r1/contacts')).toBe('no: history kept 7 days');
  expect(out.get('r2/contacts')).toBe('no: it replaced no value pqlsync knows (it sent unchanged values again, as after a property rename)');
});
