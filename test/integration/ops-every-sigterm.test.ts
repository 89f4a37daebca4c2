/**
 * `pqlsync run --every "<cron>"` as a real child process: SIGTERM while it sends lets the
 * page under way finish, checkpoints what HubSpot acknowledged, and exits 130 (rows were left
 * unsent: the next start sends them).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { AS_OF, opsFixture, type OpsFixture } from '../helpers/ops-fixture.ts';

let f: OpsFixture;
beforeAll(async () => {
  // Slow answers, so the sync is still sending when the signal comes: 3 pages of 1000.
  f = await opsFixture({ users: 3000, sandbox: { latencyMs: 250 } });
}, 60_000);
afterAll(async () => f?.cleanup());

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('run --every', () => {
  it('on SIGTERM finishes the page under way, checkpoints and exits 130 with rows unsent', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'bin/pqlsync.js'), 'run', '--every', '* * * * * *', '--config', f.config, '--json', '--as-of', AS_OF],
      { cwd: f.dir, env: { ...process.env, ...f.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    await until(() => f.sandbox.stats.recordsWritten > 0, 45_000);
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, stderr + stdout.slice(-2000)).toBe(EXIT.interrupted);

    const events = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    const done = events.find((e) => e.event === 'sync_done');
    expect(done, stdout.slice(-2000)).toMatchObject({ stopped: true });
    expect(done.sent).toBeLessThan(3000);
    expect(events.find((e) => e.event === 'schedule_stopped')).toBeDefined();

    // Everything HubSpot holds is committed in state, and nothing more.
    const held = f.sandbox.records('contacts').length;
    expect(held).toBe(done.delivered);
    const state = await f.sql(async (w) => ({
      keys: Number((await w.query("select count(*) as n from pqlsync.sync_state where sync_name = 'contact_sync'"))[0].n),
      run: (await w.query("select status, n_sent from pqlsync.runs where command = 'sync'"))[0],
      locks: Number((await w.query('select count(*) as n from pqlsync.locks'))[0].n),
    }));
    expect(state.keys).toBe(held);
    expect(state.run).toMatchObject({ status: 'stopped', n_sent: done.sent });
    expect(state.locks).toBe(0);
  }, 90_000);
});
