/**
 * The macros executed for real, on DuckDB and on PostgreSQL: the same meaning on both, at the
 * boundaries. PostgreSQL runs when PQLSYNC_POSTGRES_URL is set.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { noteSkippedPostgres, postgresUrl } from './postgres-env.ts';

const engines: Array<{ name: string; open: () => Promise<Warehouse>; enabled: boolean }> = [
  { name: 'duckdb', open: () => DuckDBWarehouse.open({ path: ':memory:' }), enabled: true },
  { name: 'postgres', open: () => PostgresWarehouse.open({ connectionString: postgresUrl! }), enabled: Boolean(postgresUrl) },
];
noteSkippedPostgres('macros on PostgreSQL');

/** What row_hash must equal: md5 hex of the escaped, NULL-marked, '|'-joined string forms. */
function expectedHash(values: Array<string | null>): string {
  const text = values.map((v) => (v === null ? '\\N' : v.replace(/\\/g, '\\\\').replace(/\|/g, '\\|'))).join('|');
  return createHash('md5').update(text, 'utf8').digest('hex');
}

const sqlString = (v: string | null) => (v === null ? 'cast(null as varchar)' : `'${v.replace(/'/g, "''")}'`);

const hashCases: Array<Array<string | null>> = [
  ['a', null, 'b'],
  ['a', 'b', null],
  [null, null, null],
  ['', null, ''],
  ['a|', 'b', 'c'],
  ['a', '|b', 'c'],
  ['back\\slash', '\\N', 'x'],
  ['ünïcødé ✓', "it's", '42'],
];

