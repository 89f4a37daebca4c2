/**
 * `pqlsync run --every` as a real child process on the shipped models: events that a loader
 * appends to the warehouse while the loop is up reach HubSpot on a later run. The DuckDB file
 * lets one process at a time open it, and the runner holds it only while a run is under way,
 * so the loader queues for it (as `--wait` does) and writes between runs. No timing is asserted.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { generateDemoData, touchUsers } from '../../src/demo/generate-demo-data.ts';
import { waitForLock } from '../../src/run/session.ts';
import { createLogger } from '../../src/util/logger.ts';
import { memoryLogger, REPO, shippedProject } from '../helpers/project.ts';

const TOKEN = 'pat-every-events-token';
let shipped: Awaited<ReturnType<typeof shippedProject>>;
let sandbox: Sandbox;
let db: string;

beforeAll(async () => {
  shipped = await shippedProject();
  db = path.join(shipped.dir, 'warehouse.duckdb');
  const w = await DuckDBWarehouse.open({ path: db });
  // History up to a minute ago: the loop's runs are as of the clock.
  await generateDemoData(w, { users: 200, seed: 3, asOf: new Date(Date.now() - 60_000).toISOString() });
  await w.close();
  sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 1000, accessToken: TOKEN });
}, 60_000);
afterAll(async () => {
  await sandbox?.stop();
  await shipped?.cleanup();
});

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A contact's last activity as HubSpot holds it (ISO text), in ms; undefined when it has none. */
function lastActive(email: string): number | undefined {
  const value = sandbox.findByUniqueValue('contacts', 'email', email)?.properties.pqlsync_last_active_at;
  return value ? Date.parse(value) : undefined;
}

describe('run --every', () => {
  it('delivers events appended between runs on a later run', async () => {
    const child = spawn(
      process.execPath,
      [path.join(REPO, 'bin/pqlsync.js'), 'run', '--every', '* * * * * *', '--wait', '60', '--config', shipped.project.configFile, '--json'],
      { cwd: shipped.dir, env: { ...process.env, HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // The first run syncs every contact.
      await until(() => /"event":"sync_done","sync":"contacts"/.test(stdout) || child.exitCode !== null, 60_000, 'the first contacts sync');
      expect(child.exitCode, stderr + stdout.slice(-2000)).toBeNull();

      // The loader: queue for the file while a run holds it, append one user's events, let go.
      const log = memoryLogger();
      const quiet = createLogger({ json: true, secrets: [], out: log.sink, err: log.sink });
      const w = await waitForLock(60_000, quiet, () => DuckDBWarehouse.open({ path: db }));
      let email: string;
      const at = new Date(Math.floor(Date.now() / 1000) * 1000 - 2000);
      try {
        const rows = await w.query(`select user_id, email from pqlsync_models.contact_sync where email is not null order by user_id limit 20`);
        const target = rows.find((r) => lastActive(String(r.email)) !== undefined);
        expect(target, 'a contact the first run delivered').toBeDefined();
        email = String(target!.email);
        expect(await touchUsers(w, { userIds: [String(target!.user_id)], at: at.toISOString(), kind: 'login' })).toBe(2);
      } finally {
        await w.close();
      }

      // touchUsers' login kind: a login at `at`, a feature use a second later, the last activity.
      const expected = at.getTime() + 1000;
      await until(() => lastActive(email) === expected || child.exitCode !== null, 60_000, `${email}'s new last activity in HubSpot`);
      expect(lastActive(email), stderr + stdout.slice(-2000)).toBe(expected);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr + stdout.slice(-2000)).toBe(0);
    // Each sync's line splits its time: the diff (the plan), then the sending.
    const done = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((e) => e.event === 'sync_done' && e.sync === 'contacts');
    expect(done.length).toBeGreaterThanOrEqual(2);
    for (const e of done) {
      expect(e.diff_ms).toBeGreaterThanOrEqual(0);
      expect(e.diff_ms).toBeLessThanOrEqual(e.ms);
    }
  }, 120_000);
});
