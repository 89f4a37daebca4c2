/**
 * Checks run against a real warehouse account (the *.live.test.ts files): the macros at their
 * boundaries, the row hash, streaming in pages, inserts and describe. `rows(n)` is the
 * dialect's way to write a one-column table `x` from literals.
 */
import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import type { TableName, Warehouse } from '../../connectors/warehouse.ts';
import { backslashLiteral, standardLiteral } from '../../connectors/shared/hash-input.ts';

export function liveChecks(get: () => Warehouse, schema: string, rows: (values: string[]) => string): void {
  const one = async (expr: string, from = '') => (await get().query(`select ${expr} as v ${from}`))[0].v;

  it('days_between counts whole days elapsed, floored, at the boundaries', async () => {
    const w = get();
    const ts = (iso: string) => w.dialect.timestampLiteral(iso);
    const cases: Array<[string, string, number]> = [
      ['2026-01-01T00:00:00Z', '2026-01-01T23:59:59Z', 0],
      ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', 1],
      ['2026-01-01T00:00:00Z', '2025-12-31T23:59:59Z', -1],
      ['2026-01-01T00:00:00Z', '2026-01-01T23:59:59.999Z', 0],
    ];
    for (const [start, end, days] of cases) expect(Number(await one(w.dialect.macros.days_between(ts(start), ts(end))))).toBe(days);
  });

  it('the other macros run and agree with their documented meaning', async () => {
    const w = get();
    const m = w.dialect.macros;
    expect(await one(m.as_of('2026-03-01T12:34:56.789Z'))).toEqual(new Date('2026-03-01T12:34:56.789Z'));
    expect(await one(m.add_days(m.as_of('2026-03-01T12:00:00Z'), '-14'))).toEqual(new Date('2026-02-15T12:00:00Z'));
    expect(Number(await one(m.epoch_seconds(m.as_of('2026-01-01T00:00:00.900Z'))))).toBe(1767225600);
    expect(await one(m.safe_to_double(`'1.5'`))).toBe(1.5);
    expect(await one(m.safe_to_double(`'abc'`))).toBeNull();
    expect(Number(await one(m.count_if(`x = 'b'`), `from ${rows([`'a'`, `'b'`, `'b'`])}`))).toBe(2);
    expect(await one(m.any_true(`x = 'z'`), `from ${rows([`'a'`, `'b'`])}`)).toBe(false);
    expect(await one(m.string_agg_sorted('x', `', '`), `from ${rows([`'b'`, `'a'`, `'b'`])}`)).toBe('a, b');
    expect(await one(m.string_agg_sorted('x', `'|'`), `from ${rows(['10', '9', '100'])}`)).toBe('9|10|100');
  });

  it('row_hash is md5 hex of the documented input', async () => {
    const d = get().dialect;
    const literal = d.name === 'bigquery' || d.name === 'snowflake' ? backslashLiteral : standardLiteral;
    const expected = createHash('md5').update('a|\\N|b\\|c|back\\\\slash', 'utf8').digest('hex');
    expect(await one(d.macros.row_hash(literal('a'), `cast(null as ${d.types.string})`, literal('b|c'), literal('back\\slash')))).toBe(expected);
  });

  it('inserts, describes and streams in pages', async () => {
    const w = get();
    const t: TableName = { schema, name: 'live_rows' };
    await w.execute(w.dialect.createSchema(schema));
    await w.execute(w.dialect.createTableAs(t, `select cast(1 as ${w.dialect.types.integer}) as id, cast('x' as ${w.dialect.types.string}) as email, ${w.dialect.timestampLiteral('2026-01-01T00:00:00Z')} as seen_at`, 'table'));
    await w.insertRows(t, ['id', 'email', 'seen_at'], Array.from({ length: 2500 }, (_, i) => [i + 2, `u${i}@x.io`, new Date(Date.UTC(2026, 0, 1, 0, 0, i))]));
    expect((await w.describe(t))?.map((c) => c.name.toLowerCase())).toEqual(['id', 'email', 'seen_at']);
    const sizes: number[] = [];
    for await (const page of w.stream(`select * from ${w.dialect.table(t)} order by ${w.dialect.quote('id')}`, 1000)) sizes.push(page.length);
    expect(sizes).toEqual([1000, 1000, 501]);
  });
}
