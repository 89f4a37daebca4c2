import { describe, expect, it } from 'vitest';
import { dialects } from '../../connectors/registry.ts';
import type { Dialect, DialectName, MacroName, Macros } from '../../connectors/warehouse.ts';
import { createBigQueryDialect } from '../../connectors/bigquery/bigquery.dialect.ts';
import { hashInput, standardLiteral } from '../../connectors/shared/hash-input.ts';
import { expectGolden } from '../golden/golden.ts';

/** Each macro with the arguments a model would pass. */
const calls: Record<MacroName, (m: Macros) => string> = {
  as_of: (m) => m.as_of('2026-03-01T12:34:56.789Z'),
  days_between: (m) => m.days_between('e.first_seen_at', 'a.as_of'),
  add_days: (m) => m.add_days('a.as_of', '-14'),
  count_if: (m) => m.count_if(`e.event_name = 'login'`),
  any_true: (m) => m.any_true(`e.event_name = 'paywall_hit'`),
  safe_to_double: (m) => m.safe_to_double('u.seats_text'),
  to_string: (m) => m.to_string('u.user_id'),
  string_agg_sorted: (m) => m.string_agg_sorted('e.feature', `', '`),
  epoch_seconds: (m) => m.epoch_seconds('e.occurred_at'),
  row_hash: (m) => m.row_hash('u.email', 'u.score', 'u.tier'),
};
const macroNames = Object.keys(calls) as MacroName[];
const names: DialectName[] = ['duckdb', 'postgres', 'bigquery', 'snowflake'];

function dialect(name: DialectName): Dialect {
  const d = dialects[name];
  if (!d) throw new Error(`no dialect ${name} in the registry`);
  return d;
}

describe.each(names)('%s dialect', (name) => {
  const d = dialect(name);

  it('implements every macro', () => {
    expect(Object.keys(d.macros).sort()).toEqual([...macroNames].sort());
  });

  it.each(macroNames)('renders %s as its golden file', (macro) => {
    expectGolden(`${name}/${macro}.sql`, calls[macro](d.macros));
  });

  it('renders names, types and DDL as its golden file', () => {
    const t = { schema: 'pqlsync_models', name: 'user_scores' };
    const ddl = [
      `-- quote\n${d.quote('user_id')} ${d.quote('order')} ${d.quote('Mixed"Case')}`,
      `-- table\n${d.table(t)}`,
      `-- types\n${Object.entries(d.types).map(([k, v]) => `${k}: ${v}`).join('\n')}`,
      `-- timestampLiteral\n${d.timestampLiteral('2026-03-01T00:00:00Z')}`,
      `-- createSchema\n${d.createSchema('pqlsync')}`,
      `-- createTableAs table\n${d.createTableAs(t, 'select 1 as x', 'table')}`,
      `-- createTableAs view\n${d.createTableAs(t, 'select 1 as x', 'view')}`,
    ].join('\n\n');
    expectGolden(`${name}/ddl.sql`, ddl);
  });

  it('row_hash keeps NULLs in place and needs a column', () => {
    expect(d.macros.row_hash('a', 'b')).not.toBe(d.macros.row_hash('b', 'a'));
    expect(() => d.macros.row_hash()).toThrow(/at least one column/);
  });
});

describe('dialect specifics', () => {
  it('hashInput with explicit standard literals is the default spelling', () => {
    const toString = (e: string) => `cast(${e} as text)`;
    const concat = (p: string[]) => p.join(' || ');
    expect(hashInput(['a', 'b', 'c'], toString, concat, standardLiteral)).toBe(hashInput(['a', 'b', 'c'], toString, concat));
  });

  it('BigQuery hashes with TO_HEX(MD5(...)) and escapes backslashes in literals', () => {
    const sql = dialect('bigquery').macros.row_hash('x');
    expect(sql.startsWith('TO_HEX(MD5(')).toBe(true);
    expect(sql).toContain(`'\\\\N'`); // the two characters \N, written '\\N'
    expect(sql).not.toMatch(/'\\'/); // never a lone-backslash literal
  });

  it('BigQuery qualifies names with the dataset project when one is set', () => {
    const d = createBigQueryDialect({ datasetProject: 'acme-data' });
    expect(d.table({ schema: 'pqlsync', name: 'sync_state' })).toBe('`acme-data`.`pqlsync`.`sync_state`');
    expect(d.createSchema('pqlsync')).toBe('CREATE SCHEMA IF NOT EXISTS `acme-data`.`pqlsync`');
    expect(dialect('bigquery').table({ schema: 'pqlsync', name: 'sync_state' })).toBe('`pqlsync`.`sync_state`');
  });

  it('Snowflake quotes lower-case identifiers in upper case (what unquoted names fold to) and others as written', () => {
    const d = dialect('snowflake');
    expect(d.table({ schema: 'raw', name: 'events' })).toBe('"RAW"."EVENTS"');
    expect(d.quote('MixedCase')).toBe('"MixedCase"');
    expect(d.quote('a"b')).toBe('"a""b"');
  });

  it('PostgreSQL replaces tables and views by dropping first (no CREATE OR REPLACE TABLE)', () => {
    const sql = dialect('postgres').createTableAs({ schema: 's', name: 't' }, 'select 1', 'table');
    expect(sql).toMatch(/^drop table if exists "s"\."t" cascade;\ncreate table "s"\."t" as\n/);
  });
});
