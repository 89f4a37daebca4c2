/**
 * The shipped models (examples/demo/models/**) built with the compiler on generated demo data in DuckDB:
 * their header tests pass, and the scoring behaves as each case below states.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { Row } from '../../connectors/warehouse.ts';
import type { CompileContext } from '../../src/compile/compile-model.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, generateDemoData, touchUsers } from '../../src/demo/generate-demo-data.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels, type Model } from '../../src/project/load-models.ts';
import { buildModels } from '../../src/run/build-models.ts';
import { testModels } from '../../src/run/test-models.ts';
import { DEMO_CONFIG } from '../helpers/project.ts';

const SCHEMA = 'pqlsync_models';
const USERS = 3000;
const SEED = 42;

let warehouse: DuckDBWarehouse;
let models: Model[];
let sources: CompileContext['sources'];
let mapped: Record<string, { key: string; columns: string[] }>;

beforeAll(async () => {
  const project = await loadProject(DEMO_CONFIG);
  sources = Object.fromEntries(
    Object.entries(project.config.sources).map(([name, table]) => {
      const [schema, tableName] = table.split('.');
      return [name, { schema, name: tableName }];
    }),
  );
  mapped = Object.fromEntries(
    // The columns a sync reads: its properties and the keys of the records it is associated with.
    // The handoff syncs read views the handoff writes (src/handoff), not model files.
    project.config.syncs
      .filter((s) => !s.model.startsWith('handoff_'))
      .map((s) => [s.model, { key: s.key, columns: [...s.properties.map((p) => p.column), ...(s.associations ?? []).map((a) => a.column)] }]),
  );
  models = orderModels(
    await loadModels(project.modelsDir, { dialect: 'duckdb', projectRoot: project.root }),
    Object.keys(sources),
  );
  warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
});
afterAll(async () => {
  await warehouse?.close();
});

function context(asOf = DEMO_AS_OF): CompileContext {
  return { dialect: warehouse.dialect, modelsSchema: SCHEMA, sources, asOf };
}

async function build(asOf = DEMO_AS_OF): Promise<void> {
  await buildModels(warehouse, models, context(asOf));
}

async function rows(sql: string): Promise<Row[]> {
  return warehouse.query(sql);
}

async function one(sql: string): Promise<number> {
  const [row] = await warehouse.query(sql);
  return Number(Object.values(row)[0]);
}

/** key → row hash over exactly the columns pqlsync.yml maps, as the sync's diff computes it. */
async function syncHashes(model: string): Promise<Map<string, string>> {
  const { key, columns } = mapped[model];
  const q = warehouse.dialect.quote;
  const hash = warehouse.dialect.macros.row_hash(...columns.map(q));
  const result = await rows(`select ${q(key)} as k, ${hash} as h from ${SCHEMA}.${model}`);
  return new Map(result.map((r) => [String(r.k), String(r.h)]));
}

