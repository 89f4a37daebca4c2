/**
 * The handoff end to end, through the real @hubspot/api-client against the sandbox: the shipped
 * project with its handoff (first_run: create, so the first run makes tasks) on generated demo
 * data. Tasks, owners and pql_tier_since in the sandbox equal what the models and the routing
 * rules say, record by record; a contact that already had an owner keeps it; a rerun makes no
 * task and no task request; lost answers, 5xx and a SIGKILL between HubSpot's create and the
 * checkpoint never duplicate a task.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { createHubSpotDestination } from '../../connectors/hubspot/hubspot.destination.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';
import type { Row } from '../../connectors/warehouse.ts';
import { parseProject, type Project } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { openWarehouse } from '../../connectors/registry.ts';
import { copyDemoRawTables } from '../helpers/copy-tables.ts';
import { noteSkippedPostgres, postgresUrl } from '../warehouse/postgres-env.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { buildStep, syncStep, testStep, type SyncStepResult } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { buildDemoTemplate, dropSchemas, memoryLogger, onTestPostgres, REPO, shippedProject, type DemoTemplate } from '../helpers/project.ts';

const TOKEN = 'pat-na1-handoff-test-token';
const USERS = 500;
const SEED = 7;
const TASKS_UPSERT = 'POST /crm/v3/objects/tasks/batch/upsert';

let template: DemoTemplate;

beforeAll(async () => {
  template = await buildDemoTemplate({ users: USERS, seed: SEED, handoff: true, edit: (c) => (c.handoff.first_run = 'create') });
}, 300_000);

afterAll(async () => template?.cleanup());

interface Scenario {
  dir: string;
  configPath: string;
  project: Project;
  sandbox: Sandbox;
  /** An owner outside pqlsync's groups, held by one contact before pqlsync runs. */
  existing: { email: string; userId: string; ownerId: string };
  /** One sync of every sync, as of `asOf` (default the demo's), through the library. */
  sync(asOf?: string, only?: (name: string) => boolean): Promise<{ results: SyncStepResult[]; error?: unknown; requests: Record<string, number> }>;
  query(sql: string): Promise<Row[]>;
  close(): Promise<void>;
}

