/**
 * Sequence enrolments and Slack messages, once per episode, through the CLI against the HubSpot
 * sandbox (sequences, enrolments, seats) and the Slack sandbox (users, DMs, one message a second
 * per channel, 429 with Retry-After), on the shipped demo project and generated data:
 * - the demo's second day enrols its self-serve PQLs in the sequence and messages their owners,
 *   each once; a rerun makes no request to either; an owner without a seat and an owner without
 *   a Slack user are row errors in `status`, not failures of the run;
 * - a SIGKILL after HubSpot accepted an enrolment and before state recorded it enrols no one twice;
 * - lost answers and 429 storms from both APIs leave every episode enrolled and messaged once,
 *   on DuckDB and on PostgreSQL.
 */
import { spawn } from 'node:child_process';
import { copyFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { startSlackSandbox, type SlackSandbox } from '../../connectors/slack/sandbox/slack-sandbox.ts';
import { openWarehouse } from '../../connectors/registry.ts';
import type { Row, Warehouse } from '../../connectors/warehouse.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { appendDemoDay, DEMO_AS_OF } from '../../src/demo/generate-demo-data.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { buildDemoTemplate, dropSchemas, memoryLogger, onTestPostgres, REPO, type DemoTemplate } from '../helpers/project.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';

const TOKEN = 'pat-na1-sequences-test-token';
const SLACK_TOKEN = 'xoxb-sequences-test-slack-token';
const USERS = 500;
const SEED = 7;
const DAY2 = new Date(Date.parse(DEMO_AS_OF) + 86_400_000).toISOString();
/** Slack's second in the sandbox and the client: 20 ms (docs/slack.md). */
const SECOND_MS = 20;
/** The first sequence a fresh sandbox makes has this id. */
const SEQUENCE_ID = '5000001';
const ENROL = 'POST /automation/sequences/2026-03/enrollments';
const SEQUENCE_SIGNALS = ['tier:sales_ready', 'trigger:*'];
/** An owner without a Sales Hub seat, and one without a Slack user (both route day-2 PQLs of the demo data). */
const NO_SEAT = 'sdr.two@pqlsync-demo.test';
const NO_SLACK = 'sdr.one@pqlsync-demo.test';

let template: DemoTemplate;

beforeAll(async () => {
  template = await buildDemoTemplate({
    users: USERS,
    seed: SEED,
    handoff: true,
    edit: (c) => {
      c.handoff.sequences = [{ signals: SEQUENCE_SIGNALS, motions: ['self_serve'], sequence_id: SEQUENCE_ID }];
      c.handoff.slack = { to: 'owner' };
    },
  });
}, 300_000);

afterAll(async () => template?.cleanup());

interface World {
  dir: string;
  configPath: string;
  hubspot: Sandbox;
  slack: SlackSandbox;
  env: NodeJS.ProcessEnv;
  /** Slack user id by owner email. */
  slackUsers: Map<string, string>;
  cli(...argv: string[]): Promise<{ code: number; events: any[]; text: string }>;
  close(): Promise<void>;
}

/** Both sandboxes, the owners as HubSpot users (NO_SEAT without a seat) and Slack users (all but NO_SLACK). */
async function openWorld(config: Record<string, any>, db?: string, options: { everyoneSeated?: boolean } = {}): Promise<World> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-seq-'));
  const cfg = structuredClone(config);
  if (db) {
    const file = path.join(dir, 'warehouse.duckdb');
    await copyFile(db, file);
    cfg.warehouse = { ...cfg.warehouse, path: file };
  }
  const configPath = path.join(dir, 'pqlsync.yml');
  await writeFile(configPath, JSON.stringify(cfg, null, 2));
  const hubspot = await startSandbox({ requestsPer10s: 100, windowMs: 500, accessToken: TOKEN });
  const slack = await startSlackSandbox({ token: SLACK_TOKEN, secondMs: SECOND_MS });
  const slackUsers = new Map<string, string>();
  for (const group of Object.values(cfg.handoff.routing.groups) as Array<{ owners: string[] }>) {
    for (const email of group.owners) {
      hubspot.seedOwner({ email });
      if (email !== NO_SLACK) slackUsers.set(email, slack.addUser(email));
    }
  }
  expect(hubspot.sequences.seed('PQL Outreach - Activated Key Feature', 'sdr.one@pqlsync-demo.test').id).toBe(SEQUENCE_ID);
  if (!options.everyoneSeated) hubspot.sequences.removeSeat(NO_SEAT);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HUBSPOT_ACCESS_TOKEN: TOKEN,
    HUBSPOT_BASE_PATH: hubspot.url,
    SLACK_BOT_TOKEN: SLACK_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    PQLSYNC_SLACK_SECOND_MS: String(SECOND_MS),
  };
  // Its password would be masked wherever it appears in the output (it may be a word like 'pqlsync').
  if (cfg.warehouse.type !== 'postgres') delete env.PQLSYNC_POSTGRES_URL;
  return {
    dir,
    configPath,
    hubspot,
    slack,
    env,
    slackUsers,
    async cli(...argv) {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli([...argv, '--config', configPath, '--json'], { env, out: out.sink, err: err.sink });
      const text = [...out.lines, ...err.lines].join('');
      return { code, events: out.events(), text };
    },
    async close() {
      await hubspot.stop();
      await slack.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Episodes of `signals` true at `asOf` (not the first run's backlog when `skipInitial`), with their owner. */
async function expectedEpisodes(w: Warehouse, stateSchema: string, asOf: string, options: { signals: string[]; motion?: string; skipInitial: boolean; modelsSchema?: string }): Promise<Row[]> {
  const t = (n: string) => w.dialect.table({ schema: stateSchema, name: n });
  const tests = options.signals.map((s) => (s.endsWith('*') ? `e.signal like '${s.slice(0, -1)}%'` : `e.signal = '${s}'`)).join(' or ');
  return w.query(
    `select e.episode_key, e.record_key, p.email, e.signal, a.owner_email from ${t('signal_episodes')} e left join ${t('owner_assignments')} a on a.record_key = e.record_key
     left join (select user_id, min(email) as email from ${w.dialect.table({ schema: options.modelsSchema ?? 'pqlsync_models', name: 'handoff_signals' })} group by user_id) p on p.user_id = e.record_key
     where e.last_seen = ${w.dialect.timestampLiteral(asOf)} and (${tests}) ${options.motion ? `and e.route_group = '${options.motion}'` : ''} ${options.skipInitial ? 'and e.is_initial = false' : ''}
     order by e.episode_key`,
  );
}

/** Episode key → how many Slack messages carry it. */
function messagedEpisodes(slack: SlackSandbox): Map<string, number> {
  const seen = new Map<string, number>();
  for (const m of slack.messages()) for (const key of (m.metadata?.event_payload.episodes as string[]) ?? []) seen.set(key, (seen.get(key) ?? 0) + 1);
  return seen;
}

async function withDuck<T>(db: string, fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T> {
  const w = await DuckDBWarehouse.open({ path: db });
  try {
    return await fn(w);
  } finally {
    await w.close();
  }
}

/** An episode whose owner has a Slack user. */
function reachableSample(world: World, messaging: Row[]): Row {
  const found = messaging.find((e) => world.slackUsers.has(String(e.owner_email)));
  expect(found).toBeDefined();
  return found!;
}

/** Checks that every expected episode got its action exactly once and each outcome is what the owner allows. */
/**
 * `contactIdOf`: contact record id by user id. The handoff and the contacts sync both key people by
 * their product user id (docs/handoff.md, "People, not emails"), so the ids come from the contacts sync's state.
 */
function checkOutcomes(world: World, enrolling: Row[], messaging: Row[], contactIdOf: Map<string, string>): void {
  // Sequences: one enrolment per contact whose owner has a seat, none for the owner without one.
  const enrolments = world.hubspot.sequences.enrolments();
  expect(new Set(enrolments.map((e) => e.contactId)).size).toBe(enrolments.length);
  const seated = new Set(enrolling.filter((e) => e.owner_email !== NO_SEAT).map((e) => contactIdOf.get(String(e.record_key))));
  expect(new Set(enrolments.map((e) => e.contactId))).toEqual(seated);
  for (const e of enrolments) expect(e.sequenceId).toBe(SEQUENCE_ID);
  // Slack: every episode of an owner with a Slack user in exactly one message, in that owner's DM.
  const messaged = messagedEpisodes(world.slack);
  const reachable = messaging.filter((e) => world.slackUsers.has(String(e.owner_email)));
  expect([...messaged.keys()].sort()).toEqual(reachable.map((e) => String(e.episode_key)).sort());
  expect([...messaged.values()].every((n) => n === 1)).toBe(true);
  for (const e of reachable) {
    const dm = world.slack.dmOf(world.slackUsers.get(String(e.owner_email))!);
    expect(world.slack.messages(dm).some((m) => (m.metadata?.event_payload.episodes as string[]).includes(String(e.episode_key)))).toBe(true);
  }
}

describe('the demo second day through the CLI, both sandboxes', () => {
  it('enrols the self-serve PQLs and messages their owners once; a rerun makes no request; no seat and no Slack user are row errors in status', async () => {
    const world = await openWorld(template.config, template.db);
    try {
      const day1 = await world.cli('sync', '--as-of', DEMO_AS_OF);
      expect(day1.code, day1.text.slice(-2000)).toBe(0);
      // The first run's open episodes are a backlog (first_run: skip): nobody enrolled, nothing posted.
      expect(world.hubspot.sequences.enrolments()).toEqual([]);
      expect(world.slack.messages()).toEqual([]);

      const db = path.join(world.dir, 'warehouse.duckdb');
      await withDuck(db, (w) => appendDemoDay(w, { seed: SEED, day: DEMO_AS_OF }));
      const day2 = await world.cli('run', '--as-of', DAY2);
      expect([0, 7], day2.text.slice(-3000)).toContain(day2.code);

      const { enrolling, messaging, contactIdOf } = await withDuck(db, async (w) => ({
        enrolling: await expectedEpisodes(w, 'pqlsync', DAY2, { signals: SEQUENCE_SIGNALS, motion: 'self_serve', skipInitial: true }),
        messaging: await expectedEpisodes(w, 'pqlsync', DAY2, { signals: ['tier:sales_ready', 'account:sales_ready', 'trigger:*'], skipInitial: true }),
        contactIdOf: new Map((await w.query(`select record_key, record_id from pqlsync.sync_state where sync_name = 'contacts'`)).map((r) => [String(r.record_key), String(r.record_id)])),
      }));
      // The day makes PQLs of each kind the test relies on.
      const contacts = new Set(enrolling.map((e) => String(e.record_key)));
      expect(contacts.size).toBeGreaterThan(2);
      expect(enrolling.some((e) => e.owner_email === NO_SEAT)).toBe(true);
      expect(messaging.some((e) => e.owner_email === NO_SLACK)).toBe(true);
      checkOutcomes(world, [...new Map(enrolling.map((e) => [String(e.record_key), e])).values()], messaging, contactIdOf);
      // One POST per contact enrolled and per episode refused: nothing tried twice.
      const refused = enrolling.filter((e) => e.owner_email === NO_SEAT);
      expect(world.hubspot.stats.requestsByRoute[ENROL]).toBe(world.hubspot.sequences.enrolments().length + refused.length);
      // Who, the score and the reasons, and the contact's record in the portal the token reaches.
      const sample = reachableSample(world, messaging);
      const block = JSON.stringify(world.slack.messages().find((m) => (m.metadata?.event_payload.episodes as string[]).includes(String(sample.episode_key)))!.blocks);
      expect(block).toContain(String(sample.email));
      expect(block).toMatch(/PQL score: \d+\/100/);
      expect(block).toContain(`https://app.hubspot.com/contacts/${world.hubspot.portalId}/record/0-1/${contactIdOf.get(String(sample.record_key))}`);
      // One message a second per channel: the sandbox never had to refuse one.
      expect(world.slack.stats.rateLimited).toBe(0);

      // The refusals are row errors in status, naming the owner; the run itself did not fail on them.
      const status = await world.cli('status');
      expect(status.code).toBe(0);
      const report = status.events.find((e) => e.event === 'status');
      const errors = report.handoff_errors as Row[];
      const noSeat = errors.filter((e) => e.action === 'sequence');
      expect(noSeat.length).toBe(refused.length);
      for (const e of noSeat) expect(String(e.message)).toMatch(new RegExp(`${NO_SEAT.replace(/\./g, '\\.')}.*Sales Hub`));
      const noSlack = errors.filter((e) => e.action === 'slack');
      expect(noSlack.length).toBe(messaging.filter((e) => e.owner_email === NO_SLACK).length);
      for (const e of noSlack) expect(e.category).toBe('SLACK_USER_NOT_FOUND');

      // The same day again: no request to HubSpot's sequences, none to Slack.
      world.hubspot.resetStats();
      const slackBefore = world.slack.stats.requests;
      const again = await world.cli('sync', '--as-of', DAY2);
      expect([0, 7]).toContain(again.code);
      expect(Object.keys(world.hubspot.stats.requestsByRoute).filter((k) => k.includes('/automation/'))).toEqual([]);
      expect(world.slack.stats.requests).toBe(slackBefore);
      // Tokens never reach the output.
      for (const out of [day1, day2, status, again]) {
        expect(out.text).not.toContain(SLACK_TOKEN);
        expect(out.text).not.toContain(TOKEN);
      }
    } finally {
      await world.close();
    }
  }, 600_000);
});

/** Each task's contacts (record ids), by task id. */
function taskContacts(hubspot: Sandbox): Map<string, string[]> {
  return new Map(hubspot.records('tasks').map((t) => [t.id, hubspot.associations('tasks', t.id).filter((a) => a.toObjectType === 'contacts').map((a) => String(a.toObjectId)).sort()]));
}

describe('people who change email', () => {
  it('every person with open episodes (tasks made, enrolled, messaged) changes email: no second task, enrolment or message; tasks stay on the same contact', async () => {
    // first_run: create, so the first day's episodes are acted on: more people than one page.
    const world = await openWorld(createConfig(), template.db);
    try {
      const db = path.join(world.dir, 'warehouse.duckdb');
      const day1 = await world.cli('sync', '--as-of', DEMO_AS_OF);
      expect([0, 7], day1.text.slice(-3000)).toContain(day1.code);
      const tasks = taskContacts(world.hubspot);
      const contacts = world.hubspot.records('contacts').length;
      const enrolments = world.hubspot.sequences.enrolments().length;
      const messages = world.slack.messages().length;
      const open = await withDuck(db, (w) =>
        w.query(`select count(distinct record_key) as n from pqlsync.signal_episodes where task_subject is not null and last_seen = ${w.dialect.timestampLiteral(DEMO_AS_OF)}`),
      );
      // Acted on: tasks, enrolments and messages exist, for more people than one page.
      expect(tasks.size).toBeGreaterThan(0);
      expect(enrolments).toBeGreaterThan(0);
      expect(messages).toBeGreaterThan(0);
      expect(Number(open[0].n)).toBeGreaterThan(100);

      // Everyone changes email in the product, the same day.
      await withDuck(db, (w) => w.execute(`update raw.users set email = concat('moved.', email) where email is not null`));
      world.hubspot.resetStats();
      const slackRequests = world.slack.stats.requests;
      // Every contact row changes (its email): past the guardrails, on purpose.
      const moved = await world.cli('run', '--as-of', DEMO_AS_OF, '--force');
      expect([0, 7], moved.text.slice(-3000)).toContain(moved.code);

      // One contact per person, now with the new email.
      const after = world.hubspot.records('contacts');
      expect(after.length).toBe(contacts);
      expect(after.filter((c) => String(c.properties.email ?? '').startsWith('moved.')).length).toBeGreaterThan(100);
      // No task made, none moved to another contact; no enrolment, no Slack request.
      expect(taskContacts(world.hubspot)).toEqual(tasks);
      expect(world.hubspot.sequences.enrolments().length).toBe(enrolments);
      expect(world.hubspot.stats.requestsByRoute[ENROL] ?? 0).toBe(0);
      expect(world.slack.messages().length).toBe(messages);
      expect(world.slack.stats.requests).toBe(slackRequests);
      // No episode started: the same people, the same episodes.
      const handoff = moved.events.find((e) => e.event === 'handoff');
      expect(handoff.episodesStarted).toBe(0);
    } finally {
      await world.close();
    }
  }, 600_000);
});

describe('upgrading from a handoff keyed by email', () => {
  it('episodes, tasks, enrolments and messages made by email keys are carried over, even for people whose email changed at the upgrade', async () => {
    // Before: the signals model without user_id, so the handoff keyed people by email, and tasks
    // associated through the email-keyed contact_tiers (as pqlsync did before docs/handoff.md, "People, not emails").
    const config = createConfig();
    const models = path.join(await mkdtemp(path.join(tmpdir(), 'pqlsync-legacy-models-')), 'models');
    await cp(config.models_path, models, { recursive: true });
    const signals = path.join(models, 'handoff', 'handoff_signals.sql');
    const current = await readFile(signals, 'utf8');
    // The final select's user_id (its comment line and the column) taken out.
    const legacy = current.replace(/select\n( {2}--[^\n]*\n)* {2}\{\{ to_string\(s\.user_id\) \}\} as user_id,\n {2}s\.email,/, 'select\n  s.email,').replace('not_null: [user_id, email, signal, route_group]', 'not_null: [email, signal, route_group]');
    expect(legacy).not.toContain('as user_id,\n  s.email,');
    expect(legacy).toContain('select\n  s.email,\n  s.signal,');
    await writeFile(signals, legacy);
    config.models_path = models;
    const tasksSync = config.syncs.find((x: { name: string }) => x.name === 'handoff_tasks');
    const upgraded = structuredClone(tasksSync.associations);
    tasksSync.associations = [{ to: 'contact_tiers', column: 'email' }, ...upgraded.filter((a: { to: string }) => a.to !== 'contacts')];
    // The handoff's contact syncs keyed by email and upserted, as they were then.
    const contactSyncs = ['contact_owners', 'contact_tiers'];
    const shippedContactSyncs = structuredClone(config.syncs.filter((x: { name: string }) => contactSyncs.includes(x.name)));
    for (const sync of config.syncs.filter((x: { name: string }) => contactSyncs.includes(x.name))) {
      sync.key = 'email';
      sync.mode = 'upsert';
      delete sync.identity_property;
    }
    const world = await openWorld(config, template.db);
    try {
      const db = path.join(world.dir, 'warehouse.duckdb');
      const before = await world.cli('run', '--as-of', DEMO_AS_OF);
      expect([0, 7], before.text.slice(-3000)).toContain(before.code);
      const byEmail = await withDuck(db, (w) => w.query(`select count(distinct record_key) as n from pqlsync.signal_episodes where task_subject is not null and record_key like '%@%'`));
      expect(Number(byEmail[0].n)).toBeGreaterThan(100);
      const tasks = taskContacts(world.hubspot);
      const enrolments = world.hubspot.sequences.enrolments().length;
      const messages = world.slack.messages().length;
      expect(tasks.size).toBeGreaterThan(100);
      expect(enrolments).toBeGreaterThan(0);
      expect(messages).toBeGreaterThan(0);

      // The upgrade: the shipped model and config; and everyone changes email at the same time.
      await writeFile(signals, current);
      const worldConfig = JSON.parse(await readFile(world.configPath, 'utf8'));
      worldConfig.syncs.find((x: { name: string }) => x.name === 'handoff_tasks').associations = upgraded;
      worldConfig.syncs = worldConfig.syncs.map((x: { name: string }) => shippedContactSyncs.find((c: { name: string }) => c.name === x.name) ?? x);
      await writeFile(world.configPath, JSON.stringify(worldConfig, null, 2));
      await withDuck(db, (w) => w.execute(`update raw.users set email = concat('moved.', email) where email is not null`));
      world.hubspot.resetStats();
      const slackRequests = world.slack.stats.requests;
      const after = await world.cli('run', '--as-of', DEMO_AS_OF, '--force');
      expect([0, 7], after.text.slice(-3000)).toContain(after.code);

      const rekeyed = after.events.find((e) => e.event === 'handoff_rekeyed');
      expect(rekeyed?.episodes).toBeGreaterThan(100);
      // The owners and tier dates those syncs delivered by email follow the user id: none sent again.
      expect(after.events.find((e) => e.event === 'handoff_state_rekeyed')?.rekeyed).toBeGreaterThan(100);
      for (const name of contactSyncs) expect(after.events.find((e) => e.event === 'sync_done' && e.sync === name)?.sent, name).toBe(0);
      expect(after.events.find((e) => e.event === 'handoff').episodesStarted).toBe(0);
      expect(taskContacts(world.hubspot)).toEqual(tasks);
      expect(world.hubspot.stats.requestsByRoute[ENROL] ?? 0).toBe(0);
      expect(world.hubspot.sequences.enrolments().length).toBe(enrolments);
      expect(world.slack.messages().length).toBe(messages);
      expect(world.slack.stats.requests).toBe(slackRequests);
      // Every episode that made a task now follows a user id, but for an email no contact was ever
      // delivered under (none in any sync's state): nothing to carry it to, and it makes nothing.
      const left = await withDuck(db, (w) =>
        w.query(`select count(*) as n from pqlsync.signal_episodes e where e.task_subject is not null and e.record_key like '%@%'
           and exists (select 1 from pqlsync.sync_state s where s.record_key = e.record_key)`),
      );
      expect(Number(left[0].n)).toBe(0);
    } finally {
      await world.close();
      await rm(path.dirname(models), { recursive: true, force: true });
    }
  }, 600_000);
});

/** The template with first_run: create, so the first day's episodes enrol and message. */
function createConfig(): Record<string, any> {
  const c = structuredClone(template.config);
  c.handoff.first_run = 'create';
  return c;
}

describe('kill after HubSpot accepted an enrolment', () => {
  it('SIGKILL between the enrolment and its record: the rerun enrols no one twice', async () => {
    // Every owner seated: the first enrolment tried is accepted, whichever contact comes first.
    const world = await openWorld(createConfig(), template.db, { everyoneSeated: true });
    try {
      // The first enrolment is applied, then its answer held: the kill lands in between.
      world.hubspot.setFaults({ rules: [{ fault: { type: 'slow', delayMs: 60_000 }, pathIncludes: '/automation/sequences/2026-03/enrollments', onRequests: [2] }] });
      const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'sync', '--config', world.configPath, '--json', '--as-of', DEMO_AS_OF], {
        cwd: world.dir,
        env: world.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 240_000;
      while (world.hubspot.sequences.enrolments().length === 0 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      expect(await exited, output.slice(-2000)).toBe('SIGKILL');
      const accepted = world.hubspot.sequences.enrolments();
      expect(accepted.length).toBe(1);
      const db = path.join(world.dir, 'warehouse.duckdb');
      const recorded = await withDuck(db, (w) => w.query(`select count(*) as n from pqlsync.handoff_actions where action = 'sequence'`).catch(() => [{ n: 0 }]));
      expect(Number(recorded[0].n)).toBe(0); // HubSpot enrolled the contact; state never recorded it

      world.hubspot.setFaults(undefined);
      // plan shows what the next sync's handoff would do, from what the killed run's handoff left.
      const expected = await withDuck(db, (w) => expectedEpisodes(w, 'pqlsync', DEMO_AS_OF, { signals: SEQUENCE_SIGNALS, motion: 'self_serve', skipInitial: false }));
      const planned = (await world.cli('plan', '--as-of', DEMO_AS_OF, '--wait', '30')).events.find((e) => e.event === 'handoff_actions_plan');
      expect(planned.sequences.toEnrol + planned.sequences.waiting).toBe(expected.length);
      expect(planned.sequences.toEnrol).toBeGreaterThan(0);
      expect(planned.slack.toMessage).toBeGreaterThan(0);
      world.hubspot.resetStats();
      const rerun = await world.cli('sync', '--as-of', DEMO_AS_OF, '--wait', '30');
      expect([0, 7], rerun.text.slice(-2000)).toContain(rerun.code);
      const after = world.hubspot.sequences.enrolments();
      // The contact enrolled before the kill was read, found enrolled and recorded, not enrolled again.
      expect(after.filter((e) => e.contactId === accepted[0].contactId)).toHaveLength(1);
      const [row] = await withDuck(db, (w) =>
        w.query(`select a.status from pqlsync.handoff_actions a join pqlsync.sync_state s on s.record_key = a.record_key and s.sync_name = 'contacts' where a.action = 'sequence' and s.record_id = '${accepted[0].contactId}'`),
      );
      expect(row.status).toBe('enrolled');
      const refusals = await withDuck(db, (w) => w.query(`select message from pqlsync.handoff_actions where action = 'sequence' and status = 'error' and message like '%already enrolled%'`));
      expect(refusals).toEqual([]);
      const after2 = (await world.cli('plan', '--as-of', DEMO_AS_OF)).events.find((e) => e.event === 'handoff_actions_plan');
      expect(after2.sequences.toEnrol).toBe(0);
      expect(after2.slack.toMessage).toBe(0);
    } finally {
      await world.close();
    }
  }, 600_000);
});

describe('kill after Slack accepted a message', () => {
  it('SIGKILL between the post and its record: the rerun finds the message in the channel and posts it once', async () => {
    const world = await openWorld(createConfig(), template.db);
    try {
      // The first message is posted, then its answer held: the kill lands in between.
      world.slack.setFaults([{ method: 'chat.postMessage', onCalls: [1], fault: { type: 'slow', delayMs: 60_000 } }]);
      const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'sync', '--config', world.configPath, '--json', '--as-of', DEMO_AS_OF], {
        cwd: world.dir,
        env: world.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      const deadline = Date.now() + 240_000;
      while (world.slack.messages().length === 0 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      expect(await exited, output.slice(-2000)).toBe('SIGKILL');
      const posted = world.slack.messages();
      expect(posted).toHaveLength(1);
      const keys = posted[0].metadata!.event_payload.episodes as string[];
      const db = path.join(world.dir, 'warehouse.duckdb');
      const pending = await withDuck(db, (w) => w.query(`select episode_key from pqlsync.handoff_actions where action = 'slack' and status = 'pending'`));
      expect(pending.map((r) => String(r.episode_key)).sort()).toEqual([...keys].sort()); // Slack has it; state only knows it was about to be posted

      world.slack.setFaults([]);
      const rerun = await world.cli('sync', '--as-of', DEMO_AS_OF, '--wait', '30');
      expect([0, 7], rerun.text.slice(-2000)).toContain(rerun.code);
      const actions = rerun.events.find((e) => e.event === 'handoff_actions');
      expect(actions.slack.recovered).toBe(keys.length);
      const messaged = messagedEpisodes(world.slack);
      for (const key of keys) expect(messaged.get(key)).toBe(1);
      expect([...messaged.values()].every((n) => n === 1)).toBe(true);
      const [left] = await withDuck(db, (w) => w.query(`select count(*) as n from pqlsync.handoff_actions where status = 'pending'`));
      expect(Number(left.n)).toBe(0);
    } finally {
      await world.close();
    }
  }, 600_000);
});

/** Lost answers and 429 storms from both APIs; runs again until nothing is left unanswered. */
async function faultRuns(world: World): Promise<void> {
  world.hubspot.setFaults({
    seed: 3,
    rules: [
      { fault: { type: 'lost-response' }, pathIncludes: '/automation/sequences/2026-03/enrollments', probability: 0.3 },
      { fault: { type: 'status', status: 429 }, pathIncludes: '/automation/', probability: 0.2 },
    ],
  });
  world.slack.setFaults([
    { method: 'chat.postMessage', probability: 0.3, fault: { type: 'lost-response' } },
    { probability: 0.25, fault: { type: 'status', status: 429, retryAfterSeconds: 1 } },
    { method: 'conversations.history', probability: 0.2, fault: { type: 'status', status: 503 } },
  ]);
  for (let run = 0; run < 6; run++) {
    const result = await world.cli('sync', '--as-of', DEMO_AS_OF);
    expect([0, 5, 7], result.text.slice(-2000)).toContain(result.code);
  }
  world.hubspot.setFaults(undefined);
  world.slack.setFaults([]);
  const last = await world.cli('sync', '--as-of', DEMO_AS_OF);
  expect([0, 7], last.text.slice(-2000)).toContain(last.code);
}

describe('faults from both APIs, DuckDB', () => {
  it('lost answers and 429 storms: every episode enrolled and messaged once', async () => {
    const world = await openWorld(createConfig(), template.db);
    try {
      await faultRuns(world);
      expect(world.hubspot.stats.faultsInjected).toBeGreaterThan(0);
      expect(world.slack.stats.rateLimited).toBeGreaterThan(0);
      // Lost answers to chat.postMessage were looked for in the channel before posting again.
      expect(world.slack.stats.byMethod['conversations.history']).toBeGreaterThan(0);
      const db = path.join(world.dir, 'warehouse.duckdb');
      const { enrolling, messaging, contactIdOf } = await withDuck(db, async (w) => ({
        enrolling: await expectedEpisodes(w, 'pqlsync', DEMO_AS_OF, { signals: SEQUENCE_SIGNALS, motion: 'self_serve', skipInitial: false }),
        messaging: await expectedEpisodes(w, 'pqlsync', DEMO_AS_OF, { signals: ['tier:sales_ready', 'account:sales_ready', 'trigger:*'], skipInitial: false }),
        contactIdOf: new Map((await w.query(`select record_key, record_id from pqlsync.sync_state where sync_name = 'contacts'`)).map((r) => [String(r.record_key), String(r.record_id)])),
      }));
      expect(messaging.length).toBeGreaterThan(10);
      checkOutcomes(world, [...new Map(enrolling.map((e) => [String(e.record_key), e])).values()], messaging, contactIdOf);
      // Nothing is left half done: no message whose fate state does not know.
      const [left] = await withDuck(db, (w) => w.query(`select count(*) as n from pqlsync.handoff_actions where status = 'pending'`));
      expect(Number(left.n)).toBe(0);
    } finally {
      await world.close();
    }
  }, 900_000);
});

noteSkippedPostgres('sequences and Slack under faults on PostgreSQL');
describe.skipIf(!postgresUrl)('faults from both APIs, PostgreSQL', () => {
  it('lost answers and 429 storms: every episode enrolled and messaged once', async () => {
    const config = createConfig();
    const raw = onTestPostgres(config, 'seq');
    const env = { PQLSYNC_POSTGRES_URL: postgresUrl };
    const pg = await openWarehouse(config.warehouse, { projectRoot: tmpdir(), env });
    const world = await openWorld(config);
    try {
      await withDuck(template.db, (duck) => copyDemoRawTables(duck, pg, raw));
      const built = await world.cli('build', '--as-of', DEMO_AS_OF);
      expect(built.code, built.text.slice(-2000)).toBe(0);
      await faultRuns(world);
      const enrolling = await expectedEpisodes(pg, config.state_schema, DEMO_AS_OF, { signals: SEQUENCE_SIGNALS, motion: 'self_serve', skipInitial: false, modelsSchema: config.schema });
      const messaging = await expectedEpisodes(pg, config.state_schema, DEMO_AS_OF, { signals: ['tier:sales_ready', 'account:sales_ready', 'trigger:*'], skipInitial: false, modelsSchema: config.schema });
      const ids = await pg.query(`select record_key, record_id from ${pg.dialect.table({ schema: config.state_schema, name: 'sync_state' })} where sync_name = 'contacts'`);
      expect(messaging.length).toBeGreaterThan(10);
      checkOutcomes(world, [...new Map(enrolling.map((e) => [String(e.record_key), e])).values()], messaging, new Map(ids.map((r) => [String(r.record_key), String(r.record_id)])));
    } finally {
      await dropSchemas(pg, [raw, config.schema, config.state_schema]);
      await pg.close();
      await world.close();
    }
  }, 900_000);
});
