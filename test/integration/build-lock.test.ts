/**
 * A build holds a lock on its models schema (incremental models read and move their
 * watermarks, so two builds of one schema must not interleave on a shared warehouse); a
 * pull request's build into a schema of its own is not held up by it.
 */
import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';

let f: OpsFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

describe('the build lock', () => {
  it('a build of a schema another live run is building exits 8; a build into another schema goes on', async () => {
    f = await opsFixture({ users: 20 });
    const fx = f;
    expect((await fx.cli(['build'])).code).toBe(EXIT.ok);
    // Another run, alive on this host, is building pqlsync_models.
    await fx.sql((w) =>
      w.execute({
        sql: `insert into pqlsync.locks (sync_name, run_id, host, pid, acquired_at, expires_at) values (?, ?, ?, ?, ?, ?)`,
        values: ['build:pqlsync_models', 'other-run', hostname(), process.pid, new Date(), new Date(Date.now() + 60_000)],
      }),
    );
    const held = await fx.cli(['build']);
    expect(held.code).toBe(EXIT.lockHeld);
    expect(held.err).toMatch(/The build of schema 'pqlsync_models' is locked by run other-run/);
    expect((await fx.cli(['build', '--models-schema', 'pqlsync_pr_7'])).code).toBe(EXIT.ok);
    // Its own lock is released when the build ends.
    const locks = await fx.sql((w) => w.query(`select sync_name from pqlsync.locks order by sync_name`));
    expect(locks.map((l) => l.sync_name)).toEqual(['build:pqlsync_models']);
  });
});