describe.each(engines.filter((e) => e.enabled))('macros on $name', ({ open }) => {
  let w: Warehouse;
  beforeAll(async () => {
    w = await open();
  });
  afterAll(async () => {
    await w?.close();
  });
  const one = async (expr: string, from = '') => (await w.query(`select ${expr} as v ${from}`))[0].v;
  const ts = (iso: string) => w.dialect.timestampLiteral(iso);

  it.each([
    ['2026-01-01T00:00:00Z', '2026-01-01T23:59:59Z', 0],
    ['2026-01-01T00:00:00Z', '2026-01-01T23:59:59.999Z', 0],
    ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 1],
    ['2026-01-01T00:00:00Z', '2025-12-31T23:59:59Z', -1],
    ['2026-01-01T00:00:00Z', '2025-12-31T00:00:00Z', -1],
    ['2026-01-01T00:00:00Z', '2025-12-30T23:59:59Z', -2],
    ['2026-01-01T12:00:00Z', '2026-01-31T11:59:59Z', 29],
    ['2024-02-28T00:00:00Z', '2024-03-01T00:00:00Z', 2],
  ])('days_between(%s, %s) = %i (whole days elapsed, floored)', async (start, end, days) => {
    expect(Number(await one(w.dialect.macros.days_between(ts(start), ts(end))))).toBe(days);
  });

  it('as_of and add_days give UTC instants', async () => {
    expect(await one(w.dialect.macros.as_of('2026-03-01T12:34:56.789Z'))).toEqual(new Date('2026-03-01T12:34:56.789Z'));
    expect(await one(w.dialect.macros.add_days(ts('2026-03-01T12:00:00Z'), '-14'))).toEqual(new Date('2026-02-15T12:00:00Z'));
    expect(await one(w.dialect.macros.add_days(ts('2026-03-01T12:00:00Z'), '1'))).toEqual(new Date('2026-03-02T12:00:00Z'));
  });

  it('epoch_seconds floors to whole seconds', async () => {
    expect(Number(await one(w.dialect.macros.epoch_seconds(ts('2026-01-01T00:00:00.900Z'))))).toBe(1767225600);
    expect(Number(await one(w.dialect.macros.epoch_seconds(ts('1970-01-01T00:00:00Z'))))).toBe(0);
  });

  it('count_if and any_true aggregate a condition, NULL counting as false', async () => {
    const from = `from (values (1), (2), (3), (null)) as t(x)`;
    expect(Number(await one(w.dialect.macros.count_if('x >= 2'), from))).toBe(2);
    expect(await one(w.dialect.macros.any_true('x = 3'), from)).toBe(true);
    expect(await one(w.dialect.macros.any_true('x = 9'), from)).toBe(false);
  });

  it.each([
    ['1.5', 1.5],
    ['-2', -2],
    ['1e3', 1000],
    ['.5', 0.5],
    [' 7 ', 7],
    ['abc', null],
    ['', null],
    ['1,5', null],
    ['12abc', null],
  ])('safe_to_double(%j) = %s', async (text, expected) => {
    expect(await one(w.dialect.macros.safe_to_double(sqlString(text)))).toBe(expected);
  });

  it('safe_to_double of NULL is NULL', async () => {
    expect(await one(w.dialect.macros.safe_to_double('cast(null as varchar)'))).toBeNull();
  });

  it('string_agg_sorted joins distinct non-null values in their own order', async () => {
    const texts = `from (values ('b'), ('a'), ('b'), (null), ('c')) as t(x)`;
    expect(await one(w.dialect.macros.string_agg_sorted('x', `', '`), texts)).toBe('a, b, c');
    const numbers = `from (values (10), (9), (9), (100)) as t(x)`;
    expect(await one(w.dialect.macros.string_agg_sorted('x', `'|'`), numbers)).toBe('9|10|100');
    const none = `from (values (cast(null as varchar))) as t(x)`;
    expect(await one(w.dialect.macros.string_agg_sorted('x', `','`), none)).toBeNull();
  });

  it('to_string gives the same text for plain values', async () => {
    expect(await one(w.dialect.macros.to_string('42'))).toBe('42');
    expect(await one(w.dialect.macros.to_string('true'))).toBe('true');
    expect(await one(w.dialect.macros.to_string(`'x'`))).toBe('x');
  });

  it.each(hashCases)('row_hash(%j, %j, %j) is md5 of the documented input', async (...values) => {
    const hash = await one(w.dialect.macros.row_hash(...values.map(sqlString)));
    expect(hash).toBe(expectedHash(values));
  });

  it('row_hash keeps NULLs in place and hashes numbers, booleans and timestamps through their text', async () => {
    const m = w.dialect.macros;
    expect(await one(m.row_hash(`'a'`, 'cast(null as varchar)', `'b'`))).not.toBe(await one(m.row_hash(`'a'`, `'b'`, 'cast(null as varchar)')));
    expect(await one(m.row_hash('42', 'true', ts('2026-01-02T03:04:05Z')))).toBe(expectedHash(['42', 'true', '2026-01-02 03:04:05']));
  });
});

describe.skipIf(!postgresUrl)('row_hash across engines', () => {
  it('gives identical hex on DuckDB and PostgreSQL for the same values', async () => {
    const duck = await DuckDBWarehouse.open({ path: ':memory:' });
    const pg = await PostgresWarehouse.open({ connectionString: postgresUrl! });
    try {
      for (const values of hashCases) {
        const d = (await duck.query(`select ${duck.dialect.macros.row_hash(...values.map(sqlString))} as v`))[0].v;
        const p = (await pg.query(`select ${pg.dialect.macros.row_hash(...values.map(sqlString))} as v`))[0].v;
        expect(p).toBe(d);
      }
      const mixed = ['123', '-4.5', 'false', `cast('2026-01-02' as date)`, 'cast(null as bigint)'];
      const d = (await duck.query(`select ${duck.dialect.macros.row_hash(...mixed)} as v`))[0].v;
      const p = (await pg.query(`select ${pg.dialect.macros.row_hash(...mixed)} as v`))[0].v;
      expect(p).toBe(d);
    } finally {
      await duck.close();
      await pg.close();
    }
  });
});
