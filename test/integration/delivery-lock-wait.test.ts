/**
 * `--wait <seconds>`: a run that finds the lock held queues behind it instead of exiting 8,
 * both for the lock row in the warehouse and for DuckDB's own file lock.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { REPO } from '../helpers/project.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

/** A process that lives for `ms`, then exits; resolves with its pid and its exit. */
function shortLivedProcess(args: string[], ms: number) {
  const child = spawn(process.execPath, [...args, String(ms)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { pid: child.pid!, exited, output: () => out };
}

describe('--wait queues behind a run that holds the lock', () => {
  it('the lock row: exits 8 without --wait; with it, takes the lock once its holder has died and syncs', async () => {
    f = await opsFixture({ users: 120 });
    const fx = f;
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
    // A live process on this host holds the sync's lock row for about two seconds.
    const holder = shortLivedProcess(['-e', 'setTimeout(() => {}, Number(process.argv[1]))'], 2500);
    await fx.sql(async (w) => {
      await new StateStore(w, 'pqlsync').ensureTables();
      await w.execute({
        sql: 'insert into pqlsync.locks (sync_name, run_id, host, pid, acquired_at, expires_at) values (?, ?, ?, ?, ?, ?)',
        values: ['contact_sync', 'run-holder', hostname(), holder.pid, new Date(), new Date(Date.now() + 600_000)],
      });
    });
    const held = await fx.cli(['sync']);
    expect(held.code, held.err).toBe(EXIT.lockHeld);
    expect(held.err).toContain('--wait');
    expect(crmRequests(fx.sandbox)).toBe(0);

    const waited = await fx.cli(['sync', '--wait', '30']);
    expect(waited.code, waited.err).toBe(EXIT.ok);
    expect(waited.events.some((e) => e.event === 'lock_wait')).toBe(true);
    expect(await holder.exited).toBe(0);
    expect(fx.sandbox.records('contacts')).toHaveLength(120);
  }, 60_000);

  it("DuckDB's file lock: with --wait, the run opens the file once the other process lets go", async () => {
    f = await opsFixture({ users: 60 });
    const fx = f;
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
    const script = `import('${path.join(REPO, 'connectors/duckdb/duckdb.warehouse.ts')}')
      .then((m) => m.DuckDBWarehouse.open({ path: ${JSON.stringify(fx.db)} }))
      .then((w) => { console.log('open'); setTimeout(() => w.close().then(() => process.exit(0)), Number(process.argv[1])); })`;
    const holder = shortLivedProcess(['--import', 'tsx', '-e', script], 2500);
    while (!holder.output().includes('open')) await new Promise((r) => setTimeout(r, 20));

    const waited = await fx.cli(['sync', '--wait', '30']);
    expect(waited.code, waited.err).toBe(EXIT.ok);
    expect(waited.events.some((e) => e.event === 'lock_wait')).toBe(true);
    expect(await holder.exited, holder.output()).toBe(0);
    expect(fx.sandbox.records('contacts')).toHaveLength(60);
  }, 60_000);
});