function changedKeys(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

describe('shipped models on demo data', () => {
  it('build in order, every model test passes, and the syncs read only mapped columns', async () => {
    await generateDemoData(warehouse, { users: USERS, seed: SEED });
    await build();
    const results = await testModels(warehouse, models, context());
    expect(results.length).toBeGreaterThan(50);
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
    // The demo's few invalid or missing emails: those users cannot become contacts, and the run says which.
    const warned = results.filter((r) => r.status === 'warn');
    expect(warned.map((r) => `${r.model} ${r.test}`)).toEqual(['user_scores not_null(email)']);
    expect(warned[0].failures).toBe(await one(`select count(*) from ${SCHEMA}.stg_users where email is null`));
    expect(warned[0].sample.length).toBe(5);
    for (const [model, { key, columns }] of Object.entries(mapped)) {
      const described = await warehouse.describe({ schema: SCHEMA, name: model });
      const names = described!.map((c) => c.name);
      expect(names.filter((c) => c !== key && !columns.includes(c))).toEqual([]);
      expect(columns.filter((c) => !names.includes(c))).toEqual([]);
    }
  });

  it('a rebuild with the same data and as-of changes nothing that is synced', async () => {
    const contacts = await syncHashes('contact_sync');
    const companies = await syncHashes('company_sync');
    await build();
    expect(changedKeys(contacts, await syncHashes('contact_sync'))).toEqual([]);
    expect(changedKeys(companies, await syncHashes('company_sync'))).toEqual([]);
  });

  it('cleans emails and domains; free-mail users never become a company', async () => {
    expect(await one(`select count(*) from ${SCHEMA}.contact_sync where email <> lower(trim(email)) or email not like '%@%.%'`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.company_sync where domain like 'www.%' or domain <> lower(domain)`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.company_sync c join ${SCHEMA}.free_email_domains f on f.domain = c.domain`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.account_features a join ${SCHEMA}.free_email_domains f on f.domain = a.domain`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.domain_activity a join ${SCHEMA}.free_email_domains f on f.domain = a.company_domain`)).toBe(0);
    // Personal workspaces of free-mail users (some even carry 'gmail.com' as their domain) have no company row.
    expect(await one(`select count(*) from raw.accounts where lower(domain) = 'gmail.com'`)).toBeGreaterThan(0);
    expect(
      await one(`select count(*) from ${SCHEMA}.user_scores s join ${SCHEMA}.stg_accounts a using (account_id)
                 where s.is_free_email and not a.is_company and s.company_account_id is not null`),
    ).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where is_free_email and hot_trigger like '%activations at%'`)).toBe(0);
  });

  it('motion is sales_assisted exactly when seats >= 50', async () => {
    expect(await one(`select count(*) from ${SCHEMA}.account_scores where (motion = 'sales_assisted') <> (seats >= 50)`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.company_sync where (motion = 'sales_assisted') <> (seats >= 50)`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.account_scores where motion = 'sales_assisted'`)).toBeGreaterThan(0);
    expect(await one(`select count(*) from ${SCHEMA}.account_scores where motion = 'self_serve'`)).toBeGreaterThan(0);
  });

  it('scores are integers in 0-100, tiers follow the thresholds, and reasons read like a sentence', async () => {
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where pql_score < 0 or pql_score > 100 or product_score > 100 or fit_score > 100`)).toBe(0);
    const tiers = await rows(`select pql_tier, min(pql_score) as lo, max(pql_score) as hi, count(*) as n, count(hot_trigger) as triggered
                              from ${SCHEMA}.user_scores group by pql_tier`);
    const byTier = Object.fromEntries(tiers.map((t) => [t.pql_tier, t]));
    expect(Object.keys(byTier).sort()).toEqual(['cold', 'hot', 'sales_ready', 'warm']);
    expect(Number(byTier.cold.hi)).toBeLessThan(30);
    expect(Number(byTier.warm.lo)).toBeGreaterThanOrEqual(30);
    expect(Number(byTier.warm.hi)).toBeLessThan(60);
    expect(Number(byTier.sales_ready.lo)).toBeGreaterThanOrEqual(80);
    // Below 60 a user is hot only through a hot trigger.
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where pql_tier = 'hot' and pql_score < 60 and hot_trigger is null`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where hot_trigger is not null and pql_tier in ('cold', 'warm')`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where pql_reasons like '; %' or pql_reasons like '%; ' or pql_reasons = ''`)).toBe(0);
  });

  it('higher tiers convert more often (the outcomes a backtest reads)', async () => {
    const result = await rows(`select s.pql_tier, avg(case when o.converted then 1.0 else 0.0 end) as rate
                               from ${SCHEMA}.user_scores s join raw.user_outcomes o using (user_id) group by s.pql_tier`);
    const rate = Object.fromEntries(result.map((r) => [r.pql_tier, Number(r.rate)]));
    expect(rate.sales_ready).toBeGreaterThan(rate.cold * 3);
  });

  it('decay: with no new data, a later as-of never raises a score and lowers the active users', async () => {
    const before = await rows(`select user_id, pql_score from ${SCHEMA}.user_scores`);
    await build('2026-12-15T00:00:00.000Z');
    const after = new Map((await rows(`select user_id, pql_score, pql_reasons from ${SCHEMA}.user_scores`)).map((r) => [r.user_id, r]));
    let lowered = 0;
    for (const b of before) {
      const a = after.get(b.user_id)!;
      expect(Number(a.pql_score)).toBeLessThanOrEqual(Number(b.pql_score));
      if (Number(a.pql_score) < Number(b.pql_score)) lowered++;
    }
    expect(lowered).toBeGreaterThan(before.length * 0.3);
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where pql_reasons like '%inactive 30+ days%'`)).toBeGreaterThan(0);
    await build();
  });

  it('a paywall hit is a hot trigger that bypasses the score, for exactly the touched users', async () => {
    const candidates = await rows(`select s.user_id, s.email from ${SCHEMA}.user_scores s join ${SCHEMA}.contact_sync c using (user_id)
                                   where s.pql_tier = 'cold' and s.hot_trigger is null and s.pql_score < 15 order by s.user_id limit 3`);
    expect(candidates).toHaveLength(3);
    const before = await syncHashes('contact_sync');
    const touched = await touchUsers(warehouse, {
      userIds: candidates.map((c) => String(c.user_id)),
      at: '2026-10-31T20:00:00.000Z',
      kind: 'paywall',
    });
    expect(touched).toBe(6);
    await build();
    const after = await rows(`select user_id, pql_tier, hot_trigger, pql_reasons from ${SCHEMA}.user_scores
                              where user_id in (${candidates.map((c) => `'${c.user_id}'`).join(', ')}) order by user_id`);
    for (const row of after) {
      expect(row.pql_tier).toBe('hot');
      expect(row.hot_trigger).toContain('paywall hit');
      expect(row.pql_reasons).toMatch(/^hit the paywall twice this week/);
    }
    // Exactly the k touched contacts change (keyed by user id); nobody else does.
    expect(changedKeys(before, await syncHashes('contact_sync'))).toEqual(candidates.map((c) => String(c.user_id)).sort());
  });

  it('tiers respond to behaviour: strong signals raise the score of an inactive user', async () => {
    const [user] = await rows(`select user_id, pql_score from ${SCHEMA}.user_scores where activated and pql_score between 10 and 50
                               and days_since_active >= 14 order by user_id limit 1`);
    await touchUsers(warehouse, { userIds: [String(user.user_id)], at: '2026-10-31T21:00:00.000Z', kind: 'strong' });
    await touchUsers(warehouse, { userIds: [String(user.user_id)], at: '2026-10-31T22:00:00.000Z', kind: 'enterprise' });
    await build();
    const [after] = await rows(`select pql_score, pql_tier, hot_trigger, pql_reasons from ${SCHEMA}.user_scores where user_id = '${user.user_id}'`);
    expect(Number(after.pql_score)).toBeGreaterThan(Number(user.pql_score));
    expect(['hot', 'sales_ready']).toContain(after.pql_tier);
    expect(after.hot_trigger).toBe('paywall hit, enterprise feature attempt, 5+ invites in a week');
    expect(after.pql_reasons).toContain('invited');
  });

  it('a past as-of sees only what was known then, and the model tests still pass', async () => {
    const asOf = '2026-10-01T00:00:00.000Z';
    await build(asOf);
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where signup_at > timestamp '2026-10-01 00:00:00'`)).toBe(0);
    expect(await one(`select count(*) from ${SCHEMA}.user_scores where last_active_at > timestamp '2026-10-01 00:00:00'`)).toBe(0);
    expect(await one(`select count(*) from raw.users where signup_at > timestamp '2026-10-01 00:00:00'`)).toBeGreaterThan(0);
    const results = await testModels(warehouse, models, context(asOf));
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
  });
});
