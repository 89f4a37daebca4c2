/**
 * The embedded DuckDB's memory: pqlsync's default limit, its overrides (pqlsync.yml, the
 * environment), where it spills, and that a query bigger than the limit spills instead of
 * failing, for a database file and for ':memory:'. No timings: the RSS targets are the bench's.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbEntry } from '../../connectors/duckdb/index.ts';
import { DEFAULT_MEMORY_LIMIT, DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pqlsync-duckdb-memory-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** How DuckDB itself prints a limit ('256MB' → '244.1 MiB'), so the test does not hard-code its formatting. */
async function shown(limit: string): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: limit });
  const connection = await instance.connect();
  const reader = await connection.runAndReadAll(`select current_setting('memory_limit') as m`);
  const value = String(reader.getRowObjects()[0].m);
  connection.closeSync();
  instance.closeSync();
  return value;
}

async function setting(w: DuckDBWarehouse, name: string): Promise<string> {
  const [row] = await w.query(`select current_setting('${name}') as v`);
  return String(row.v);
}

describe('DuckDB memory limit', () => {
  it("is pqlsync's default when pqlsync.yml and the environment set none", async () => {
    const w = await duckdbEntry.open({ type: 'duckdb', path: ':memory:' }, { projectRoot: dir, env: {} });
    try {
      expect(await setting(w as DuckDBWarehouse, 'memory_limit')).toBe(await shown(DEFAULT_MEMORY_LIMIT));
    } finally {
      await w.close();
    }
  });

  it('comes from pqlsync.yml, and PQLSYNC_DUCKDB_MEMORY_LIMIT wins over it', async () => {
    const fromConfig = await duckdbEntry.open({ type: 'duckdb', path: ':memory:', memory_limit: '100MB' }, { projectRoot: dir, env: {} });
    const fromEnv = await duckdbEntry.open(
      { type: 'duckdb', path: ':memory:', memory_limit: '100MB' },
      { projectRoot: dir, env: { PQLSYNC_DUCKDB_MEMORY_LIMIT: '1GB' } },
    );
    try {
      expect(await setting(fromConfig as DuckDBWarehouse, 'memory_limit')).toBe(await shown('100MB'));
      expect(await setting(fromEnv as DuckDBWarehouse, 'memory_limit')).toBe(await shown('1GB'));
    } finally {
      await fromConfig.close();
      await fromEnv.close();
    }
  });

  it('names the setting to raise when a query cannot fit in the limit (a string aggregate does not spill)', async () => {
    const w = await DuckDBWarehouse.open({ path: ':memory:', memoryLimit: '16MB' });
    try {
      const failed = await w.query("select string_agg(i::varchar, ',') as s from range(5000000) t(i)").then(
        () => null,
        (error: Error) => error,
      );
      expect(failed?.message).toMatch(/Out of Memory Error/);
      expect(failed?.message).toMatch(/memory limit \(16MB\): raise warehouse\.memory_limit in pqlsync\.yml or PQLSYNC_DUCKDB_MEMORY_LIMIT/);
    } finally {
      await w.close();
    }
  });
});

describe('DuckDB spilling', () => {
  it('spills a database file beside it (<file>.tmp), or where pqlsync.yml says', async () => {
    const file = path.join(dir, 'spill.duckdb');
    const beside = await duckdbEntry.open({ type: 'duckdb', path: 'spill.duckdb' }, { projectRoot: dir, env: {} });
    try {
      expect(await setting(beside as DuckDBWarehouse, 'temp_directory')).toBe(`${file}.tmp`);
    } finally {
      await beside.close();
    }
    const configured = await duckdbEntry.open({ type: 'duckdb', path: 'spill.duckdb', temp_directory: 'scratch' }, { projectRoot: dir, env: {} });
    try {
      expect(await setting(configured as DuckDBWarehouse, 'temp_directory')).toBe(path.join(dir, 'scratch'));
    } finally {
      await configured.close();
    }
  });

  it("spills ':memory:' into a folder of its own under the OS temp folder, removed on close", async () => {
    const w = await DuckDBWarehouse.open({ path: ':memory:' });
    const temp = await setting(w, 'temp_directory');
    await w.close();
    expect(path.dirname(temp)).toBe(os.tmpdir());
    expect(path.basename(temp)).toMatch(/^pqlsync-duckdb-/);
    expect(existsSync(temp)).toBe(false);
  });

  // A million distinct 52-character strings (about 70 MB in a hash table), grouped, then joined
  // to themselves, under a 32MB limit: the hash aggregate and the hash join the diff uses must spill.
  const strings = (n: number) => `select md5(cast(range % ${n} as varchar)) || repeat('x', 20) as s from range(${2 * n})`;
  const bigger = `select (select count(*) from (select s, count(*) as n from (${strings(1_000_000)}) group by s having count(*) = 2)) as groups,
      (select count(*) from (${strings(500_000)}) a join (${strings(500_000)}) b using (s)) as pairs`;
  for (const where of ['a database file', ':memory:'] as const) {
    it(`runs a query bigger than the limit on ${where} by spilling, not failing`, async () => {
      const w = await DuckDBWarehouse.open({ path: where === ':memory:' ? ':memory:' : path.join(dir, 'big.duckdb'), memoryLimit: '32MB', threads: 1 });
      try {
        const [row] = await w.query(bigger);
        expect(Number(row.groups)).toBe(1_000_000);
        expect(Number(row.pairs)).toBe(4 * 500_000);
      } finally {
        await w.close();
      }
    });
  }
});
