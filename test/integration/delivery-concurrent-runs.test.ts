/**
 * Two runs of the same sync at once: the second exits with the lock-held code (8) and sends
 * nothing. Two locks stand in its way: DuckDB's own file lock (one process at a time opens
 * the file, so a second process cannot even read state), and the lock row in the warehouse
 * (on PostgreSQL, where both processes can connect; or a live row another run left).
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { openWarehouse } from '../../connectors/registry.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { LockHeldError } from '../../contracts/errors.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { REPO } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl, testSchema } from '../warehouse/postgres-env.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('two runs of the same sync at once', () => {
  it('DuckDB: the second process cannot open the file, and exits 8 with a clear message', async () => {
    // Slow answers keep the first run sending (and the file open) for a while.
    f = await opsFixture({ users: 600, sandbox: { latencyMs: 150 } });
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'sync', '--config', f.config, '--json', '--as-of', AS_OF], {
      cwd: f.dir,
      env: { ...process.env, ...f.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const fx = f;
    await until(() => fx.sandbox.stats.requests > 0, 30_000);

    const requests = fx.sandbox.stats.requests;
    const second = await fx.cli(['sync']);
    expect(second.code, second.err).toBe(EXIT.lockHeld);
    expect(second.err).toMatch(/in use by another process \(pid \d+\), most likely another pqlsync run/);
    // `run` too: it cannot even start building.
    expect((await fx.cli(['run'])).code).toBe(EXIT.lockHeld);
    // The first run goes on and finishes; every record once.
    expect(await exited, output.slice(-2000)).toBe(EXIT.ok);
    expect(fx.sandbox.records('contacts')).toHaveLength(600);
    expect(fx.sandbox.stats.requests).toBeGreaterThan(requests);
  }, 90_000);

  it('the DuckDB lock error is a LockHeldError naming the holder', async () => {
    f = await opsFixture({ users: 10 });
    const holder = await DuckDBWarehouse.open({ path: f.db });
    try {
      // Same process: DuckDB shares the instance, so the conflict needs another process.
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '-e', `import('${path.join(REPO, 'connectors/duckdb/duckdb.warehouse.ts')}').then(m => m.DuckDBWarehouse.open({ path: ${JSON.stringify(f.db)} })).then(() => process.exit(0), (e) => { console.log(e.name + ': ' + e.message); process.exit(3); })`],
        { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code, out).toBe(3);
      expect(out).toMatch(new RegExp(`LockHeldError: .*in use by another process \\(pid ${process.pid}\\)`));
    } finally {
      await holder.close();
    }
    expect(new LockHeldError('x')).toBeInstanceOf(LockHeldError);
  }, 60_000);

  it('a live lock row of another run (another host, not expired) stops the sync with 8; a dead or expired one is taken over', async () => {
    f = await opsFixture({ users: 150 });
    const fx = f;
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
    const insertLock = (host: string, pid: number, expiresInMs: number) =>
      fx.sql(async (w) => {
        const state = new StateStore(w, 'pqlsync');
        await state.ensureTables();
        await w.execute('delete from pqlsync.locks');
        await w.execute({
          sql: 'insert into pqlsync.locks (sync_name, run_id, host, pid, acquired_at, expires_at) values (?, ?, ?, ?, ?, ?)',
          values: ['contact_sync', 'run-elsewhere', host, pid, new Date(), new Date(Date.now() + expiresInMs)],
        });
      });

    // Another machine's run, alive as far as anyone here can tell.
    await insertLock('another-host', 4242, 60_000);
    const held = await fx.cli(['sync']);
    expect(held.code, held.err).toBe(EXIT.lockHeld);
    expect(held.err).toMatch(/locked by run run-elsewhere \(host another-host, pid 4242/);
    expect(crmRequests(fx.sandbox)).toBe(0);
    expect((await fx.cli(['status'])).events.find((e) => e.event === 'status').locks).toHaveLength(1);

    // The same machine's run, whose process is gone (no pid this large exists).
    await insertLock(hostname(), 2 ** 22 + 12345, 60_000);
    const dead = await fx.cli(['sync']);
    expect(dead.code, dead.err).toBe(EXIT.ok);

    // Another machine's run whose lock expired without renewal.
    await insertLock('another-host', 4242, -1000);
    const expired = await fx.cli(['sync']);
    expect(expired.code, expired.err).toBe(EXIT.ok);
    expect(await fx.sql((w) => w.query('select * from pqlsync.locks'))).toEqual([]);
  }, 60_000);
});

noteSkippedPostgres('two runs at once on PostgreSQL (the lock row)');
describe.skipIf(!postgresUrl)('PostgreSQL: both runs connect; the lock row decides', () => {
  it('the second run of the same sync exits 8 while the first sends; the first finishes', async () => {
    const raw = testSchema('lock_raw');
    const models = testSchema('lock_models');
    const state = testSchema('lock_state');
    f = await opsFixture({
      users: 400,
      sandbox: { latencyMs: 150 },
      edit: (config) => {
        config.warehouse = { type: 'postgres' };
        config.schema = models;
        config.state_schema = state;
        config.sources = { people: `${raw}.people` };
      },
    });
    const fx = f;
    const env = { ...fx.env, PQLSYNC_POSTGRES_URL: postgresUrl };
    const pg = await openWarehouse({ type: 'postgres' }, { projectRoot: fx.dir, env });
    try {
      await pg.execute(`create schema ${raw}`);
      await pg.execute(`create table ${raw}.people as
        select i as id, 'person' || lpad(i::text, 4, '0') || '@example.com' as email, (i * 37) % 100 as score,
          timestamp '2026-10-01 00:00:00' + (i % 30) * interval '1 day' as updated_at, true as is_active
        from generate_series(1, 400) as t(i)`);
      expect((await fx.cli(['build'], { env })).code).toBe(EXIT.ok);

      const first = fx.cli(['sync'], { env });
      await until(() => fx.sandbox.stats.requests > 0, 30_000);
      const second = await fx.cli(['sync'], { env });
      expect(second.code, second.err).toBe(EXIT.lockHeld);
      expect(second.err).toMatch(/locked by run/);
      const done = await first;
      expect(done.code, done.err).toBe(EXIT.ok);
      expect(fx.sandbox.records('contacts')).toHaveLength(400);
    } finally {
      for (const schema of [raw, models, state]) await pg.execute(`drop schema if exists ${schema} cascade`).catch(() => undefined);
      await pg.close();
    }
  }, 90_000);
});
