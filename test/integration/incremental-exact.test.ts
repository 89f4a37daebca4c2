/**
 * Incremental models are exact: a seeded random sequence of runs (new events, late events within
 * the lookback, users going quiet, windows rolling over, as_of at odd times of day, a run with no
 * new events, a run at the same as_of, events exactly on the window and fold boundaries), and
 * after every run every shipped model (on PostgreSQL: user_features and its upstream) built incrementally equals the same model rebuilt from all
 * history, row by row. On DuckDB, and on PostgreSQL when PQLSYNC_POSTGRES_URL is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import type { TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import type { CompileContext } from '../../src/compile/compile-model.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { CORE_FEATURES, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { orderModels, selectModels } from '../../src/project/graph.ts';
import { loadModels, type Model } from '../../src/project/load-models.ts';
import { buildModels, type BuiltModel } from '../../src/run/build-models.ts';
import { ModelWatermarks } from '../../src/state/model-watermarks.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { noteSkippedPostgres, postgresUrl, testSchema } from '../warehouse/postgres-env.ts';
import { DEMO_CONFIG, dropSchemas } from '../helpers/project.ts';
import { createPrng } from '../../connectors/shared/prng.ts';

noteSkippedPostgres('incremental models exact on PostgreSQL');
const DAY = 86_400_000;
const HOUR = 3_600_000;
const LOOKBACK_DAYS = 3; // examples/demo/models/features/user_event_totals.sql
const RUNS = 16;

/** A table's rows as sorted, comparable lines (floats to 9 significant digits, instants as ISO). */
async function snapshot(w: Warehouse, table: TableName): Promise<string[]> {
  const rows = await w.query(`select * from ${w.dialect.table(table)}`);
  const norm = (v: Value) => (v instanceof Date ? v.toISOString() : typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v);
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, norm(r[k])]))).sort();
}

interface Engine {
  name: string;
  /** Models built and compared (PostgreSQL: up to user_features, as user_scores takes seconds there). */
  select: string[];
  open(): Promise<{ warehouse: Warehouse; raw: string; cleanup(): Promise<void> }>;
}

const engines: Engine[] = [
  {
    name: 'duckdb',
    select: [],
    open: async () => {
      const warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
      await generateDemoData(warehouse, { users: 150, seed: 7 });
      return { warehouse, raw: 'raw', cleanup: () => warehouse.close() };
    },
  },
  ...(postgresUrl
    ? [
        {
          name: 'postgres',
          select: ['+user_features'],
          open: async () => {
            if (!postgresUrl) throw new Error('unreachable');
            const duck = await DuckDBWarehouse.open({ path: ':memory:' });
            await generateDemoData(duck, { users: 150, seed: 7 });
            const pg = await PostgresWarehouse.open({ connectionString: postgresUrl });
            const raw = testSchema('pqlsync_inc_raw');
            await copyDemoRawTables(duck, pg, raw);
            await duck.close();
            return { warehouse: pg, raw, cleanup: () => pg.close() };
          },
        },
      ]
    : []),
];

