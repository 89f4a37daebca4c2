/** The PostgreSQL connector against a real server (PQLSYNC_POSTGRES_URL; CI: .ci/postgres.sh). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresEntry, postgresUrlFrom } from '../../connectors/postgres/index.ts';
import { PostgresWarehouse } from '../../connectors/postgres/postgres.warehouse.ts';
import { ConfigError, WarehouseError } from '../../contracts/errors.ts';
import { liveChecks } from './live-checks.ts';
import { noteSkippedPostgres, postgresUrl, testSchema } from './postgres-env.ts';

noteSkippedPostgres('PostgreSQL connector');

describe('postgres connection settings', () => {
  it('names the variables when no URL is set', () => {
    expect(() => postgresUrlFrom({})).toThrow(ConfigError);
    expect(() => postgresUrlFrom({})).toThrow(/PQLSYNC_POSTGRES_URL \(or DATABASE_URL\)/);
  });

  it('prefers PQLSYNC_POSTGRES_URL and falls back to DATABASE_URL', () => {
    expect(postgresUrlFrom({ DATABASE_URL: 'postgres://u:p@h/db' }).source).toBe('DATABASE_URL');
    expect(postgresUrlFrom({ PQLSYNC_POSTGRES_URL: 'postgres://u:p@h/a', DATABASE_URL: 'postgres://u:p@h/b' }).source).toBe('PQLSYNC_POSTGRES_URL');
  });

  it('rejects a URL that is not postgres:// without printing it', () => {
    const secret = 's3cr3t-pa55word';
    for (const url of [`mysql://user:${secret}@host/db`, `user:${secret}@host`]) {
      try {
        postgresUrlFrom({ PQLSYNC_POSTGRES_URL: url });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as Error).message).toMatch(/PQLSYNC_POSTGRES_URL/);
        expect((error as Error).message).not.toContain(secret);
      }
    }
  });
});

describe.skipIf(!postgresUrl)('PostgreSQL connector', () => {
  const schema = testSchema('pqlsync_pg');
  const t = { schema, name: 'people' };
  let w: PostgresWarehouse;

  beforeAll(async () => {
    w = (await postgresEntry.open({ type: 'postgres' }, { projectRoot: process.cwd(), env: { PQLSYNC_POSTGRES_URL: postgresUrl } })) as PostgresWarehouse;
    await w.execute(w.dialect.createSchema(schema));
    await w.execute(`create table ${w.dialect.table(t)} (
      id bigint, email text, score double precision, amount numeric(12,2), active boolean,
      seen_at timestamp, seen_tz timestamptz, born date, tags jsonb)`);
  });
  afterAll(async () => {
    await w?.execute(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await w?.close();
  });

  it('inserts rows set-based and reads them back as the contract values', async () => {
    await w.insertRows(t, ['id', 'email', 'score', 'amount', 'active', 'seen_at', 'seen_tz', 'born'], [
      [1, 'a@x.io', 1.5, 12.34, true, new Date('2026-01-02T03:04:05.678Z'), new Date('2026-01-02T03:04:05Z'), '2000-02-29'],
      [2, null, null, null, null, null, null, null],
    ]);
    await w.execute({ sql: `update ${w.dialect.table(t)} set tags = cast(? as jsonb) where id = ?`, values: ['{"a": 1}', 1] });
    const rows = await w.query({ sql: `select * from ${w.dialect.table(t)} where id >= ? order by id`, values: [1] });
    expect(rows).toEqual([
      { id: 1, email: 'a@x.io', score: 1.5, amount: 12.34, active: true, seen_at: new Date('2026-01-02T03:04:05.678Z'),
        seen_tz: new Date('2026-01-02T03:04:05Z'), born: '2000-02-29', tags: '{"a": 1}' },
      { id: 2, email: null, score: null, amount: null, active: null, seen_at: null, seen_tz: null, born: null, tags: null },
    ]);
  });

  it('keeps integers beyond 2^53 exact as text', async () => {
    const [row] = await w.query(`select 9007199254740993::bigint as big, 12345678901234567890::numeric as huge, 42::int as small`);
    expect(row).toEqual({ big: '9007199254740993', huge: '12345678901234567890', small: 42 });
  });

  it('leaves ? inside literals, quoted names and comments alone', async () => {
    const [row] = await w.query({ sql: `select '?' as "q?", ? as v -- a ? here\n`, values: ['x'] });
    expect(row).toEqual({ 'q?': '?', v: 'x' });
  });

  it('streams a large result in pages through a server-side cursor', async () => {
    const sizes: number[] = [];
    let last = 0;
    for await (const page of w.stream({ sql: 'select g from generate_series(1, ?) g order by g', values: [10_500] }, 2_000)) {
      sizes.push(page.length);
      last = Number(page[page.length - 1].g);
    }
    expect(sizes).toEqual([2000, 2000, 2000, 2000, 2000, 500]);
    expect(last).toBe(10_500);
  });

  it('stops cleanly when the reader leaves early, and the connection stays usable', async () => {
    for await (const page of w.stream('select g from generate_series(1, 100000) g', 100)) {
      expect(page).toHaveLength(100);
      break;
    }
    expect(await w.query('select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('chunks inserts under 65,535 parameters', async () => {
    const big = { schema, name: 'many' };
    await w.execute(`create table ${w.dialect.table(big)} (a bigint, b text, c bigint)`);
    const rows = Array.from({ length: 30_000 }, (_, i) => [i, `r${i}`, i * 2]); // 90,000 values
    await w.insertRows(big, ['a', 'b', 'c'], rows);
    expect(await w.query(`select count(*) as n, sum(c) as s from ${w.dialect.table(big)}`)).toEqual([{ n: 30_000, s: 899_970_000 }]);
  });

  it('describes tables and views, and answers undefined for a missing one', async () => {
    const columns = await w.describe(t);
    expect(columns?.slice(0, 3)).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'email', type: 'TEXT' },
      { name: 'score', type: 'DOUBLE PRECISION' },
    ]);
    expect(columns?.find((c) => c.name === 'seen_at')?.type).toBe('TIMESTAMP WITHOUT TIME ZONE');
    expect(await w.describe({ schema, name: 'nope' })).toBeUndefined();
  });

  it('replaces tables and views with createTableAs, even when the columns change', async () => {
    const v = { schema, name: 'scores_view' };
    await w.execute(w.dialect.createTableAs(v, 'select 1 as a', 'view'));
    await w.execute(w.dialect.createTableAs(v, `select 'x' as b, 2 as c`, 'view'));
    expect(await w.query(`select * from ${w.dialect.table(v)}`)).toEqual([{ b: 'x', c: 2 }]);
    const tt = { schema, name: 'scores_table' };
    await w.execute(w.dialect.createTableAs(tt, 'select 1 as a', 'table'));
    await w.execute(w.dialect.createTableAs(tt, 'select 2 as z', 'table'));
    expect(await w.query(`select * from ${w.dialect.table(tt)}`)).toEqual([{ z: 2 }]);
  });

  it('rolls a failed transaction back, and commits a good one', async () => {
    const tx = { schema, name: 'tx' };
    await w.execute(`create table ${w.dialect.table(tx)} (k text)`);
    await expect(
      w.transaction(async (t) => {
        await t.insertRows(tx, ['k'], [['lost']]);
        await t.execute('select * from no_such_table');
      }),
    ).rejects.toThrow(WarehouseError);
    expect(await w.query(`select * from ${w.dialect.table(tx)}`)).toEqual([]);
    await w.transaction(async (t) => {
      await t.insertRows(tx, ['k'], [['kept']]);
      expect(await t.query(`select k from ${w.dialect.table(tx)}`)).toEqual([{ k: 'kept' }]);
    });
    expect(await w.query(`select * from ${w.dialect.table(tx)}`)).toEqual([{ k: 'kept' }]);
  });

  it('keeps a transaction to its handle: a stream or statement started during it runs outside and sees only committed rows', async () => {
    const tx = { schema, name: 'tx_isolated' };
    await w.execute(`create table ${w.dialect.table(tx)} (k text)`);
    await w.insertRows(tx, ['k'], [['committed']]);
    const during: unknown[] = [];
    await w.transaction(async (t) => {
      await t.insertRows(tx, ['k'], [['pending']]);
      // Started while the transaction is open, as a background checkpoint and the next stream do.
      for await (const page of w.stream(`select k from ${w.dialect.table(tx)} order by k`, 1)) during.push(...page);
      during.push(...(await w.query(`select count(*)::int as n from ${w.dialect.table(tx)}`)));
    });
    expect(during).toEqual([{ k: 'committed' }, { n: 1 }]);
    expect(await w.query(`select k from ${w.dialect.table(tx)} order by k`)).toEqual([{ k: 'committed' }, { k: 'pending' }]);
  });

  it('streams every row past many pages, whatever the caller does to a page it was given', async () => {
    const t = { schema, name: 'paged' };
    await w.execute(`create table ${w.dialect.table(t)} as select g as k from generate_series(1, 3500) g`);
    let total = 0;
    for await (const page of w.stream(`select k from ${w.dialect.table(t)}`, 1000)) {
      total += page.length;
      page.splice(0, page.length); // a consumer that takes the rows out of the array it got
    }
    expect(total).toBe(3500);
  });

  it("wraps the engine's error with the statement", async () => {
    const error = await w.query('select * from no_such_table_at_all').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/PostgreSQL: relation "no_such_table_at_all" does not exist \(SQLSTATE 42P01\)/);
    expect((error as Error).message).toMatch(/in: select \* from no_such_table_at_all/);
  });

  it('reports a wrong password without printing it', async () => {
    const url = new URL(postgresUrl!);
    url.password = 'wr0ng-s3cret-pw';
    const error = await PostgresWarehouse.open({ connectionString: url.toString(), source: 'PQLSYNC_POSTGRES_URL' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarehouseError);
    expect((error as Error).message).toMatch(/password authentication failed/);
    expect((error as Error).message).toMatch(/PQLSYNC_POSTGRES_URL/);
    expect((error as Error).message).not.toContain('wr0ng-s3cret-pw');
  });
});

describe.skipIf(!postgresUrl)('the live-account checks, on PostgreSQL', () => {
  const schema = testSchema('pqlsync_pg_live');
  let w: PostgresWarehouse;
  beforeAll(async () => {
    w = await PostgresWarehouse.open({ connectionString: postgresUrl! });
  });
  afterAll(async () => {
    await w?.execute(`drop schema if exists "${schema}" cascade`).catch(() => undefined);
    await w?.close();
  });
  liveChecks(() => w, schema, (values) => `(values ${values.map((v) => `(${v})`).join(', ')}) as t(x)`);
});
