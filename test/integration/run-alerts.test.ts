/**
 * Alerts through the CLI (pqlsync.yml `alerts:`): a failed build, a guardrail stop, HubSpot's
 * daily limit (429 DAILY) and rows deferred under the daily budget each post exactly one alert, with the exit code, to the Slack sandbox's
 * channel and to a webhook; a scheduler retrying the same failure within the hour posts none;
 * a clean run posts none. Neither token nor the webhook URL reach the alerts or the output.
 * The library's `run()` goes through the same wrapper (src/run/run-session.ts): stopped by a
 * guardrail, it posts the CLI's alert, records the CLI's run_log row and logs the same summary.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { startSlackSandbox, type SlackSandbox } from '../../connectors/slack/sandbox/slack-sandbox.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { DEMO_AS_OF } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { createLogger } from '../../src/util/logger.ts';
import { buildDemoTemplate, memoryLogger, type DemoTemplate } from '../helpers/project.ts';
import { alertRunEnd } from '../../src/alerts/run-alert.ts';
import { loadProject } from '../../src/config/load-project.ts';
import { GuardrailError, run, sync } from '../../src/index.ts';

const TOKEN = 'pat-na1-alerts-test-token';
const SLACK_TOKEN = 'xoxb-alerts-test-slack-token';
const HOOK_SECRET = 'hook-secret-7f3a9c';

let template: DemoTemplate;

beforeAll(async () => {
  template = await buildDemoTemplate({ users: 200, seed: 11, modelTests: false });
}, 300_000);

afterAll(async () => template?.cleanup());

interface World {
  configPath: string;
  /** The world's DuckDB file (open it only while no run is). */
  db: string;
  env: NodeJS.ProcessEnv;
  hubspot: Sandbox;
  slack: SlackSandbox;
  channel: string;
  /** Bodies the webhook received. */
  hooks: any[];
  cli(...argv: string[]): Promise<{ code: number; text: string }>;
  close(): Promise<void>;
}