async function openScenario(sandboxOptions: Omit<SandboxOptions, 'accessToken'> = {}): Promise<Scenario> {
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-handoff-'));
  const db = path.join(dir, 'warehouse.duckdb');
  await copyFile(template.db, db);
  const text = JSON.stringify({ ...template.config, warehouse: { ...template.config.warehouse, path: db } }, null, 2);
  const configPath = path.join(dir, 'pqlsync.yml');
  await writeFile(configPath, text);
  const project = parseProject(text, configPath);
  const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 500, ...sandboxOptions, accessToken: TOKEN });
  for (const group of Object.values(project.config.handoff!.routing!.groups)) for (const email of group.owners ?? []) sandbox.seedOwner({ email });
  const query = async (sql: string) => {
    const w = await DuckDBWarehouse.open({ path: db });
    try {
      return await w.query(sql);
    } finally {
      await w.close();
    }
  };
  // A contact with a task-making signal that marketing already gave an owner.
  const [pick] = await query(`select user_id, email from pqlsync_models.handoff_signals where task_subject is not null order by email limit 1`);
  const marketing = sandbox.seedOwner({ email: 'marketing@vendor.test' });
  sandbox.seedRecord('contacts', { email: String(pick.email), hubspot_owner_id: marketing.id });
  let run = 0;
  return {
    dir,
    configPath,
    project,
    sandbox,
    existing: { email: String(pick.email), userId: String(pick.user_id), ownerId: marketing.id },
    async sync(asOf = DEMO_AS_OF, only = () => true) {
      const log = createLogger({ json: true, secrets: [TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
      const session = await openSession(project, { log, asOf, env: {}, runId: `handoff-${++run}-${Date.now()}` });
      const destination = await testDestination(sandbox.url);
      const before = { ...sandbox.stats.requestsByRoute };
      const results: SyncStepResult[] = [];
      const requests = () => Object.fromEntries(Object.entries(sandbox.stats.requestsByRoute).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => Number(v) > 0));
      try {
        await syncStep(session, destination, project.config.syncs.filter((x) => only(x.name)), { onSyncDone: (r) => results.push(r) });
        return { results, requests: requests() };
      } catch (error) {
        return { results, error, requests: requests() };
      } finally {
        await closeSession(session);
      }
    },
    query,
    async close() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The destination the library runs use: the sandbox, short timeouts and backoff. */
function testDestination(basePath: string) {
  return createHubSpotDestination({
    accessToken: TOKEN,
    basePath,
    groupName: 'pqlsync',
    groupLabel: 'pqlsync',
    requestsPer10s: 100,
    requestsPerDay: 250_000,
    timeoutMs: 2_000,
    retry: { baseDelayMs: 20, maxDelayMs: 250, lockedWaitMs: 50 },
  });
}

/** Runs `fn` on a scenario of its own, closed afterwards whatever happens. */
async function withScenario(fn: (s: Scenario) => Promise<void>): Promise<void> {
  const s = await openScenario();
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

/** The tasks the sandbox holds, by pqlsync_task_key; throws on a key held twice. */
function heldTasks(sandbox: Sandbox): Map<string, { id: string; properties: Record<string, string> }> {
  const held = new Map<string, { id: string; properties: Record<string, string> }>();
  for (const t of sandbox.records('tasks')) {
    const key = t.properties.pqlsync_task_key;
    if (held.has(key)) throw new Error(`duplicate task for ${key}: ids ${held.get(key)!.id} and ${t.id}`);
    held.set(key, { id: t.id, properties: t.properties });
  }
  return held;
}

/** What the handoff_tasks view says, as HubSpot should hold it. */
async function expectedTasks(s: Scenario): Promise<Map<string, Row>> {
  const rows = await s.query('select * from pqlsync_models.handoff_tasks');
  return new Map(rows.map((r) => [String(r.task_key), r]));
}

function compareTasks(expected: Map<string, Row>, held: ReturnType<typeof heldTasks>): string[] {
  const problems: string[] = [];
  for (const [key, want] of expected) {
    const got = held.get(key);
    if (!got) {
      problems.push(`task ${key}: missing`);
      continue;
    }
    const p = got.properties;
    const wanted: Record<string, string> = {
      hs_task_subject: String(want.task_subject),
      hs_task_body: String(want.task_body),
      hs_task_priority: String(want.task_priority),
      hs_timestamp: new Date(Number(want.due_at_ms)).toISOString(),
      hs_task_type: String(want.task_type),
      hubspot_owner_id: want.owner_id === null ? '' : String(want.owner_id),
    };
    for (const [name, value] of Object.entries(wanted)) if ((p[name] ?? '') !== value) problems.push(`task ${key}: ${name} ${JSON.stringify(p[name])} ≠ ${JSON.stringify(value)}`);
  }
  for (const key of held.keys()) if (!expected.has(key)) problems.push(`task ${key}: held but not in the model`);
  return problems;
}

describe('handoff against the sandbox', () => {
  it('tasks, owners and pql_tier_since equal the models and rules, record by record; an existing owner is kept; a rerun makes no task', () =>
    withScenario(async (s) => {
    const first = await s.sync();
    expect(first.error).toBeUndefined();
    const expected = await expectedTasks(s);
    const held = heldTasks(s.sandbox);
    // Past a batch: more than 100 tasks in one run, in batched upserts.
    expect(expected.size).toBeGreaterThan(100);
    expect(compareTasks(expected, held)).toEqual([]);
    expect(first.requests[TASKS_UPSERT]).toBe(Math.ceil(expected.size / 100));
    expect(first.results.find((r) => r.plan.sync === 'handoff_tasks')!.failed).toBe(0);
    // Every task is assigned: every contact with a task-making signal was routed.
    expect([...held.values()].filter((t) => !t.properties.hubspot_owner_id)).toEqual([]);

    // Owners: the contact marketing had given an owner keeps it, in HubSpot and on its tasks.
    const contacts = new Map(s.sandbox.records('contacts').map((c) => [c.properties.email, c]));
    // The handoff keys people by their product user id (docs/handoff.md, "People, not emails").
    const byUser = new Map(s.sandbox.records('contacts').map((c) => [c.properties.pqlsync_user_key, c]));
    expect(contacts.get(s.existing.email)!.properties.hubspot_owner_id).toBe(s.existing.ownerId);
    const kept = [...expected.values()].filter((t) => t.user_id === s.existing.userId);
    expect(kept.length).toBeGreaterThan(0);
    for (const t of kept) expect(held.get(String(t.task_key))!.properties.hubspot_owner_id).toBe(s.existing.ownerId);
    // Every round-robin assignment is on its contact, and each group is even within one.
    const assignments = await s.query(`select record_key, route_group, owner_id, owner_email, source from pqlsync.owner_assignments`);
    expect(assignments.filter((a) => a.source === 'hubspot').map((a) => a.record_key)).toEqual([s.existing.userId]);
    for (const a of assignments.filter((a) => a.source === 'round_robin')) {
      expect(byUser.get(String(a.record_key))?.properties.hubspot_owner_id, String(a.record_key)).toBe(String(a.owner_id));
    }
    for (const [group, { owners = [] }] of Object.entries(s.project.config.handoff!.routing!.groups)) {
      const counts = owners.map((email) => assignments.filter((a) => a.source === 'round_robin' && a.route_group === group && a.owner_email === email).length);
      expect(Math.max(...counts) - Math.min(...counts), `${group}: ${counts.join(', ')}`).toBeLessThanOrEqual(1);
    }
    // pql_tier_since on every contact, as the episodes say.
    const since = await s.query('select email, pql_tier_since from pqlsync_models.handoff_contacts');
    expect(since.length).toBeGreaterThan(USERS / 2);
    for (const r of since) expect(contacts.get(String(r.email))?.properties.pqlsync_pql_tier_since, String(r.email)).toBe(new Date(String(r.pql_tier_since)).toISOString());

    // Each task is associated with its contact, its company and its trial's deal, when those are synced.
    const companies = new Map(s.sandbox.records('companies').map((c) => [c.properties.pqlsync_account_key, c.id]));
    const deals = new Map(s.sandbox.records('deals').map((d) => [d.properties.pqlsync_trial_id, d.id]));
    let withCompany = 0;
    for (const [key, want] of expected) {
      const links = s.sandbox.associations('tasks', held.get(key)!.id).map((a) => `${a.toObjectType}:${a.toObjectId}`);
      expect(links, key).toContain(`contacts:${contacts.get(String(want.email))!.id}`);
      if (want.company_domain && companies.has(String(want.company_domain))) {
        expect(links, key).toContain(`companies:${companies.get(String(want.company_domain))}`);
        withCompany++;
      }
      if (want.trial_id && deals.has(String(want.trial_id))) expect(links, key).toContain(`deals:${deals.get(String(want.trial_id))}`);
    }
    expect(withCompany).toBeGreaterThan(0);

    // A rerun with no change: not a single request (no task, no owner listing, no owner written
    // again) but the one read of which portal the token reaches.
    const again = await s.sync();
    expect(again.error).toBeUndefined();
    expect(again.requests).toEqual({ 'GET /account-info/v3/details': 1 });
    expect(heldTasks(s.sandbox).size).toBe(expected.size);

    // Events, not rows: a task whose values change in the model (its contact moved to another
    // owner) is not rewritten; the contact's owner, a row, is written once more.
    const moved = assignments.find((a) => a.source === 'round_robin' && kept.every((k) => k.user_id !== a.record_key) && [...expected.values()].some((t) => t.user_id === a.record_key))!;
    const other = assignments.find((a) => a.source === 'round_robin' && a.route_group === moved.route_group && a.owner_id !== moved.owner_id)!;
    await s.query(`update pqlsync.owner_assignments set owner_id = '${other.owner_id}', owner_email = '${other.owner_email}' where record_key = '${moved.record_key}'`);
    const third = await s.sync();
    expect(third.error).toBeUndefined();
    expect(Object.keys(third.requests).filter((r) => r.includes('tasks'))).toEqual([]);
    // The contact is known (its record id in state): updated by id.
    expect(third.requests['POST /crm/v3/objects/contacts/batch/update']).toBe(1);
    expect(s.sandbox.findByProperty('contacts', 'pqlsync_user_key', String(moved.record_key))[0].properties.hubspot_owner_id).toBe(String(other.owner_id));
    const movedTask = [...heldTasks(s.sandbox).values()].find((t) => t.properties.pqlsync_task_key.startsWith(`${moved.record_key}|`))!;
    expect(movedTask.properties.hubspot_owner_id).toBe(String(moved.owner_id));
    }), 300_000);

  it('lost answers on task creates and 5xx everywhere: after the reruns every task exists once, none twice', () =>
    withScenario(async (s) => {
    s.sandbox.setFaults({
      seed: 5,
      rules: [
        { fault: { type: 'lost-response' }, pathIncludes: '/objects/tasks/batch/upsert', probability: 0.6 },
        { fault: { type: 'status', status: 502 }, probability: 0.15 },
      ],
    });
    let runs = 0;
    for (; runs < 6; runs++) {
      const run = await s.sync();
      heldTasks(s.sandbox); // throws on a duplicate after every run
      const errors = await s.query(`select count(*) as n from pqlsync.row_errors`);
      if (!run.error && Number(errors[0].n) === 0 && run.results.every((r) => r.failed === 0)) break;
    }
    expect(s.sandbox.stats.faultsInjected).toBeGreaterThan(0);
    s.sandbox.setFaults(undefined);
    await s.sync();
    expect(compareTasks(await expectedTasks(s), heldTasks(s.sandbox))).toEqual([]);
    }), 300_000);

  it('SIGKILL after HubSpot created a batch of tasks and before the checkpoint: the rerun makes no second task', () =>
    withScenario(async (s) => {
    // The first task upsert is applied, then its answer held: the kill lands in between.
    s.sandbox.setFaults({ rules: [{ fault: { type: 'slow', delayMs: 20_000 }, pathIncludes: '/objects/tasks/batch/upsert', onRequests: [1] }] });
    const child = spawn(process.execPath, [path.join(REPO, 'bin/pqlsync.js'), 'sync', '--config', s.configPath, '--json', '--as-of', DEMO_AS_OF], {
      cwd: s.dir,
      env: { ...process.env, HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: s.sandbox.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 240_000;
    while (s.sandbox.records('tasks').length === 0 && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    expect(await exited, output.slice(-2000)).toBe('SIGKILL');
    const created = s.sandbox.records('tasks').length;
    expect(created).toBeGreaterThan(0);
    const [claimed] = await s.query(`select count(*) as n from pqlsync.sync_state where sync_name = 'handoff_tasks'`);
    expect(Number(claimed.n)).toBe(0); // HubSpot made them; state never recorded them

    s.sandbox.setFaults(undefined);
    const rerun = await s.sync();
    expect(rerun.error).toBeUndefined();
    expect(compareTasks(await expectedTasks(s), heldTasks(s.sandbox))).toEqual([]);
    }), 300_000);
});

describe('a portal that refuses unique values on tasks (uniqueOnTasks: false)', () => {
  it('every task lands once, created with its contact, under lost answers and applied 502s; a rerun sends nothing', async () => {
    const s = await openScenario({
      uniqueOnTasks: false,
      faults: {
        seed: 13,
        rules: [
          { fault: { type: 'lost-response' }, pathIncludes: '/objects/tasks/batch/create', probability: 0.5 },
          { fault: { type: 'status', status: 502, applied: true }, pathIncludes: '/objects/tasks/batch/create', probability: 0.3 },
        ],
      },
    });
    try {
      let runs = 0;
      for (; runs < 4; runs++) {
        const run = await s.sync();
        heldTasks(s.sandbox); // throws on a key held twice, after every run
        if (!run.error && run.results.every((r) => r.failed === 0)) break;
      }
      expect(s.sandbox.stats.faultsInjected).toBeGreaterThan(0);
      expect(s.sandbox.stats.requestsByRoute[TASKS_UPSERT] ?? 0).toBe(0);
      expect(s.sandbox.properties('tasks').find((p) => p.name === 'pqlsync_task_key')?.hasUniqueValue).toBe(false);
      s.sandbox.setFaults(undefined);
      const last = await s.sync();
      expect(last.error).toBeUndefined();
      const expected = await expectedTasks(s);
      expect(expected.size).toBeGreaterThan(100);
      expect(compareTasks(expected, heldTasks(s.sandbox))).toEqual([]);
      const contacts = new Map(s.sandbox.records('contacts').map((c) => [c.properties.email, c.id]));
      for (const [key, want] of expected) {
        const links = s.sandbox.associations('tasks', heldTasks(s.sandbox).get(key)!.id).filter((a) => a.toObjectType === 'contacts');
        expect(links.map((a) => a.toObjectId), key).toEqual([contacts.get(String(want.email))]);
      }
      const [intents] = await s.query(`select count(*) as n from pqlsync.create_intents i where not exists (select 1 from pqlsync.sync_state s where s.sync_name = i.sync_name and s.record_key = i.record_key)`);
      expect(Number(intents.n)).toBe(0);
      const again = await s.sync();
      expect(again.error).toBeUndefined();
      expect(again.requests).toEqual({ 'GET /account-info/v3/details': 1 });
    } finally {
      await s.close();
    }
  }, 300_000);
});

describe('a score flickering across the threshold, day after day', () => {
  it('150 contacts in and out of sales-ready for 10 days: one task each, made the first day', () =>
    withScenario(async (s) => {
    expect((await s.sync()).error).toBeUndefined();
    const before = heldTasks(s.sandbox).size;
    const cold = await s.query(`select email from pqlsync_models.handoff_signals where signal in ('tier:cold', 'tier:warm') order by email limit 150`);
    expect(cold).toHaveLength(150);
    const list = cold.map((r) => `'${String(r.email).replace(/'/g, "''")}'`).join(', ');
    const days: number[] = [];
    for (let n = 1; n <= 10; n++) {
      // The model as it would be built that day: sales-ready on odd days, hot on even days.
      await s.query(
        n % 2 === 1
          ? `update pqlsync_models.handoff_signals set signal = 'tier:sales_ready', task_subject = concat('PQL: ', email, ' is sales-ready'),
               task_body = 'flicker', task_priority = 'HIGH', task_type = 'TODO', response_hours = 24 where email in (${list}) and signal like 'tier:%'`
          : `update pqlsync_models.handoff_signals set signal = 'tier:hot', task_subject = null, task_body = null, task_priority = null, task_type = null, response_hours = null
               where email in (${list}) and signal like 'tier:%'`,
      );
      const run = await s.sync(new Date(Date.parse(DEMO_AS_OF) + n * 86_400_000).toISOString());
      expect(run.error).toBeUndefined();
      days.push(heldTasks(s.sandbox).size - before);
    }
    // 150 tasks on day 1 (past a batch), then none: the flicker stays within the 7-day hysteresis.
    expect(days).toEqual([150, 150, 150, 150, 150, 150, 150, 150, 150, 150]);
    const day1 = new Date(Date.parse(DEMO_AS_OF) + 86_400_000).toISOString();
    const made = [...heldTasks(s.sandbox).keys()].filter((k) => k.endsWith(`|tier:sales_ready|${day1}`));
    expect(made).toHaveLength(150);
    }), 600_000);
});

describe('a signals model with a row twice', () => {
  it('is a model error naming the model and the rows, before any episode or task', () =>
    withScenario(async (s) => {
    const [row] = await s.query(`select user_id, email from pqlsync_models.handoff_signals where signal = 'trigger:paywall' order by email limit 1`);
    await s.query(`insert into pqlsync_models.handoff_signals select * from pqlsync_models.handoff_signals where email = '${row.email}' and signal = 'trigger:paywall'`);
    const run = await s.sync();
    expect(String(run.error)).toContain(`ModelError: Model 'handoff_signals' has more than one row for (${row.user_id}, trigger:paywall) ×2`);
    expect(s.sandbox.records('tasks')).toEqual([]);
    const [episodes] = await s.query(`select count(*) as n from pqlsync.signal_episodes`);
    expect(Number(episodes.n)).toBe(0);
    }), 300_000);
});

describe('a rep who leaves', () => {
  it('archived in HubSpot: their contacts are routed again, and the next task goes to an active owner of the group', () =>
    withScenario(async (s) => {
    expect((await s.sync()).error).toBeUndefined();
    const [moved] = await s.query(
      `select a.record_key, a.owner_id, a.route_group from pqlsync.owner_assignments a where a.source = 'round_robin' order by a.record_key limit 1`,
    );
    const leaver = String(moved.owner_id);
    const theirs = await s.query(`select record_key from pqlsync.owner_assignments where owner_id = '${leaver}'`);
    s.sandbox.archiveOwner(leaver);
    // The next day a new hot trigger fires for one of their contacts.
    await s.query(`insert into pqlsync_models.handoff_signals
      select user_id, email, 'trigger:enterprise_feature', concat('Hot PQL: ', email, ' tried an enterprise feature'), 'body', 'HIGH', 'CALL', 24, route_group, company_domain, trial_id
      from pqlsync_models.handoff_signals where user_id = '${moved.record_key}' and signal like 'tier:%'`);
    const next = await s.sync(new Date(Date.parse(DEMO_AS_OF) + 86_400_000).toISOString());
    expect(next.error).toBeUndefined();
    const now = await s.query(`select record_key, owner_id from pqlsync.owner_assignments where record_key in (${theirs.map((r) => `'${r.record_key}'`).join(', ')})`);
    expect(now.length).toBe(theirs.length);
    expect(now.filter((r) => String(r.owner_id) === leaver)).toEqual([]);
    const task = [...heldTasks(s.sandbox).values()].find((t) => t.properties.pqlsync_task_key.startsWith(`${moved.record_key}|trigger:enterprise_feature|`))!;
    expect(task.properties.hubspot_owner_id).not.toBe(leaver);
    const contact = s.sandbox.findByProperty('contacts', 'pqlsync_user_key', String(moved.record_key))[0];
    expect(contact.properties.hubspot_owner_id).toBe(task.properties.hubspot_owner_id);
    expect(await s.query(`select * from pqlsync.row_errors`)).toEqual([]);
    }), 300_000);
});

describe('an owner archived between routing and the task', () => {
  it('the tasks refused for their owner are row errors; the next run routes those contacts again and the tasks land, once', () =>
    withScenario(async (s) => {
    // Everything but the tasks: the contacts are routed and their owners written.
    expect((await s.sync(DEMO_AS_OF, (name) => name !== 'handoff_tasks')).error).toBeUndefined();
    const [victim] = await s.query(`select owner_id from pqlsync.owner_assignments where source = 'round_robin' group by owner_id order by count(*) desc limit 1`);
    const leaver = String(victim.owner_id);
    s.sandbox.archiveOwner(leaver);
    const refused = await s.sync();
    expect(refused.error).toBeUndefined();
    const ownerErrors = await s.query(`select * from pqlsync.row_errors where property = 'hubspot_owner_id'`);
    expect(ownerErrors.length).toBeGreaterThan(0);
    const again = await s.sync();
    expect(again.error).toBeUndefined();
    expect(await s.query(`select * from pqlsync.row_errors`)).toEqual([]);
    const held = heldTasks(s.sandbox);
    expect([...held.values()].filter((t) => t.properties.hubspot_owner_id === leaver)).toEqual([]);
    expect(compareTasks(await expectedTasks(s), held)).toEqual([]);
    }), 300_000);
});

noteSkippedPostgres('the handoff end to end on PostgreSQL');
describe.skipIf(!postgresUrl)('handoff on PostgreSQL', () => {
  it('makes the same tasks as DuckDB, each once, with the routed owners and associations', async () => {
    let raw = '';
    const shipped = await shippedProject(
      (c) => {
        c.handoff.first_run = 'create';
        raw = onTestPostgres(c, 'handoff');
      },
      { handoff: true },
    );
    const env = { PQLSYNC_POSTGRES_URL: postgresUrl };
    const config = shipped.project.config;
    const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 500, accessToken: TOKEN });
    for (const group of Object.values(config.handoff!.routing!.groups)) for (const email of group.owners ?? []) sandbox.seedOwner({ email });
    const generator = await DuckDBWarehouse.open({ path: ':memory:' });
    const pg = await openWarehouse(config.warehouse, { projectRoot: shipped.project.root, env });
    const log = createLogger({ json: true, secrets: [TOKEN], out: memoryLogger().sink, err: memoryLogger().sink });
    try {
      await generateDemoData(generator, { users: USERS, seed: SEED });
      await copyDemoRawTables(generator, pg, raw);
      const session = await openSession(shipped.project, { log, asOf: DEMO_AS_OF, env });
      try {
        await buildStep(session);
        await testStep(session);
        const destination = await testDestination(sandbox.url);
        const results = await syncStep(session, destination, config.syncs);
        expect(results.reduce((n, r) => n + r.failed, 0)).toBe(0);
        const view = await pg.query(`select * from ${pg.dialect.table({ schema: config.schema, name: 'handoff_tasks' })}`);
        const expected = new Map(view.map((r) => [String(r.task_key), r]));
        const held = heldTasks(sandbox);
        expect(compareTasks(expected, held)).toEqual([]);
        // The same tasks as the DuckDB build of the same data: one per task-making signal, keyed by the run's as-of.
        const duck = await DuckDBWarehouse.open({ path: template.db });
        const signals = await duck.query(`select user_id, signal from pqlsync_models.handoff_signals where task_subject is not null`).finally(() => duck.close());
        expect([...held.keys()].sort()).toEqual(signals.map((r) => `${r.user_id}|${r.signal}|${DEMO_AS_OF}`).sort());
        expect([...held.values()].filter((t) => !t.properties.hubspot_owner_id)).toEqual([]);
        for (const t of held.values()) expect(sandbox.associations('tasks', t.id).some((a) => a.toObjectType === 'contacts')).toBe(true);
        const again = await syncStep(session, destination, config.syncs);
        expect(again.reduce((n, r) => n + r.sent, 0)).toBe(0);
        expect(heldTasks(sandbox).size).toBe(held.size);
      } finally {
        await closeSession(session);
      }
    } finally {
      await dropSchemas(pg, [raw, config.schema, config.state_schema]);
      await pg.close();
      await generator.close();
      await sandbox.stop();
      await shipped.cleanup();
    }
  }, 600_000);
});
