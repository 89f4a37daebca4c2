/**
 * Each significance rule (src/state/significance.ts) evaluated by DuckDB on pairs of (delivered,
 * current) values, and the config rejecting rules on properties that are always significant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { propertyMapping, type PropertyMapping } from '../../src/config/schema.ts';
import { significantChange } from '../../src/state/significance.ts';

let w: DuckDBWarehouse;
beforeAll(async () => {
  w = await DuckDBWarehouse.open({ path: ':memory:' });
});
afterAll(() => w.close());

const mapping = (extra: Record<string, unknown>): PropertyMapping =>
  propertyMapping.parse({ column: 'v', property: 'v', label: 'V', type: 'number', ...extra });

/** Whether `current` (a SQL literal) moved significantly from `delivered` (text, or null). */
async function significant(p: PropertyMapping, delivered: string | null, current: string): Promise<boolean> {
  const [row] = await w.query(`select ${significantChange(w.dialect, p, current, delivered === null ? 'cast(null as varchar)' : `'${delivered}'`)} as s`);
  return row.s === true;
}

describe('significance rules', () => {
  it('min_change (absolute): moves of 5 or more, and NULL transitions', async () => {
    const p = mapping({ min_change: 5 });
    expect(await significant(p, '10', '14')).toBe(false);
    expect(await significant(p, '10', '15')).toBe(true);
    expect(await significant(p, '10', '5.0')).toBe(true);
    expect(await significant(p, '10.0', '10')).toBe(false);
    expect(await significant(p, null, '10')).toBe(true);
    expect(await significant(p, '10', 'null')).toBe(true);
    expect(await significant(p, null, 'null')).toBe(false);
  });

  it("min_change (relative, '10%') of the value delivered; from 0 any move", async () => {
    const p = mapping({ min_change: '10%' });
    expect(await significant(p, '200', '219')).toBe(false);
    expect(await significant(p, '200', '220')).toBe(true);
    expect(await significant(p, '200', '180')).toBe(true);
    expect(await significant(p, '0', '0')).toBe(false);
    expect(await significant(p, '0', '1')).toBe(true);
  });

  it('buckets: only a move into another bucket', async () => {
    const p = mapping({ buckets: [0, 3, 7, 14] });
    expect(await significant(p, '4', '6')).toBe(false);
    expect(await significant(p, '6', '7')).toBe(true);
    expect(await significant(p, '20', '14')).toBe(false);
    expect(await significant(p, '2', '-1')).toBe(true);
    expect(await significant(p, null, '1')).toBe(true);
  });

  it('granularity: another day (hour, month) of a timestamp or date', async () => {
    const day = mapping({ type: 'datetime', granularity: 'day' });
    const ts = (s: string) => `timestamp '${s}'`;
    expect(await significant(day, '2026-11-01 08:00:00', ts('2026-11-01 23:59:59'))).toBe(false);
    expect(await significant(day, '2026-11-01 08:00:00', ts('2026-11-02 00:00:00'))).toBe(true);
    const hour = mapping({ type: 'datetime', granularity: 'hour' });
    expect(await significant(hour, '2026-11-01 08:00:00', ts('2026-11-01 08:59:00'))).toBe(false);
    expect(await significant(hour, '2026-11-01 08:00:00', ts('2026-11-01 09:00:00'))).toBe(true);
    const month = mapping({ type: 'date', granularity: 'month' });
    expect(await significant(month, '2026-11-01', `date '2026-11-30'`)).toBe(false);
    expect(await significant(month, '2026-11-30', `date '2026-12-01'`)).toBe(true);
  });

  it('min_change on a datetime: whole days from the value delivered', async () => {
    const p = mapping({ type: 'datetime', min_change: 7 });
    expect(await significant(p, '2026-11-01 08:00:00', `timestamp '2026-11-08 07:59:59'`)).toBe(false);
    expect(await significant(p, '2026-11-01 08:00:00', `timestamp '2026-11-08 08:00:00'`)).toBe(true);
    expect(await significant(p, '2026-11-08 08:00:00', `timestamp '2026-11-01 08:00:00'`)).toBe(true);
    expect(await significant(p, null, `timestamp '2026-11-01 08:00:00'`)).toBe(true);
  });

  it('send_alone: false never sends on its own', async () => {
    const p = mapping({ type: 'string', send_alone: false });
    expect(await significant(p, 'logged in 5 times', `'logged in 6 times'`)).toBe(false);
    expect(await significant(p, null, `'x'`)).toBe(false);
  });

  it('no rule: any change, NULL-safe', async () => {
    const p = mapping({ type: 'enumeration', options: ['a', 'b'] });
    expect(await significant(p, 'a', `'a'`)).toBe(false);
    expect(await significant(p, 'a', `'b'`)).toBe(true);
    expect(await significant(p, null, `'a'`)).toBe(true);
  });

  it('the config refuses rules on properties that are always significant, naming the key', () => {
    const error = (extra: Record<string, unknown>) => propertyMapping.safeParse({ column: 'v', property: 'v', label: 'V', ...extra }).error?.issues[0];
    expect(error({ type: 'enumeration', options: ['a'], min_change: 1 })).toMatchObject({ path: ['min_change'], message: expect.stringMatching(/always sent/) });
    expect(error({ type: 'string', buckets: [1] })).toMatchObject({ path: ['buckets'] });
    expect(error({ type: 'date', min_change: '10%' })).toMatchObject({ path: ['min_change'] });
    expect(error({ type: 'number', granularity: 'day' })).toMatchObject({ path: ['granularity'] });
    expect(error({ type: 'number', buckets: [3, 1] })).toMatchObject({ path: ['buckets'] });
    expect(error({ type: 'number', min_change: '10' })).toMatchObject({ path: ['min_change'] });
    expect(error({ type: 'number', min_change: 1, buckets: [1] })).toMatchObject({ path: ['buckets'] });
    expect(error({ type: 'enumeration', options: ['a'], send_alone: false })).toMatchObject({ path: ['send_alone'] });
    expect(error({ type: 'bool', send_alone: false })).toMatchObject({ path: ['send_alone'] });
  });
});