describe.each(engines)('incremental models equal a full rebuild on $name', (engine) => {
  let warehouse: Warehouse;
  let raw: string;
  let cleanup: () => Promise<void>;
  let models: Model[];
  let sources: CompileContext['sources'];
  const incSchema = testSchema('pqlsync_inc');
  const fullSchema = testSchema('pqlsync_full');
  const stateSchema = testSchema('pqlsync_inc_state');

  beforeAll(async () => {
    ({ warehouse, raw, cleanup } = await engine.open());
    const project = await loadProject(DEMO_CONFIG);
    sources = Object.fromEntries(Object.entries(project.sources).map(([k, t]) => [k, { schema: raw, name: t.name }]));
    const all = orderModels(await loadModels(project.modelsDir, { dialect: warehouse.dialect.name, projectRoot: project.root }), Object.keys(sources));
    models = engine.select.length > 0 ? selectModels(all, engine.select) : all;
  }, 120_000);

  afterAll(async () => {
    if (warehouse?.dialect.name === 'postgres') {
      await dropSchemas(warehouse, [incSchema, fullSchema, stateSchema, raw]);
    }
    await cleanup?.();
  });

  it(`stays row-for-row equal over ${RUNS} random runs`, async () => {
    const random = createPrng(20261127);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const [{ latest }] = await warehouse.query(`select max(occurred_at) as latest from ${warehouse.dialect.table({ schema: raw, name: 'events' })}`);
    const users = (await warehouse.query(`select user_id, account_id from ${warehouse.dialect.table({ schema: raw, name: 'users' })} order by user_id`)).map((r) => [String(r.user_id), r.account_id] as const);
    const names = ['login', 'login', 'login', 'feature_used', 'feature_used', 'teammate_invited', 'integration_connected', 'paywall_hit', 'usage_limit_hit', 'premium_feature_attempted', 'enterprise_feature_attempted', 'billing_page_viewed', 'activation_reached', 'onboarding_completed'];
    const watermarks = new ModelWatermarks(warehouse, stateSchema, incSchema);
    let asOf = Date.parse(String((latest as Date).toISOString())) + 7 * HOUR + 13 * 60_000 + 17_000;
    let active = users.filter(() => random() < 0.6);
    let seq = 0;
    const event = (user: readonly [string, Value], at: number, name = pick(names)): Value[] => [
      `inc_${seq++}`,
      user[0],
      user[1],
      // Mixed case and blanks: stg_events normalises them.
      name === 'login' && random() < 0.1 ? ' Login ' : name,
      // NULL and ' ' (blank after trimming) are different keys of user_event_totals.
      name === 'feature_used' ? pick(CORE_FEATURES) : name === 'integration_connected' ? pick([null, null, 'slack', 'jira', ' ']) : null,
      new Date(at),
    ];
    const modes: string[] = [];
    const asOfs: number[] = [];
    let edges = 0;

    for (let run = 0; run < RUNS; run++) {
      const previous = asOf;
      // Time moves 0 (a rerun at the same as_of), a few hours, or days (windows roll over; users go quiet).
      let step = run === 5 ? 0 : run === 9 ? 9 * DAY + 5 * HOUR : Math.floor(random() * 40 * HOUR) + 60_000 * Math.floor(random() * 59) + 1000 * Math.floor(random() * 59);
      // Exactly on a window's edge: an earlier run wrote a login at its own as_of; 7 or 14 days
      // later that login sits on the edge (windows are as_of - N days < t).
      for (const [days, from] of [[7, 3], [14, 1], [7, 8]] as const) {
        const edge = asOfs[from] + days * DAY;
        if (run > from && edge > previous && edge - previous < 3 * DAY) {
          step = edge - previous;
          edges++;
          break;
        }
      }
      asOf = previous + step;
      asOfs.push(asOf);
      if (random() < 0.3) active = users.filter(() => random() < 0.5); // some go quiet, some come back
      const rows: Value[][] = [];
      if (run !== 7) {
        // New events since the last run, and late ones: happened within the lookback before this
        // as_of but land only now.
        for (const user of active) {
          const n = Math.floor(random() * 4);
          for (let i = 0; i < n; i++) rows.push(event(user, previous + Math.floor(random() * Math.max(step, 1)) + 1));
          if (random() < 0.15) rows.push(event(user, asOf - Math.floor(random() * (LOOKBACK_DAYS * DAY - HOUR))));
        }
        // Exactly on the boundaries: the as_of itself, and the new fold cutoff (late, but just in
        // time: it lands while its time is still after the last cutoff; a rerun at the same
        // as_of has no new cutoff).
        rows.push(event(pick(users), asOf, 'login'));
        if (step > 0) rows.push(event(pick(users), asOf - LOOKBACK_DAYS * DAY, 'teammate_invited'));
        // Events after the as_of (clock skew, or a backfilled future) are ignored until their time comes.
        rows.push(event(pick(users), asOf + 2 * HOUR, 'paywall_hit'));
      }
      // One user's integration without a name (NULL), then one named blank (''): two keys, and
      // the older one is no longer touched when the newer one lands (run 9 jumps 9 days).
      if (run === 2 || run === 12) rows.push(event(users[0], asOf - HOUR, 'integration_connected').map((v, i) => (i === 4 ? ' ' : v)));
      if (run === 10) rows.push(event(users[0], asOf - HOUR, 'integration_connected').map((v, i) => (i === 4 ? null : v)));
      if (rows.length > 0) await warehouse.insertRows({ schema: raw, name: 'events' }, ['event_id', 'user_id', 'account_id', 'event_name', 'feature', 'occurred_at'], rows);

      const iso = new Date(asOf).toISOString();
      const built = await buildModels(warehouse, models, { dialect: warehouse.dialect, modelsSchema: incSchema, sources, asOf: iso }, undefined, { watermarks, allModels: models });
      await buildModels(warehouse, models, { dialect: warehouse.dialect, modelsSchema: fullSchema, sources, asOf: iso });
      const inc = built.find((b): b is BuiltModel & { incremental: NonNullable<BuiltModel['incremental']> } => b.name === 'user_event_totals')!.incremental;
      modes.push(inc.mode);

      for (const model of models) {
        const [a, b] = await Promise.all([snapshot(warehouse, { schema: incSchema, name: model.name }), snapshot(warehouse, { schema: fullSchema, name: model.name })]);
        expect(a, `${model.name} after run ${run} as of ${iso}`).toEqual(b);
      }
    }
    // The first build is full; every later one folds (none fell back to a full rebuild).
    expect(modes).toEqual(['full', ...Array(RUNS - 1).fill('incremental')]);
    expect(edges, 'runs whose as_of put an earlier login exactly on a window edge').toBeGreaterThan(0);
    const kept = await warehouse.query(`select count(*) as n from ${warehouse.dialect.table({ schema: incSchema, name: 'user_event_totals__kept' })}`);
    expect(Number(Object.values(kept[0])[0])).toBeGreaterThan(100);
  }, 300_000);

  it('rebuilds in full when as_of goes back, when asked to, and when the model changes', async () => {
    const watermarks = new ModelWatermarks(warehouse, stateSchema, incSchema);
    const mark = await watermarks.read('user_event_totals');
    expect(mark).toBeDefined();
    const target = models.filter((m) => m.name === 'stg_events' || m.name === 'user_event_totals');
    const ctx = (asOf: string, schema = incSchema): CompileContext => ({ dialect: warehouse.dialect, modelsSchema: schema, sources, asOf });
    const modeOf = (built: BuiltModel[]) => built.find((b) => b.name === 'user_event_totals')!.incremental;

    const earlier = new Date(Date.parse(mark!.asOf) - 2 * DAY - 5 * HOUR).toISOString();
    expect(modeOf(await buildModels(warehouse, target, ctx(earlier), undefined, { watermarks, allModels: models }))).toMatchObject({ mode: 'full', reason: expect.stringMatching(/earlier than the last build/) });
    await buildModels(warehouse, target, ctx(earlier, fullSchema));
    expect(await snapshot(warehouse, { schema: incSchema, name: 'user_event_totals' })).toEqual(await snapshot(warehouse, { schema: fullSchema, name: 'user_event_totals' }));

    expect(modeOf(await buildModels(warehouse, target, ctx(mark!.asOf), undefined, { watermarks, allModels: models }))).toMatchObject({ mode: 'incremental' });
    expect(modeOf(await buildModels(warehouse, target, ctx(mark!.asOf), undefined, { watermarks, allModels: models, fullRefresh: true }))).toMatchObject({ mode: 'full', reason: 'full refresh' });

    // An upstream model's SQL changes: the checksum covers it.
    const changed = models.map((m) => (m.name === 'stg_events' ? { ...m, body: m.body.replace('and user_id is not null', 'and user_id is not null and event_id is not null') } : m));
    const changedTarget = changed.filter((m) => m.name === 'stg_events' || m.name === 'user_event_totals');
    expect(modeOf(await buildModels(warehouse, changedTarget, ctx(mark!.asOf), undefined, { watermarks, allModels: changed }))).toMatchObject({ mode: 'full', reason: 'model changed' });
  }, 120_000);

  it("a build into another models schema (a pull request's) keeps its own marks and never moves production's", async () => {
    const production = new ModelWatermarks(warehouse, stateSchema, incSchema);
    const before = await production.read('user_event_totals');
    const prSchema = testSchema('pqlsync_inc_pr');
    const pullRequest = new ModelWatermarks(warehouse, stateSchema, prSchema);
    const target = models.filter((m) => m.name === 'stg_events' || m.name === 'user_event_totals');
    const later = new Date(Date.parse(before!.asOf) + 3 * DAY).toISOString();
    const ctx: CompileContext = { dialect: warehouse.dialect, modelsSchema: prSchema, sources, asOf: later };
    const built = await buildModels(warehouse, target, ctx, undefined, { watermarks: pullRequest, allModels: models });
    expect(built.find((b) => b.name === 'user_event_totals')!.incremental).toMatchObject({ mode: 'full' });
    expect((await pullRequest.read('user_event_totals'))?.asOf).toBe(later);
    expect(await production.read('user_event_totals')).toEqual(before);
    if (warehouse.dialect.name === 'postgres') await warehouse.execute(`drop schema if exists "${prSchema}" cascade`);
  }, 120_000);
});
