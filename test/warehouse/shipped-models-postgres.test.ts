/**
 * The shipped models, compiled for PostgreSQL and built there for real on the demo data, with
 * their model tests; then the same models built on DuckDB from the same rows must give the
 * same tables, row for row (the "same models everywhere" promise, checked on two engines).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import type { TableName, Value, Warehouse } from '../../connectors/warehouse.ts';
import type { CompileContext } from '../../src/compile/compile-model.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { orderModels } from '../../src/project/graph.ts';
import { loadModels, type Model } from '../../src/project/load-models.ts';
import { buildModels } from '../../src/run/build-models.ts';
import { assertModelTestsPass, testModels } from '../../src/run/test-models.ts';
import { noteSkippedPostgres, postgresUrl, testSchema } from './postgres-env.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { DEMO_CONFIG, dropSchemas } from '../helpers/project.ts';

noteSkippedPostgres('shipped models on PostgreSQL');

/** A table's rows as sorted, comparable lines (floats to 9 significant digits, instants as ISO). */
async function snapshot(w: Warehouse, table: TableName): Promise<string[]> {
  const rows = await w.query(`select * from ${w.dialect.table(table)}`);
  const norm = (v: Value) => (v instanceof Date ? v.toISOString() : typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(9)) : v);
  return rows.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k, norm(r[k])]))).sort();
}

describe.skipIf(!postgresUrl)('shipped models on PostgreSQL', () => {
  const rawSchema = testSchema('pqlsync_raw');
  const modelsSchema = testSchema('pqlsync_models');
  let duck: DuckDBWarehouse;
  let pg: PostgresWarehouse;
  let pgModels: Model[];
  let duckModels: Model[];
  let pgCtx: CompileContext;
  let duckCtx: CompileContext;

  beforeAll(async () => {
    duck = await DuckDBWarehouse.open({ path: ':memory:' });
    pg = await PostgresWarehouse.open({ connectionString: postgresUrl! });
    await generateDemoData(duck, { users: 400, seed: 11 });
    await copyDemoRawTables(duck, pg, rawSchema);

    const project = await loadProject(DEMO_CONFIG);
    const known = Object.keys(project.sources);
    pgModels = orderModels(await loadModels(project.modelsDir, { dialect: 'postgres', projectRoot: project.root }), known);
    duckModels = orderModels(await loadModels(project.modelsDir, { dialect: 'duckdb', projectRoot: project.root }), known);
    const pgSources = Object.fromEntries(Object.entries(project.sources).map(([k, t]) => [k, { schema: rawSchema, name: t.name }]));
    pgCtx = { dialect: pg.dialect, modelsSchema, sources: pgSources, asOf: DEMO_AS_OF };
    duckCtx = { dialect: duck.dialect, modelsSchema: 'pqlsync_models', sources: project.sources, asOf: DEMO_AS_OF };
  }, 120_000);

  afterAll(async () => {
    await dropSchemas(pg, [modelsSchema, rawSchema]);
    await pg?.close();
    await duck?.close();
  });

  it('builds every shipped model, and their model tests pass', async () => {
    const built = await buildModels(pg, pgModels, pgCtx);
    expect(built.map((b) => b.name)).toEqual(pgModels.map((m) => m.name));
    expect(built.find((b) => b.name === 'user_scores')?.rows).toBeGreaterThan(100);
    assertModelTestsPass(await testModels(pg, pgModels, pgCtx));
    // Built again over the existing tables and views: the replace path works too.
    await buildModels(pg, pgModels, pgCtx);
  }, 120_000);

  it('gives the same rows as DuckDB for every model', async () => {
    await buildModels(duck, duckModels, duckCtx);
    const differing: string[] = [];
    let compared = 0;
    for (const model of pgModels) {
      const [a, b] = await Promise.all([
        snapshot(duck, { schema: 'pqlsync_models', name: model.name }),
        snapshot(pg, { schema: modelsSchema, name: model.name }),
      ]);
      compared += a.length;
      if (JSON.stringify(a) !== JSON.stringify(b)) {
        const onlyDuck = a.filter((x) => !b.includes(x)).slice(0, 2);
        const onlyPg = b.filter((x) => !a.includes(x)).slice(0, 2);
        differing.push(`${model.name}: ${a.length} vs ${b.length} rows\n  duckdb:   ${onlyDuck.join('\n            ')}\n  postgres: ${onlyPg.join('\n            ')}`);
      }
    }
    expect(differing, differing.join('\n')).toEqual([]);
    expect(compared).toBeGreaterThan(500);
  }, 120_000);
});