async function openWorld(edit: (config: Record<string, any>) => void = () => undefined, prepare?: (w: DuckDBWarehouse) => Promise<void>): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-alerts-'));
  const db = path.join(dir, 'warehouse.duckdb');
  await copyFile(template.db, db);
  if (prepare) {
    const w = await DuckDBWarehouse.open({ path: db });
    await prepare(w).finally(() => w.close());
  }
  const hubspot = await startSandbox({ requestsPer10s: 100, windowMs: 500, accessToken: TOKEN });
  const slack = await startSlackSandbox({ token: SLACK_TOKEN, secondMs: 20 });
  const channel = slack.addChannel('pqlsync-alerts');
  const hooks: any[] = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (d) => (body += d));
    request.on('end', () => {
      if (request.url === `/hooks/${HOOK_SECRET}`) hooks.push(JSON.parse(body));
      response.writeHead(request.url === `/hooks/${HOOK_SECRET}` ? 200 : 404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const config = structuredClone(template.config);
  config.warehouse = { ...config.warehouse, path: db };
  config.alerts = { slack_channel: channel, webhook: true };
  edit(config);
  const configPath = path.join(dir, 'pqlsync.yml');
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const env = {
    ...process.env,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_PATH: hubspot.url,
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    PQLSYNC_SLACK_SECOND_MS: '20',
    PQLSYNC_ALERT_WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${HOOK_SECRET}`,
  };
  return {
    configPath,
    db,
    env,
    hubspot,
    slack,
    channel,
    hooks,
    async cli(...argv) {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli([...argv, '--config', configPath], { env, out: out.sink, err: err.sink });
      return { code, text: [...out.lines, ...err.lines].join('') };
    },
    async close() {
      await hubspot.stop();
      await slack.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Exactly one alert in Slack and one at the webhook, both with this exit code; nothing secret in them. */
function expectOneAlert(world: World, exitCode: number, command: string): void {
  const posted = world.slack.messages(world.channel);
  expect(posted).toHaveLength(1);
  expect(posted[0].text).toContain(`exit ${exitCode}`);
  expect(posted[0].text).toContain(`\`${command}\``);
  expect(posted[0].text).toMatch(/pqlsync status --config \S+pqlsync\.yml/);
  expect(world.hooks).toHaveLength(1);
  expect(world.hooks[0]).toMatchObject({ exit_code: exitCode, command, project: template.config.name });
  for (const text of [posted[0].text, JSON.stringify(world.hooks[0])]) {
    for (const secret of [TOKEN, SLACK_TOKEN, HOOK_SECRET]) expect(text).not.toContain(secret);
  }
}

function expectNoSecrets(text: string): void {
  for (const secret of [TOKEN, SLACK_TOKEN, HOOK_SECRET]) expect(text).not.toContain(secret);
}

describe('alerts when a run goes wrong', () => {
  it('a clean run posts no alert', async () => {
    const world = await openWorld();
    try {
      const run = await world.cli('sync', '--as-of', DEMO_AS_OF);
      expect(run.code, run.text.slice(-2000)).toBe(EXIT.ok);
      expect(world.slack.messages()).toEqual([]);
      expect(world.hooks).toEqual([]);
    } finally {
      await world.close();
    }
  }, 300_000);

  it('a failed build posts one alert with its exit code; the scheduler retrying it within the hour posts none', async () => {
    const world = await openWorld((c) => (c.sources.events = 'raw.events_gone'));
    try {
      const first = await world.cli('run', '--as-of', DEMO_AS_OF);
      expect([EXIT.model, EXIT.warehouse], first.text.slice(-2000)).toContain(first.code);
      expectOneAlert(world, first.code, 'run');
      expect(world.hooks[0].reason).toMatch(/events_gone/);
      const retry = await world.cli('run', '--as-of', DEMO_AS_OF);
      expect(retry.code).toBe(first.code);
      expectOneAlert(world, first.code, 'run');
      expectNoSecrets(first.text + retry.text);
      // The same failure an hour and a minute later is news again.
      const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
      const session = await openSession(await loadProject(world.configPath), { log, env: world.env, asOf: DEMO_AS_OF });
      try {
        const later = new Date(Date.now() + 61 * 60_000);
        expect(await alertRunEnd(session, { command: 'run', exitCode: first.code, reason: world.hooks[0].reason }, { now: later })).toBe(true);
        expect(await alertRunEnd(session, { command: 'run', exitCode: first.code, reason: world.hooks[0].reason }, { now: later })).toBe(false);
      } finally {
        await closeSession(session);
      }
      expect(world.hooks).toHaveLength(2);
    } finally {
      await world.close();
    }
  }, 300_000);

  it('a guardrail stop posts one alert with exit 9', async () => {
    const world = await openWorld((c) => {
      // A week later most contacts' usage counters move: far more than 5% of them change.
      c.syncs.find((s: { name: string }) => s.name === 'contacts').guardrails = { max_changed_share: 0.05, max_tier_shift: 1, min_rows: 0 };
    });
    try {
      const first = await world.cli('sync', '--as-of', DEMO_AS_OF);
      expect(first.code, first.text.slice(-2000)).toBe(EXIT.ok);
      expect(world.slack.messages()).toEqual([]);
      const weekLater = new Date(Date.parse(DEMO_AS_OF) + 7 * 86_400_000).toISOString();
      const run = await world.cli('run', '--as-of', weekLater);
      expect(run.code, run.text.slice(-2000)).toBe(EXIT.guardrail);
      expectOneAlert(world, EXIT.guardrail, 'run');
      expect(world.slack.messages(world.channel)[0].text).toContain('stopped by a guardrail');
      expectNoSecrets(run.text);
    } finally {
      await world.close();
    }
  }, 300_000);

  it('rows failed: above max_failed_rows one alert with exit 7, at or below it none', async () => {
    // Twelve contacts with a tier HubSpot's enumeration does not have: twelve row errors.
    const spoil = (w: DuckDBWarehouse) =>
      w.execute(`update pqlsync_models.contact_sync set pql_tier = 'lukewarm' where email in (select email from pqlsync_models.contact_sync order by email limit 12)`);
    const many = await openWorld(() => undefined, spoil);
    try {
      const run = await many.cli('sync', '--as-of', DEMO_AS_OF);
      expect(run.code, run.text.slice(-2000)).toBe(EXIT.rowsFailed);
      expectOneAlert(many, EXIT.rowsFailed, 'sync');
      expect(many.hooks[0].reason).toMatch(/^12 rows failed/);
    } finally {
      await many.close();
    }
    const few = await openWorld((c) => (c.alerts.max_failed_rows = 12), spoil);
    try {
      const run = await few.cli('sync', '--as-of', DEMO_AS_OF);
      expect(run.code).toBe(EXIT.rowsFailed);
      expect(few.slack.messages()).toEqual([]);
      expect(few.hooks).toEqual([]);
    } finally {
      await few.close();
    }
  }, 300_000);

  it('a run that defers rows under the daily budget posts one alert with exit 11', async () => {
    const world = await openWorld();
    try {
      // Another app of the portal used the day's requests down to a few above pqlsync's reserve (20 %).
      world.hubspot.spendDaily(250_000 * 0.8 - 6);
      const run = await world.cli('sync', '--as-of', DEMO_AS_OF);
      expect(run.code, run.text.slice(-2000)).toBe(EXIT.deferred);
      expectOneAlert(world, EXIT.deferred, 'sync');
      expect(world.slack.messages(world.channel)[0].text).toMatch(/deferred rows under the daily budget/);
      expectNoSecrets(run.text);
    } finally {
      await world.close();
    }
  }, 300_000);

  it("HubSpot's daily limit (429 DAILY) posts one alert with exit 5", async () => {
    const world = await openWorld();
    try {
      world.hubspot.setFaults({ rules: [{ fault: { type: 'daily-exhausted' }, onRequests: [3] }] });
      const run = await world.cli('sync', '--as-of', DEMO_AS_OF);
      expect(run.code, run.text.slice(-2000)).toBe(EXIT.destination);
      expectOneAlert(world, EXIT.destination, 'sync');
      expect(world.hooks[0].reason).toMatch(/daily/i);
      expectNoSecrets(run.text);
    } finally {
      await world.close();
    }
  }, 300_000);

  it('a library run() stopped by a guardrail posts the alert the CLI posts and records the same run_log row and summary', async () => {
    const edit = (c: Record<string, any>) => {
      c.syncs.find((s: { name: string }) => s.name === 'contacts').guardrails = { max_changed_share: 0.05, max_tier_shift: 1, min_rows: 0 };
    };
    const viaCli = await openWorld(edit);
    const viaLib = await openWorld(edit);
    try {
      const weekLater = new Date(Date.parse(DEMO_AS_OF) + 7 * 86_400_000).toISOString();
      expect((await viaCli.cli('sync', '--as-of', DEMO_AS_OF)).code).toBe(EXIT.ok);
      const synced = await sync({ config: viaLib.configPath, env: viaLib.env, asOf: DEMO_AS_OF });
      expect(synced.length).toBeGreaterThan(0);
      expect(viaLib.slack.messages()).toEqual([]);

      const cliRun = await viaCli.cli('run', '--as-of', weekLater, '--json');
      expect(cliRun.code, cliRun.text.slice(-2000)).toBe(EXIT.guardrail);
      const libLines = memoryLogger();
      const log = createLogger({ json: true, secrets: [], out: libLines.sink, err: libLines.sink });
      const error = await run({ config: viaLib.configPath, env: viaLib.env, asOf: weekLater, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GuardrailError);

      // The same alert, but for the run id and the project's path.
      expectOneAlert(viaCli, EXIT.guardrail, 'run');
      expectOneAlert(viaLib, EXIT.guardrail, 'run');
      const same = (w: World, text: string) => text.replaceAll(w.hooks[0].run_id, 'RUN').replaceAll(w.configPath, 'CONFIG');
      expect(same(viaLib, viaLib.slack.messages(viaLib.channel)[0].text)).toBe(same(viaCli, viaCli.slack.messages(viaCli.channel)[0].text));
      expect(viaLib.slack.messages(viaLib.channel)[0].text).toContain('stopped by a guardrail');
      expect(same(viaLib, JSON.stringify(viaLib.hooks[0]))).toBe(same(viaCli, JSON.stringify(viaCli.hooks[0])));

      // The same run_log rows, the guardrail's message included.
      const runLog = async (w: World) => {
        const db = await DuckDBWarehouse.open({ path: w.db });
        try {
          const rows = await db.query('select run_id, command, status, exit_code, message from pqlsync.run_log order by started_at');
          return rows.map((r) => ({ command: r.command, status: r.status, message: r.message, exit_code: Number(r.exit_code), run_id: r.run_id === w.hooks[0].run_id ? 'RUN' : 'other' }));
        } finally {
          await db.close();
        }
      };
      const [cliLog, libLog] = [await runLog(viaCli), await runLog(viaLib)];
      expect(cliLog).toHaveLength(2);
      expect(cliLog[1]).toMatchObject({ run_id: 'RUN', command: 'run', status: 'stopped', exit_code: EXIT.guardrail });
      expect(String(cliLog[1].message)).toMatch(/^GuardrailError: /);
      expect(libLog).toEqual(cliLog);

      // The same summary event, logged through the library's logger.
      const summaryOf = (events: any[]) => {
        const found = events.filter((e) => e.event === 'run_summary');
        expect(found).toHaveLength(1);
        // Not compared: the run id, the time, the duration, the line that says them, and the sandbox portal's id.
        const { run_id: _r, duration_ms: _d, time: _t, msg: _m, account_id: account, ...rest } = found[0];
        expect(account).toMatch(/^\d+$/);
        return rest;
      };
      const cliEvents = cliRun.text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
      const libSummary = summaryOf(libLines.events());
      expect(libSummary).toMatchObject({ command: 'run', status: 'stopped', exit_code: EXIT.guardrail });
      expect(libSummary).toEqual(summaryOf(cliEvents));
      expect(libLines.events().some((e) => e.event === 'alert_sent')).toBe(true);
    } finally {
      await viaCli.close();
      await viaLib.close();
    }
  }, 300_000);
});
