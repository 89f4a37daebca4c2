/**
 * Incremental models: the header is validated at the boundary (errors name the file), and the
 * fold's SQL per dialect is golden (BigQuery and Snowflake cannot run here; DuckDB and
 * PostgreSQL run it in test/integration/incremental-exact.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { dialects } from '../../connectors/registry.ts';
import { compileModel } from '../../src/compile/compile-model.ts';
import { deleteMatching, foldSelect, incrementalTables, insertSelect, mergeSelect, refillSelect } from '../../src/compile/incremental-sql.ts';
import { ModelError } from '../../contracts/errors.ts';
import { parseModelFile } from '../../src/project/model-file.ts';
import { expectGolden } from '../golden/golden.ts';

const file = 'models/features/event_totals.sql';
const header = `/*
materialized: incremental
incremental:
  key: [user_id, feature]
  lookback_days: 2
  merge: { events: sum, first_at: min, last_at: max, converted: any }
*/
`;
const body = `select user_id, feature, count(*) as events, min(t) as first_at, max(t) as last_at, {{ any_true(kind = 'paid') }} as converted
from {{ source('events') }}
where {{ time_range(t) }}
group by user_id, feature
`;

function error(text: string): string {
  try {
    parseModelFile(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    expect((e as ModelError).file).toBe(file);
    return (e as Error).message;
  }
  throw new Error('expected a ModelError');
}

describe('incremental model header', () => {
  it('parses key, lookback and merge rules', () => {
    const model = parseModelFile(header + body, file);
    expect(model.header.materialized).toBe('incremental');
    expect(model.header.incremental).toEqual({ key: ['user_id', 'feature'], lookback_days: 2, merge: { events: 'sum', first_at: 'min', last_at: 'max', converted: 'any' } });
  });

  it('names the file when the incremental block is missing, misplaced or wrong', () => {
    expect(error(`/*\nmaterialized: incremental\n*/\n${body}`)).toMatch(/event_totals\.sql.*incremental: block/s);
    expect(error(`/*\nmaterialized: table\nincremental: { key: [a], lookback_days: 1, merge: { n: sum } }\n*/\nselect 1 as a`)).toMatch(/needs materialized: incremental/);
    expect(error(header.replace('events: sum', 'events: avg') + body)).toMatch(/event_totals\.sql/);
    expect(error(header.replace('lookback_days: 2', 'lookback_days: -1') + body)).toMatch(/lookback_days/);
    expect(error(header.replace('events: sum', 'user_id: sum') + body)).toMatch(/'user_id' is a key column/);
  });

  it('requires time_range() in an incremental model, and only there', () => {
    expect(error(header + body.replace('where {{ time_range(t) }}', ''))).toMatch(/must filter its events with \{\{ time_range/);
    expect(error(`select 1 as a from x where {{ time_range(t) }}`)).toMatch(/event_totals\.sql:1: time_range\(\) is only for incremental models/);
  });
});

describe.each(['duckdb', 'postgres', 'bigquery', 'snowflake'] as const)('incremental SQL for %s', (name) => {
  const dialect = dialects[name]!;
  const model = parseModelFile(header + body, file);
  const config = model.header.incremental!;
  const table = { schema: 'pqlsync_models', name: 'event_totals' };
  const { kept, fresh, recent, delta, refill } = incrementalTables(table);
  const ctx = { dialect, modelsSchema: 'pqlsync_models', sources: { events: { schema: 'raw', name: 'events' } }, asOf: '2026-11-01T06:30:00.000Z' };

  it('matches its golden SQL: the time ranges, the fold, the delete and the refill', () => {
    const sql = [
      '-- full rebuild (no range: everything up to as_of)',
      compileModel(model, ctx),
      '-- folded range',
      compileModel(model, { ...ctx, timeRange: { after: '2026-10-29T06:00:00.000Z', until: '2026-10-30T06:30:00.000Z' } }),
      '-- fold: kept rows of the touched keys merged with the fresh rows',
      dialect.createTableAs(delta, foldSelect(dialect, config, kept, fresh), 'table'),
      '-- refill: the model rows of every key the fresh or recent rows touch',
      dialect.createTableAs(refill, refillSelect(dialect, config, kept, fresh, recent), 'table'),
      '-- in the transaction',
      deleteMatching(dialect, config, kept, delta),
      insertSelect(dialect, config, kept, `select * from ${dialect.table(delta)}`),
      deleteMatching(dialect, config, table, refill),
      '-- a full rebuild fills the model from the kept rows and the recent SELECT',
      insertSelect(dialect, config, table, mergeSelect(dialect, config, [dialect.table(kept), 'select 1 as recent'])),
    ].join(';\n\n');
    expectGolden(`${name}/incremental.sql`, sql);
  });
});
