/**
 * The handoff's state in a warehouse (DuckDB), without HubSpot: signal episodes with
 * hysteresis (a score flickering across a threshold day after day is one episode, so one task,
 * and pql_tier_since does not move), and owner routing (round robin even to ±1 over 1,000
 * contacts, stable across reruns, an owner HubSpot holds never replaced, a rep who leaves the
 * group gets nothing new). On DuckDB, on PostgreSQL when PQLSYNC_POSTGRES_URL is set, and on the
 * BigQuery fake (every statement analyzed by ZetaSQL, BigQuery's analyzer) and the Snowflake fake.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { noteSkippedPostgres, postgresUrl, testSchema } from '../warehouse/postgres-env.ts';
import { bigqueryEntry } from '../../connectors/bigquery/index.ts';
import { snowflakeEntry } from '../../connectors/snowflake/index.ts';
import { BigQueryFake } from '../fakes/bigquery-fake.ts';
import { SnowflakeFake } from '../fakes/snowflake-fake.ts';
import snowflake from 'snowflake-sdk';

snowflake.configure({ disableOCSPChecks: true, logLevel: 'OFF' });
import { resolveSlots } from '../../src/handoff/handoff-step.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { HandoffStore, type OwnerSlot } from '../../src/state/handoff-state.ts';

const DAY = 86_400_000;
const day = (n: number) => new Date(Date.parse('2026-11-01T00:00:00Z') + n * DAY).toISOString();

noteSkippedPostgres('handoff episodes and routing on PostgreSQL');
type Engine = [string, () => Promise<{ w: Warehouse; models: string; state: string; close(): Promise<void> }>];
async function openDuckDB() {
  const w = await DuckDBWarehouse.open({ path: ':memory:' });
  return { w, models: 'models', state: 'pqlsync', close: () => w.close() };
}

async function openPostgres() {
  const w = await PostgresWarehouse.open({ connectionString: postgresUrl! });
  const models = testSchema('handoff_models');
  const state = testSchema('handoff_state');
  const close = async () => {
    for (const schema of [models, state]) await w.execute(`drop schema if exists "${schema}" cascade`);
    await w.close();
  };
  return { w, models, state, close };
}

async function openBigQueryFake() {
  const fake = await BigQueryFake.start();
  const w = await bigqueryEntry.open({ type: 'bigquery', project: 'test-project', location: 'US', api_endpoint: fake.url }, { projectRoot: process.cwd(), env: {} });
  return { w, models: 'models', state: 'pqlsync', close: async () => (await w.close(), await fake.stop()) };
}

async function openSnowflakeFake() {
  const fake = await SnowflakeFake.start({ user: 'pqlsync', password: 'fake-password' });
  const w = await snowflakeEntry.open(
    { type: 'snowflake', account: 'fake-account', user: 'pqlsync', database: 'PQLSYNC', access_url: fake.url },
    { projectRoot: process.cwd(), env: { SNOWFLAKE_PASSWORD: 'fake-password' } },
  );
  return { w, models: 'models', state: 'pqlsync', close: async () => (await w.close(), await fake.stop()) };
}

const engines: Engine[] = [
  ['DuckDB', openDuckDB],
  ...(postgresUrl ? [['PostgreSQL', openPostgres] as Engine] : []),
  ['the BigQuery fake', openBigQueryFake],
  ['the Snowflake fake', openSnowflakeFake],
];

describe.each(engines)('handoff state on %s', (_engine, open) => {
  let w: Warehouse;
  let store: HandoffStore;
  let SIGNALS: { schema: string; name: string };
  let M: string;
  let S: string;
  let closeEngine: () => Promise<void>;

  beforeEach(async () => {
    const e = await open();
    w = e.w;
    closeEngine = e.close;
    SIGNALS = { schema: e.models, name: 'handoff_signals' };
    M = w.dialect.quote(e.models);
    S = w.dialect.quote(e.state);
    await w.execute(w.dialect.createSchema(e.models));
    store = new HandoffStore(w, e.state, e.models);
    await store.ensureTables();
  });
  afterEach(async () => {
    await closeEngine();
  });

  /** The signals model as of one day: each contact's tier, plus a paywall trigger for some. */
  async function signals(rows: Array<{ email: string; tier: string; paywall?: boolean; group?: string }>): Promise<void> {
    await w.execute(`drop table if exists ${M}.handoff_signals`);
    const { string: t, integer: i } = w.dialect.types;
    await w.execute(`create table ${M}.handoff_signals (
      email ${t}, signal ${t}, task_subject ${t}, task_body ${t}, task_priority ${t}, task_type ${t}, response_hours ${i},
      route_group ${t}, company_domain ${t}, trial_id ${t})`);
    const values = rows.flatMap((r) => {
      const group = r.group ?? 'self_serve';
      const tier = [r.email, `tier:${r.tier}`, r.tier === 'sales_ready' ? `PQL: ${r.email}` : null, 'body', 'HIGH', 'TODO', 24, group, 'acme.test', null];
      return r.paywall ? [tier, [r.email, 'trigger:paywall', `Paywall: ${r.email}`, 'body', 'HIGH', 'CALL', 4, group, 'acme.test', null]] : [tier];
    });
    if (values.length > 0) {
      await w.insertRows(SIGNALS, ['email', 'signal', 'task_subject', 'task_body', 'task_priority', 'task_type', 'response_hours', 'route_group', 'company_domain', 'trial_id'], values);
    }
  }

  async function runDay(n: number, hysteresisDays = 7) {
    const result = await store.updateEpisodes(SIGNALS, day(n), hysteresisDays, `run-${n}`);
    await store.createViews({ skipFirstRun: true });
    return result;
  }

  const tasks = () => w.query(`select task_key, signal, due_at_ms from ${M}.handoff_tasks order by task_key`);
  const tierSince = async (email: string) => {
    const [row] = await w.query({ sql: `select pql_tier_since from ${M}.handoff_contacts where email = ?`, values: [email] });
    return row ? new Date(row.pql_tier_since as string).toISOString() : null;
  };

  describe('signal episodes', () => {
    it('a score flickering across the sales-ready threshold day after day makes one episode and one task; pql_tier_since stays put', async () => {
      await signals([{ email: 'seed@acme.test', tier: 'cold' }]);
      expect((await runDay(0)).firstRun).toBe(true);
      for (let n = 1; n <= 20; n++) {
        await signals([
          { email: 'seed@acme.test', tier: 'cold' },
          { email: 'flicker@acme.test', tier: n % 2 === 1 ? 'sales_ready' : 'hot' },
        ]);
        await runDay(n);
        if (n % 2 === 1) expect(await tierSince('flicker@acme.test')).toBe(day(1));
      }
      const made = await tasks();
      expect(made.map((t) => t.signal)).toEqual(['tier:sales_ready']);
      expect(made[0].task_key).toBe(`flicker@acme.test|tier:sales_ready|${day(1)}`);
      // Due at the episode's start plus its 24-hour window.
      expect(Number(made[0].due_at_ms)).toBe(Date.parse(day(1)) + 24 * 3_600_000);
      const [count] = await w.query(`select count(*) as n from ${S}.signal_episodes where record_key = 'flicker@acme.test' and signal = 'tier:sales_ready'`);
      expect(Number(count.n)).toBe(1);
    });

    it('away longer than the hysteresis, the signal starts a new episode and a new task; a rerun at the same as-of changes nothing', async () => {
      await signals([{ email: 'seed@acme.test', tier: 'cold' }]);
      await runDay(0);
      await signals([{ email: 'a@acme.test', tier: 'sales_ready', paywall: true }]);
      await runDay(1, 3);
      await signals([{ email: 'a@acme.test', tier: 'warm' }]);
      for (let n = 2; n <= 5; n++) await runDay(n, 3); // away 4 days > 3
      await signals([{ email: 'a@acme.test', tier: 'sales_ready', paywall: true }]);
      const first = await runDay(6, 3);
      const again = await runDay(6, 3);
      expect(first.started).toBe(2);
      expect(again.started).toBe(0);
      expect((await tasks()).map((t) => t.task_key)).toEqual([
        `a@acme.test|tier:sales_ready|${day(1)}`,
        `a@acme.test|tier:sales_ready|${day(6)}`,
        `a@acme.test|trigger:paywall|${day(1)}`,
        `a@acme.test|trigger:paywall|${day(6)}`,
      ]);
      expect(await tierSince('a@acme.test')).toBe(day(6));
    });

    it('episodes open at the first run are a backlog: no task (first_run: skip), and none later while they last', async () => {
      await signals([{ email: 'old@acme.test', tier: 'sales_ready', paywall: true }]);
      await runDay(0);
      await runDay(1);
      expect(await tasks()).toEqual([]);
      await store.createViews({ skipFirstRun: false });
      expect(await tasks()).toHaveLength(2);
    });
  });

  describe('owner routing', () => {
    const slots = (group: string, n: number, prefix = 'rep'): OwnerSlot[] =>
      Array.from({ length: n }, (_, i) => ({ group, ownerId: `${prefix}${i}`, email: `${prefix}${i}@vendor.test` }));

    async function candidates(keys: string[], group: string) {
      await signals(keys.map((email) => ({ email, tier: 'sales_ready', group })));
      return store.createCandidates(SIGNALS, `run-${keys.length}-${group}`);
    }

    const counts = async () =>
      Object.fromEntries(
        (await w.query(`select owner_id, count(*) as n from ${S}.owner_assignments group by owner_id order by owner_id`)).map((r) => [String(r.owner_id), Number(r.n)]),
      );

    it('round robin over 1,000 contacts gives each owner of a group the same count ±1; a rerun assigns nothing new and moves nobody', async () => {
      const keys = Array.from({ length: 1000 }, (_, i) => `user${String(i).padStart(4, '0')}@acme.test`);
      const { table, count } = await candidates(keys, 'self_serve');
      expect(count).toBe(1000);
      const owners = slots('self_serve', 3);
      expect(await store.assignRoundRobin(table, owners, day(0), 'run-a')).toBe(1000);
      const first = await counts();
      expect(Object.values(first).sort()).toEqual([333, 333, 334]);
      const before = await w.query(`select record_key, owner_id from ${S}.owner_assignments order by record_key`);
      // A retry of the same run, and a later run: nothing is a candidate any more.
      expect(await store.assignRoundRobin(table, owners, day(0), 'run-a')).toBe(0);
      expect((await candidates(keys, 'self_serve')).count).toBe(0);
      expect(await w.query(`select record_key, owner_id from ${S}.owner_assignments order by record_key`)).toEqual(before);
      // 500 more continue the rotation: still even within one.
      const more = Array.from({ length: 500 }, (_, i) => `late${String(i).padStart(4, '0')}@acme.test`);
      const next = await candidates(more, 'self_serve');
      await store.assignRoundRobin(next.table, owners, day(1), 'run-b');
      const all = Object.values(await counts());
      expect(Math.max(...all) - Math.min(...all)).toBeLessThanOrEqual(1);
      expect(all.reduce((a, b) => a + b, 0)).toBe(1500);
    });

    it('an owner HubSpot already holds is kept, never replaced by round robin; groups do not mix', async () => {
      const keys = Array.from({ length: 150 }, (_, i) => `u${String(i).padStart(3, '0')}@big.test`);
      const { table } = await candidates(keys, 'sales_assisted');
      const existing = new Map(keys.slice(0, 10).map((k) => [k, { id: 'existing-owner', email: 'someone@vendor.test' }]));
      await store.keepHubSpotOwners(table, existing, day(0), 'run-k');
      await store.assignRoundRobin(table, [...slots('sales_assisted', 2, 'ae'), ...slots('self_serve', 3)], day(0), 'run-k');
      const rows = await w.query(`select record_key, owner_id, source from ${S}.owner_assignments order by record_key`);
      expect(rows).toHaveLength(150);
      for (const r of rows.slice(0, 10)) expect(r).toMatchObject({ owner_id: 'existing-owner', source: 'hubspot' });
      const rr = rows.filter((r) => r.source === 'round_robin');
      expect(new Set(rr.map((r) => r.owner_id))).toEqual(new Set(['ae0', 'ae1']));
      expect(rr.filter((r) => r.owner_id === 'ae0')).toHaveLength(70);
    });

    it('a rep who leaves the group gets no new contacts and keeps the ones assigned; one archived in HubSpot has them routed again', async () => {
      const first = await candidates(['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test'], 'self_serve');
      await store.assignRoundRobin(first.table, slots('self_serve', 2), day(0), 'r1');
      const next = await candidates(['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test', 'e@x.test', 'f@x.test', 'g@x.test'], 'self_serve');
      // rep1 left the group in pqlsync.yml: only rep0 is listed now.
      await store.assignRoundRobin(next.table, slots('self_serve', 2).slice(0, 1), day(1), 'r2');
      expect(await counts()).toEqual({ rep0: 5, rep1: 2 });
      // rep1 is archived in HubSpot: their contacts are released and routed to an active owner.
      expect(await store.releaseInactive(['rep0'])).toBe(2);
      const again = await candidates(['a@x.test', 'b@x.test', 'c@x.test', 'd@x.test', 'e@x.test', 'f@x.test', 'g@x.test'], 'self_serve');
      expect(again.count).toBe(2);
      await store.assignRoundRobin(again.table, slots('self_serve', 1), day(2), 'r3');
      expect(await counts()).toEqual({ rep0: 7 });
    });

    it('owners are named by email in pqlsync.yml: an unknown one is a config error naming its key path; an archived one is left out', () => {
      const owners = [
        { id: '1', email: 'ae@vendor.test', name: 'AE', archived: false, teams: [] },
        { id: '2', email: 'gone@vendor.test', name: 'Gone', archived: true, teams: [] },
      ];
      const warnings: string[] = [];
      expect(resolveSlots({ sales_assisted: { owners: ['AE@vendor.test', 'gone@vendor.test'] } }, owners, (m) => warnings.push(m))).toEqual([
        { group: 'sales_assisted', ownerId: '1', email: 'ae@vendor.test' },
      ]);
      expect(warnings[0]).toContain('handoff.routing.groups.sales_assisted.owners.1: gone@vendor.test is archived');
      const unknown = () => resolveSlots({ self_serve: { owners: ['nobody@vendor.test'] } }, owners, () => undefined);
      expect(unknown).toThrow(ConfigError);
      expect(unknown).toThrow('pqlsync.yml handoff.routing.groups.self_serve.owners.0: no HubSpot owner has the email nobody@vendor.test');
      expect(() => resolveSlots({ self_serve: { owners: ['gone@vendor.test'] } }, owners, () => undefined)).toThrow('none of its owners is active');
    });

    it('a group can be a HubSpot team: its active members, in owner-id order, after the owners listed by email; a rep who leaves the team gets nothing new', () => {
      const owners = [
        { id: '30', email: 'c@vendor.test', name: 'C', archived: false, teams: ['Enterprise AEs'] },
        { id: '10', email: 'a@vendor.test', name: 'A', archived: false, teams: ['Enterprise AEs'] },
        { id: '20', email: 'b@vendor.test', name: 'B', archived: true, teams: ['Enterprise AEs'] },
        { id: '40', email: 'd@vendor.test', name: 'D', archived: false, teams: ['SDRs'] },
      ];
      const slots = resolveSlots({ sales_assisted: { team: 'enterprise aes', owners: ['c@vendor.test'] } }, owners, () => undefined);
      expect(slots.map((x) => x.ownerId)).toEqual(['30', '10']);
      const unknown = () => resolveSlots({ sales_assisted: { team: 'Nobody' } }, owners, () => undefined);
      expect(unknown).toThrow('pqlsync.yml handoff.routing.groups.sales_assisted.team: no HubSpot owner is in a team named "Nobody" (the portal\'s teams: Enterprise AEs, SDRs)');
    });
  });
});
