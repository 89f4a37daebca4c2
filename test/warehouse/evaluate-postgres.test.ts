/**
 * The backtest's SQL on PostgreSQL: the same demo rows backtested on PostgreSQL and on DuckDB
 * give the same histograms, paired cells and median days, so every figure agrees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { backtestDates, runBacktest, type BacktestData } from '../../src/evaluate/backtest.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels } from '../../src/project/load-models.ts';
import { parseModelFile } from '../../src/project/model-file.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { noteSkippedPostgres, postgresUrl, testSchema } from './postgres-env.ts';
import { DEMO_CONFIG, dropSchemas } from '../helpers/project.ts';

noteSkippedPostgres('evaluate on PostgreSQL');

describe.skipIf(!postgresUrl)('evaluate on PostgreSQL', () => {
  const rawSchema = testSchema('pqlsync_eval_raw');
  const modelsSchema = testSchema('pqlsync_eval_models');
  let duck: DuckDBWarehouse;
  let pg: PostgresWarehouse;
  const results: Record<string, BacktestData> = {};

  beforeAll(async () => {
    duck = await DuckDBWarehouse.open({ path: ':memory:' });
    pg = await PostgresWarehouse.open({ connectionString: postgresUrl! });
    await generateDemoData(duck, { users: 400, seed: 17, days: 80 });
    await copyDemoRawTables(duck, pg, rawSchema);
  }, 120_000);

  afterAll(async () => {
    await dropSchemas(pg, [modelsSchema, rawSchema]);
    await pg?.close();
    await duck?.close();
  });

  it.each(['postgres', 'duckdb'] as const)('backtests on %s', async (engine) => {
    const project = await loadProject(DEMO_CONFIG);
    const w = engine === 'postgres' ? pg : duck;
    const models = orderModels(await loadModels(project.modelsDir, { dialect: engine, projectRoot: project.root }), Object.keys(project.sources));
    const sources = engine === 'postgres' ? Object.fromEntries(Object.entries(project.sources).map(([k, t]) => [k, { schema: rawSchema, name: t.name }])) : project.sources;
    const points = models.find((m) => m.name === 'scoring_points')!;
    const candidate = parseModelFile(
      `${'/*'}\nmaterialized: table\n*/\n${points.body.replace(/\b20 as activation_points/, '25 as activation_points').replace(/\b60 as hot_min/, '55 as hot_min')}`,
      'candidate.sql',
      'scoring_points',
    );
    const evaluate = project.config.evaluate!;
    results[engine] = await runBacktest({
      warehouse: w,
      models,
      ctx: { dialect: w.dialect, modelsSchema, sources, asOf: DEMO_AS_OF },
      targets: evaluate.targets,
      dates: backtestDates(DEMO_AS_OF, { horizonDays: 30, everyDays: 7, count: 3 }),
      horizonDays: 30,
      candidate,
    });
    const contacts = results[engine].targets.contacts;
    expect(contacts.cells.current.reduce((s, c) => s + c.conversions, 0)).toBeGreaterThan(5);
    expect(contacts.paired.length).toBeGreaterThan(10);
    // The evaluation's private schema is gone.
    const left = await w.query(`select schema_name from information_schema.schemata where schema_name like '${modelsSchema}_eval_%'`);
    expect(left).toEqual([]);
  }, 120_000);

  it('PostgreSQL and DuckDB agree on every cell', () => {
    const sort = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
    for (const target of ['contacts', 'accounts']) {
      const a = results.postgres.targets[target];
      const b = results.duckdb.targets[target];
      expect(sort(a.cells.current)).toEqual(sort(b.cells.current));
      expect(sort(a.cells.candidate)).toEqual(sort(b.cells.candidate));
      expect(sort(a.paired)).toEqual(sort(b.paired));
      expect(a.medianDaysToConvert).toEqual(b.medianDaysToConvert);
      expect(sort(a.cells.candidate)).not.toEqual(sort(a.cells.current));
    }
  });
});
