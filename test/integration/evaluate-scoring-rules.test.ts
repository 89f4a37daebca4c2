/**
 * The generic rule table (examples/demo/models/config/scoring_rules.sql) that `evaluate --suggest`
 * proposes rows for: empty, the scores are exactly the scores before it existed; with a row, the
 * rule's points and reason reach every user whose signal is at or above its threshold, and no one else.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { CompileContext } from '../../src/compile/compile-model.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels, type Model } from '../../src/project/load-models.ts';
import { parseModelFile } from '../../src/project/model-file.ts';
import { buildModels } from '../../src/run/build-models.ts';
import { testModels } from '../../src/run/test-models.ts';
import { DEMO_CONFIG } from '../helpers/project.ts';

const SCHEMA = 'pqlsync_models';
// Past one page of anything, with accounts of every team size the generator makes.
const USERS = 3000;
const SEED = 42;
const COMPARED = 'user_id, pql_score, pql_tier, pql_reasons, product_score, fit_score, activation_level, hot_trigger';

let warehouse: DuckDBWarehouse;
let models: Model[];
let ctx: CompileContext;

const model = (name: string) => models.find((m) => m.name === name)!;
const count = async (sql: string) => Number(Object.values((await warehouse.query(sql))[0])[0]);
/** Rows of a that b lacks, plus rows of b that a lacks, over the compared columns. */
const differences = (a: string, b: string) =>
  count(`select count(*) from ((select ${COMPARED} from ${a} except select ${COMPARED} from ${b}) union all (select ${COMPARED} from ${b} except select ${COMPARED} from ${a})) d`);

beforeAll(async () => {
  const project = await loadProject(DEMO_CONFIG);
  const sources = Object.fromEntries(
    Object.entries(project.config.sources).map(([name, table]) => {
      const [schema, tableName] = table.split('.');
      return [name, { schema, name: tableName }];
    }),
  );
  models = orderModels(await loadModels(project.modelsDir, { dialect: 'duckdb', projectRoot: project.root }), Object.keys(sources));
  warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
  ctx = { dialect: warehouse.dialect, modelsSchema: SCHEMA, sources, asOf: DEMO_AS_OF };
  await generateDemoData(warehouse, { users: USERS, seed: SEED });
  await buildModels(warehouse, models.slice(0, models.indexOf(model('user_scores')) + 1), ctx);
});
afterAll(async () => {
  await warehouse?.close();
});

describe('scoring_rules: point rules beyond the layers of scoring_points', () => {
  it('empty as shipped: every score, tier and reason is the one the model gave before the rule table', async () => {
    const file = path.resolve(__dirname, '../fixtures/scoring/user_scores.before-rules.sql');
    const before = parseModelFile(await readFile(file, 'utf8'), file, 'user_scores_before_rules');
    await buildModels(warehouse, [before], ctx);
    expect(await count(`select count(*) from ${SCHEMA}.user_scores`)).toBe(await count(`select count(*) from ${SCHEMA}.stg_users`));
    expect(await count(`select count(*) from ${SCHEMA}.user_scores where rules_layer <> 0`)).toBe(0);
    expect(await differences(`${SCHEMA}.user_scores`, `${SCHEMA}.user_scores_before_rules`)).toBe(0);
    // The comparison can fail: a scoring that differs in one user is seen.
    expect(await differences(`(select * replace (case when user_id = (select min(user_id) from ${SCHEMA}.user_scores) then pql_score + 1 else pql_score end as pql_score) from ${SCHEMA}.user_scores)`, `${SCHEMA}.user_scores_before_rules`)).toBe(2);
  });

  it('a rule row adds its points and its reason to exactly the users whose signal reaches the threshold', async () => {
    const rules = model('scoring_rules');
    const text = (await readFile(path.resolve(path.dirname(DEMO_CONFIG), rules.file), 'utf8')).replace(
      /select\n {2}'none' as rule_id[\s\S]*$/,
      `select 'team_active_7d_3' as rule_id, 'team_active_users_7d' as signal, 3 as threshold, 12 as points, 'teammates active this week' as reason`,
    );
    expect(text).toContain('team_active_7d_3');
    await buildModels(warehouse, [parseModelFile(text, rules.file, 'scoring_rules'), model('user_scores')], ctx);
    const results = await testModels(warehouse, [model('scoring_rules'), model('user_scores')], ctx);
    expect(results.filter((r) => r.status === 'error')).toEqual([]);
    // The team's active users computed here from user_features, not from the model.
    const team = `(select f.user_id, (select count(*) from ${SCHEMA}.user_features g where g.account_id = f.account_id and g.last_active_at > timestamp '${DEMO_AS_OF.slice(0, 19).replace('T', ' ')}' - interval 7 day) as active_7d from ${SCHEMA}.user_features f)`;
    const hit = await count(`select count(*) from ${team} t where t.active_7d >= 3`);
    expect(hit).toBeGreaterThan(30);
    expect(hit).toBeLessThan(USERS);
    const wrong = await count(
      `select count(*) from ${SCHEMA}.user_scores s join ${team} t using (user_id)
       where s.rules_layer <> case when t.active_7d >= 3 then 12 else 0 end
          or s.pql_score <> least(greatest(s.activation_layer + s.usage_layer + s.fit_layer + s.intent_layer + s.rules_layer - s.decay_points, 0), 100)
          or (t.active_7d >= 3) <> (s.pql_reasons like concat('%teammates active this week: ', cast(t.active_7d as varchar), '%'))`,
    );
    expect(wrong).toBe(0);
    // Scores moved for the users it holds for, and only up.
    expect(await count(`select count(*) from ${SCHEMA}.user_scores s join ${SCHEMA}.user_scores_before_rules b using (user_id) where s.pql_score < b.pql_score`)).toBe(0);
    expect(await count(`select count(*) from ${SCHEMA}.user_scores s join ${SCHEMA}.user_scores_before_rules b using (user_id) where s.pql_score > b.pql_score`)).toBeGreaterThan(0);
  });

  it('a rule naming a signal user_scores does not know fails the model test, naming the table, the column and the value', async () => {
    const rules = model('scoring_rules');
    const text = (await readFile(path.resolve(path.dirname(DEMO_CONFIG), rules.file), 'utf8')).replace(
      /select\n {2}'none' as rule_id[\s\S]*$/,
      `select 'seats_50' as rule_id, 'seat_count' as signal, 50 as threshold, 10 as points, 'a large team' as reason`,
    );
    const bad = parseModelFile(text, rules.file, 'scoring_rules');
    await buildModels(warehouse, [bad], ctx);
    const results = await testModels(warehouse, [bad], ctx);
    const failed = results.filter((r) => r.status === 'error');
    expect(failed.map((r) => `${r.model} ${r.test}`)).toEqual(['scoring_rules accepted_values(signal)']);
    expect(JSON.stringify(failed[0].sample)).toContain('seat_count');
  });
});
