/**
 * The association step on its own, on DuckDB with a recording destination: pairs resolved from
 * both syncs' state, only new pairs sent (1,400 of them), pairs without a target id
 * wait and are sent once the target lands, a failed pair is sent again next run, and pairs
 * that left the model are removed (on_removed: remove) or only forgotten (keep).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AssociationKind, AssociationPair, Destination, PairOutcome } from '../../connectors/destination.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { SyncConfig } from '../../src/config/schema.ts';
import { syncAssociations } from '../../src/run/associations.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { dealsSync } from '../helpers/deals-sync.ts';

let w: DuckDBWarehouse;
const calls: Array<{ op: 'associate' | 'dissociate'; kind: AssociationKind; pairs: AssociationPair[] }> = [];
let refuse = new Set<string>();

const destination = {
  stats: { requests: 0, recordsWritten: 0 },
  async ensureProperties() {},
  async accountId() {
    return '1234';
  },
  writer() {
    throw new Error('no records are sent in these tests');
  },
  async associate(kind: AssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]> {
    calls.push({ op: 'associate', kind, pairs });
    return pairs.map((pair) => (refuse.has(pair.fromId) ? { pair, ok: false, category: 'VALIDATION_ERROR', message: 'refused' } : { pair, ok: true }));
  },
  async dissociate(kind: AssociationKind, pairs: AssociationPair[]): Promise<PairOutcome[]> {
    calls.push({ op: 'dissociate', kind, pairs });
    return pairs.map((pair) => ({ pair, ok: true }));
  },
} satisfies Destination;

const sync = (onRemoved: 'keep' | 'remove'): SyncConfig => dealsSync([{ to: 'companies', column: 'domain', primary: true, on_removed: onRemoved }]);
const companies: SyncConfig = { ...sync('keep'), name: 'companies', model: 'company_sync', object: 'companies', key: 'domain', associations: [] };

beforeEach(async () => {
  w = await DuckDBWarehouse.open({ path: ':memory:' });
  await new StateStore(w, 'pqlsync').ensureTables();
  await w.execute('create schema m');
  // 1,500 deals on 1,500 domains; the deals all have record ids; companies 0..1399 do (1400+ not yet).
  await w.execute(`create table m.deal_sync as select concat('trial_', i) as trial_id, concat('d', i, '.io') as domain from range(1500) t(i)`);
  await w.execute(`insert into pqlsync.sync_state (sync_name, record_key, record_id) select 'deals', concat('trial_', i), cast(100000 + i as varchar) from range(1500) t(i)`);
  await w.execute(`insert into pqlsync.sync_state (sync_name, record_key, record_id) select 'companies', concat('d', i, '.io'), cast(200000 + i as varchar) from range(1400) t(i)`);
  calls.length = 0;
  refuse = new Set(['100007']);
});
afterEach(async () => w.close());

const run = (s: SyncConfig, runId: string) =>
  syncAssociations({ warehouse: w, schemas: { models: 'm', state: 'pqlsync' }, syncs: [s, companies], runId }, destination, s).then((r) => r[0]);
const sent = () => calls.filter((c) => c.op === 'associate').flatMap((c) => c.pairs);

describe('association state', () => {
  it('sends only new pairs, in pages; waits for missing ids; retries failures; removes or forgets pairs that left the model', async () => {
    const first = await run(sync('remove'), 'r1');
    expect(first).toMatchObject({ pairs: 1500, sent: 1400, written: 1399, failed: 1, waiting: 100, removed: 0 });
    // Streamed in the warehouse's pages (DuckDB: chunks of up to 2,048 rows); the destination batches by 100.
    expect(sent()).toHaveLength(1400);
    expect(new Set(sent().map((p) => p.fromId)).size).toBe(1400);
    expect(calls[0].kind).toEqual({ from: 'deals', to: 'companies', primary: true });

    // Nothing changed but the refused pair: only it is sent again.
    calls.length = 0;
    refuse = new Set();
    expect(await run(sync('remove'), 'r2')).toMatchObject({ sent: 1, written: 1, waiting: 100 });
    expect(sent()).toEqual([{ fromId: '100007', toId: '200007' }]);

    // The waiting targets land; one deal moves to another company; one deal leaves the model.
    calls.length = 0;
    await w.execute(`insert into pqlsync.sync_state (sync_name, record_key, record_id) select 'companies', concat('d', i, '.io'), cast(200000 + i as varchar) from range(1400, 1500) t(i)`);
    await w.execute(`update m.deal_sync set domain = 'd2.io' where trial_id = 'trial_1'`);
    await w.execute(`delete from m.deal_sync where trial_id = 'trial_3'`);
    const third = await run(sync('remove'), 'r3');
    expect(third).toMatchObject({ sent: 101, written: 101, waiting: 0, removed: 2 });
    // Removed first: a deal moving to another company stays within a portal's association limit.
    expect(calls.map((c) => c.op)).toEqual(['dissociate', 'associate']);
    expect(sent()).toContainEqual({ fromId: '100001', toId: '200002' });
    expect(calls.filter((c) => c.op === 'dissociate').flatMap((c) => c.pairs).sort((a, b) => a.fromId.localeCompare(b.fromId))).toEqual([
      { fromId: '100001', toId: '200001' },
      { fromId: '100003', toId: '200003' },
    ]);
    const [{ n }] = await w.query(`select count(*) as n from pqlsync.association_state`);
    expect(Number(n)).toBe(1499);

    // A rerun with no change sends nothing; with on_removed: keep a pair that leaves is only forgotten.
    calls.length = 0;
    expect(await run(sync('keep'), 'r4')).toMatchObject({ sent: 0, removed: 0 });
    await w.execute(`delete from m.deal_sync where trial_id = 'trial_4'`);
    expect(await run(sync('keep'), 'r5')).toMatchObject({ sent: 0, removed: 1 });
    expect(calls).toEqual([]);
    // The run's private tables are gone.
    const left = await w.query(`select table_name from information_schema.tables where table_schema = 'pqlsync' and (table_name like 'pairs__%' or table_name like 'unpaired__%' or table_name like 'resolved__%')`);
    expect(left).toEqual([]);
  });

  it('a column the model lacks is a clear error naming the sync, the column and the model', async () => {
    const bad = { ...sync('keep'), associations: [{ to: 'companies', column: 'company_domain', primary: false, on_removed: 'keep' as const }] };
    await expect(run(bad, 'r1')).rejects.toThrow("Sync 'deals' associates with 'companies' through column 'company_domain', which model 'deal_sync' does not have");
  });
});
