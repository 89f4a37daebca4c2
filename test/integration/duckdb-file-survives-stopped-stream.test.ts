/**
 * A DuckDB file survives a stream that was stopped early, then closed and opened again in the
 * same process (a backfill stopped by a signal, then the next command; a library user running
 * twice). DuckDB keeps its database alive while a streaming result that was not read to the end
 * exists, whatever was closed; if that result is collected after another open of the same file
 * has written, the old database checkpoints its stale view over the file: tables lost, or the
 * file unreadable ("Failed to load metadata pointer"). When that happens depends on the garbage
 * collector (it failed every time on Node 24 and passed on Node 20), so these tests collect
 * garbage themselves.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { LockHeldError } from '../../contracts/errors.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage and lets the finalizers that it queued run. */
async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-duckdb-stream-'));
  file = path.join(dir, 'warehouse.duckdb');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

/** Opens the file, writes a table of 20,000 rows (more than one DuckDB chunk), returns it open. */
async function openWithRows(): Promise<DuckDBWarehouse> {
  const w = await DuckDBWarehouse.open({ path: file });
  await w.execute('create table people as select i as id, \'person\' || cast(i as varchar) as email from range(20000) t(i)');
  return w;
}

/** What another open of the file writes after the first was closed. */
async function writeAgain(): Promise<void> {
  const w = await DuckDBWarehouse.open({ path: file });
  await w.execute('create table written_later as select 42 as answer');
  await w.close();
}

async function readBack(): Promise<{ people: number; answer: number }> {
  const w = await DuckDBWarehouse.open({ path: file });
  try {
    const [row] = await w.query('select (select count(*) from people) as people, (select answer from written_later) as answer');
    return { people: Number(row.people), answer: Number(row.answer) };
  } finally {
    await w.close();
  }
}

/**
 * Closes `w` and checks the database shut down (DuckDB checkpoints and removes the write-ahead
 * log when it does: a log left behind means it is still alive), then that a later open's write
 * survives a garbage collection, which would let a still-alive database overwrite it.
 */
async function expectClosedAndFileKept(w: DuckDBWarehouse): Promise<void> {
  await w.close();
  expect(existsSync(`${file}.wal`)).toBe(false);
  await writeAgain();
  await collectGarbage();
  expect(await readBack()).toEqual({ people: 20000, answer: 42 });
}

/** Reads the first page, then drops the iterator without ending it. */
async function readOnePageAndForget(w: DuckDBWarehouse): Promise<boolean> {
  const pages = w.stream('select * from people', 100)[Symbol.asyncIterator]();
  return !(await pages.next()).done;
}

describe('a DuckDB file after a stream stopped early', () => {
  it('is shut down by close, and keeps what a later open wrote, when the reader broke out of the loop', async () => {
    const w = await openWithRows();
    let pages = 0;
    for await (const page of w.stream('select * from people', 100)) {
      expect(page.length).toBeGreaterThan(0);
      if (++pages === 2) break;
    }
    await expectClosedAndFileKept(w);
  });

  it('is shut down by close when the reader stopped asking for pages without ending the stream', async () => {
    const w = await openWithRows();
    // No return(): the stream's own cleanup never runs, so close must release it.
    expect(await readOnePageAndForget(w)).toBe(true);
    await expectClosedAndFileKept(w);
  });

  it('reads every row when the stream is read to the end, and is shut down by close', async () => {
    const w = await openWithRows();
    let rows = 0;
    for await (const page of w.stream('select * from people', 1000)) rows += page.length;
    expect(rows).toBe(20000);
    await w.close();
    expect(existsSync(`${file}.wal`)).toBe(false);
  });
});

describe('a DuckDB file already open in this process', () => {
  it('is not opened a second time (DuckDB would allow it, per process), and opens again once closed', async () => {
    const w = await openWithRows();
    await expect(DuckDBWarehouse.open({ path: path.join(dir, '.', 'warehouse.duckdb') })).rejects.toThrow(LockHeldError);
    await expect(DuckDBWarehouse.open({ path: file })).rejects.toThrow(/already open in this process/);
    await w.close();
    await writeAgain();
    expect(await readBack()).toEqual({ people: 20000, answer: 42 });
  });
});
