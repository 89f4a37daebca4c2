/**
 * Every exit code a scheduler acts on (src/cli/exit-codes.ts), reached through runCli the way
 * a scheduled run meets it. Each scenario builds its own small project and sandbox.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { runCli } from '../../src/cli/build-cli.ts';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { fixtureConfig, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { StateStore } from '../../src/state/state-store.ts';
import { crmRequests } from '../helpers/project.ts';

let f: OpsFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

async function fixture(options: Parameters<typeof opsFixture>[0] = {}): Promise<OpsFixture> {
  f = await opsFixture({ users: 150, ...options });
  return f;
}

describe('exit codes', () => {
  it('0: everything delivered', async () => {
    const fx = await fixture();
    const r = await fx.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.ok);
    expect(r.code).toBe(0);
  });

  it('1: an error pqlsync does not expect (its output pipe breaks)', async () => {
    const fx = await fixture();
    // Every foreseeable failure maps to 2..9; what is left is the unforeseen, such as the
    // process's stdout going away under it (EPIPE) while it reports.
    const broken = { write: () => { throw Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }); } } as unknown as NodeJS.WritableStream;
    const err: string[] = [];
    const code = await runCli(['plan', '--config', fx.config, '--json'], {
      env: fx.env,
      out: broken,
      err: { write: (s: string) => (err.push(s), true) } as unknown as NodeJS.WritableStream,
    });
    expect(code).toBe(EXIT.internal);
    expect(code).toBe(1);
    expect(err.join('')).toMatch(/EPIPE/);
  });

  it('2: pqlsync.yml is wrong', async () => {
    const fx = await fixture();
    const config = fixtureConfig(fx.db);
    config.syncs[0].object = 'quotes';
    await writeFile(fx.config, JSON.stringify(config));
    const r = await fx.cli(['plan']);
    expect(r.code).toBe(EXIT.config);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/syncs\.0\.object/);
  });

  it('2: a sync (or plan, or backfill) reads a model that is not built yet: the commands ran out of order', async () => {
    const fx = await fixture();
    for (const command of [['sync'], ['plan'], ['backfill', fixtureConfig(fx.db).syncs[0].name, '--full', '--yes']]) {
      const r = await fx.cli(command);
      expect(r.code, `${command.join(' ')}: ${r.err}`).toBe(EXIT.config);
      expect(r.err).toMatch(/not built: run pqlsync build first/);
    }
    expect(crmRequests(fx.sandbox)).toBe(0);
  });

  it('3: a model fails to build', async () => {
    const fx = await fixture();
    await writeFile(path.join(fx.dir, 'models', 'broken.sql'), `/*\nmaterialized: table\n*/\nselect email\nfromm {{ ref('stg_people') }}\n`);
    const r = await fx.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.model);
    expect(r.code).toBe(3);
    expect(crmRequests(fx.sandbox)).toBe(0);
  });

  it('4: the warehouse cannot be opened', async () => {
    const fx = await fixture();
    // A folder where the DuckDB file should be.
    await mkdir(path.join(fx.dir, 'not-a-file.duckdb'));
    await writeFile(fx.config, JSON.stringify(fixtureConfig(path.join(fx.dir, 'not-a-file.duckdb'))));
    const r = await fx.cli(['plan']);
    expect(r.code, r.err).toBe(EXIT.warehouse);
    expect(r.code).toBe(4);
  });

  it('5: HubSpot fails as a whole (the daily limit is used up)', async () => {
    const fx = await fixture({ sandbox: { faults: { rules: [{ fault: { type: 'daily-exhausted' } }] } } });
    const r = await fx.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.destination);
    expect(r.code).toBe(5);
  });

  it('6: HubSpot rejects the token', async () => {
    const fx = await fixture();
    const r = await fx.cli(['run'], { env: { ...fx.env, HUBSPOT_ACCESS_TOKEN: 'pat-wrong-token' } });
    expect(r.code, r.err).toBe(EXIT.auth);
    expect(r.code).toBe(6);
    expect(r.out).not.toContain('pat-wrong-token');
  });

  it('7: some rows are rejected; the rest is delivered and the failures are recorded', async () => {
    const fx = await fixture();
    await fx.sql((w) => w.execute("update raw.people set email = 'not-an-email' where id = 7"));
    const r = await fx.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.rowsFailed);
    expect(r.code).toBe(7);
    expect(r.events.find((e) => e.event === 'sync_done')).toMatchObject({ failed: 1, delivered: 149 });
    const status = (await fx.cli(['status'])).events.find((e) => e.event === 'status');
    expect(status.row_errors.map((e: { record_key: string }) => e.record_key)).toEqual(['not-an-email']);
  });

  it('8: another run holds the lock', async () => {
    const fx = await fixture();
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
    await fx.sql(async (w) => {
      const state = new StateStore(w as DuckDBWarehouse, 'pqlsync');
      await state.ensureTables();
      // This (live) process holds it, as another run on this host would.
      await state.acquireLock('contact_sync', 'run-holding-the-lock', 60_000);
    });
    const r = await fx.cli(['sync']);
    expect(r.code, r.err).toBe(EXIT.lockHeld);
    expect(r.code).toBe(8);
    expect(r.err).toMatch(/locked by run run-holding-the-lock/);
    // Only the portal was read (which portal the token reaches): nothing written.
    expect(crmRequests(fx.sandbox)).toBe(0);
  });

  it('9: a guardrail stops a model change over the limit', async () => {
    const fx = await fixture();
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    // Most scores move: far more than max_changed_share (0.5) of the delivered rows.
    await fx.sql((w) => w.execute('update raw.people set score = (score + 50) % 100'));
    fx.sandbox.resetStats();
    const r = await fx.cli(['run']);
    expect(r.code, r.err).toBe(EXIT.guardrail);
    expect(r.code).toBe(9);
    expect(r.err).toMatch(/--force/);
    expect(crmRequests(fx.sandbox)).toBe(0);
    // --force sends it.
    expect((await fx.cli(['sync', '--force'])).code).toBe(EXIT.ok);
  });

  it('a bad command line is a config error too', async () => {
    const fx = await fixture();
    expect((await fx.cli(['run', '--every', 'every tuesday'])).code).toBe(EXIT.config);
    expect((await fx.cli(['no-such-command'])).code).toBe(EXIT.config);
  });
});

