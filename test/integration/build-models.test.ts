import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { CompileContext } from '../../src/compile/compile-model.ts';
import { ModelError } from '../../contracts/errors.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels } from '../../src/project/load-models.ts';
import { buildModels, type BuildProgress } from '../../src/run/build-models.ts';
import { assertModelTestsPass, testModels } from '../../src/run/test-models.ts';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'projects');
const sources = {
  users: { schema: 'raw', name: 'users' },
  events: { schema: 'raw', name: 'events' },
  accounts: { schema: 'raw', name: 'accounts' },
};

let warehouse: DuckDBWarehouse;
beforeEach(async () => {
  warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
});
afterEach(async () => {
  await warehouse.close();
});

async function setUp(scenario: string, asOf = '2026-01-31T00:00:00Z') {
  const root = join(fixtures, scenario);
  const seed = await readFile(join(root, 'seed.sql'), 'utf8').catch(() => '');
  if (seed) await warehouse.execute(seed);
  const models = orderModels(await loadModels(join(root, 'models'), { dialect: 'duckdb', projectRoot: root }), Object.keys(sources));
  const ctx: CompileContext = { dialect: warehouse.dialect, modelsSchema: 'pqlsync_models', sources, asOf };
  return { models, ctx };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('build models on DuckDB', () => {
  it('builds a project in dependency order, reports progress and counts the rows of tables (not views: counting one runs it)', async () => {
    const { models, ctx } = await setUp('basic');
    const events: BuildProgress[] = [];
    const built = await buildModels(warehouse, models, ctx, (e) => events.push(e));
    expect(built.map((b) => [b.name, b.rows])).toEqual([
      ['accounts', 2],
      ['stg_events', -1],
      ['stg_users', -1],
      ['user_features', 3],
      ['user_scores', 3],
    ]);
    expect(built.every((b) => b.ms >= 0 && b.file.startsWith('models/'))).toBe(true);
    expect(events).toHaveLength(10);
    expect(events[0]).toEqual({ model: 'accounts', index: 0, total: 5 });
    expect(events[1].done?.name).toBe('accounts');

    const kinds = await warehouse.query(
      "select table_name, table_type from information_schema.tables where table_schema = 'pqlsync_models' order by table_name",
    );
    expect(kinds.find((k) => k.table_name === 'stg_users')?.table_type).toBe('VIEW');
    expect(kinds.find((k) => k.table_name === 'user_scores')?.table_type).toBe('BASE TABLE');

    const scores = await warehouse.query('select user_id, score, pql_tier from pqlsync_models.user_scores order by user_id');
    expect(scores).toEqual([
      { user_id: 1, score: 40, pql_tier: 'hot' },
      { user_id: 2, score: 10, pql_tier: 'warm' },
      { user_id: 3, score: 0, pql_tier: 'cold' },
    ]);

    const results = await testModels(warehouse, models, ctx);
    expect(results.length).toBeGreaterThan(10);
    expect(results.filter((r) => r.failures > 0)).toEqual([]);
    expect(() => assertModelTestsPass(results)).not.toThrow();
  });

  it('gives the same result for the same data and as-of, and ignores events after it', async () => {
    const { models, ctx } = await setUp('basic', '2026-01-31T00:00:00Z');
    const features = 'select user_id, days_since_signup, logins_7d, event_names from pqlsync_models.user_features order by user_id';
    await buildModels(warehouse, models, ctx);
    const first = await warehouse.query(features);
    // A late event, after the as-of time: invisible to a run pinned before it.
    await warehouse.execute("insert into raw.events values (3, 'invite', timestamp '2026-01-31 00:00:01')");
    await buildModels(warehouse, models, ctx);
    expect(await warehouse.query(features)).toEqual(first);
    expect(first.map((r) => r.logins_7d)).toEqual([2, 1, 0]);
    expect(first[0].days_since_signup).toBe(29); // 2026-01-01 09:00 → 2026-01-31 00:00: 29 whole days

    await buildModels(warehouse, models, { ...ctx, asOf: '2026-02-02T00:00:00Z' });
    const later = await warehouse.query(features);
    // 2026-02-02 − 7 days = 01-26: user 1's login of 01-25 leaves the window, user 2's of 02-01 enters it.
    expect(later.map((r) => r.logins_7d)).toEqual([1, 2, 0]);
    expect(later[2].event_names).toBe('invite, login');
  });

  it('names the file and line of a syntax error', async () => {
    const { models, ctx } = await setUp('syntax-error');
    const e = await rejection(buildModels(warehouse, models, ctx));
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).file).toBe('models/broken.sql');
    expect(e.message).toMatch(/^models\/broken\.sql:7: model broken failed to build/);
    expect(e.message).toContain('fromm');
  });

  it('reports each failing test with model, test and sample keys', async () => {
    const { models, ctx } = await setUp('failing-tests');
    await buildModels(warehouse, models, ctx);
    const results = await testModels(warehouse, models, ctx);
    const failing = results.filter((r) => r.failures > 0).map(({ model, test, failures, sample }) => ({ model, test, failures, sample }));
    expect(failing).toEqual([
      { model: 'users', test: 'unique(user_id)', failures: 1, sample: ['1'] },
      { model: 'users', test: 'not_null(email)', failures: 1, sample: ['2'] },
      { model: 'users', test: 'accepted_values(pql_tier)', failures: 2, sample: ['lukewarm', 'very_hot'] },
      { model: 'users', test: 'relationships(account_id → accounts.account_id)', failures: 2, sample: ['ghost', 'phantom'] },
    ]);
    expect(results.find((r) => r.model === 'accounts')).toMatchObject({ test: 'unique(account_id)', failures: 0 });

    const e = (() => {
      try {
        assertModelTestsPass(results);
      } catch (error) {
        return error as ModelError;
      }
      throw new Error('expected a ModelError');
    })();
    expect(e).toBeInstanceOf(ModelError);
    expect(e.file).toBe('models/users.sql');
    expect(e.message).toContain('4 model test(s) failed');
    expect(e.message).toContain('users unique(user_id) (models/users.sql): 1 duplicated value(s), e.g. 1');
    expect(e.message).toContain('users accepted_values(pql_tier) (models/users.sql): 2 failing row(s), e.g. lukewarm, very_hot');
  });

  it('names the model and test when a test cannot run', async () => {
    const { models, ctx } = await setUp('failing-tests');
    await buildModels(warehouse, models, ctx);
    const users = models.find((m) => m.name === 'users')!;
    const broken = { ...users, header: { ...users.header, tests: { not_null: ['no_such_column'] } } };
    const e = await rejection(testModels(warehouse, [broken], ctx));
    expect(e).toBeInstanceOf(ModelError);
    expect(e.message).toMatch(/^models\/users\.sql: test not_null\(no_such_column\) of model users could not run/);
  });
});
