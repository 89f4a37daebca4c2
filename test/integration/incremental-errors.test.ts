/**
 * An incremental model that cannot be built says which file, and what to do: a SQL error with
 * the file's line, and a selected column that has no merge rule.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { ModelError } from '../../contracts/errors.ts';
import { parseModelFile } from '../../src/project/model-file.ts';
import { buildModels } from '../../src/run/build-models.ts';
import { ModelWatermarks } from '../../src/state/model-watermarks.ts';

let warehouse: DuckDBWarehouse;
const file = 'models/features/event_totals.sql';
const header = `/*
materialized: incremental
incremental:
  key: [user_id]
  lookback_days: 1
  merge: { events: sum }
*/
`;

beforeAll(async () => {
  warehouse = await DuckDBWarehouse.open({ path: ':memory:' });
  await warehouse.execute(`create schema raw; create table raw.events as select 'u1' as user_id, timestamp '2026-10-30 10:00:00' as t, 'x' as kind`);
});
afterAll(async () => {
  await warehouse?.close();
});

async function failure(body: string): Promise<ModelError> {
  const model = parseModelFile(header + body, file);
  const ctx = { dialect: warehouse.dialect, modelsSchema: 'm', sources: { events: { schema: 'raw', name: 'events' } }, asOf: '2026-11-01T00:00:00Z' };
  const error = await buildModels(warehouse, [model], ctx, undefined, { watermarks: new ModelWatermarks(warehouse, 'state', 'm') }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelError);
  return error as ModelError;
}

it('a SQL error names the file and the line', async () => {
  const error = await failure(`select user_id,\n  count(no_such_column) as events\nfrom {{ source('events') }}\nwhere {{ time_range(t) }}\ngroup by user_id\n`);
  expect(error.file).toBe(file);
  expect(error.message).toMatch(/^models\/features\/event_totals\.sql:9: model event_totals failed to build/);
});

it('a column without a merge rule is named, with the rules to choose from', async () => {
  const error = await failure(`select user_id, count(*) as events, max(kind) as last_kind\nfrom {{ source('events') }}\nwhere {{ time_range(t) }}\ngroup by user_id\n`);
  expect(error.message).toMatch(/^models\/features\/event_totals\.sql: .*Not in incremental\.key or incremental\.merge: last_kind \(add a merge rule: sum, min, max or any\)/);
});
