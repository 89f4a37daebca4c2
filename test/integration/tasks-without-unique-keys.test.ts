/**
 * Exactly-once tasks on a portal that keeps no unique values on tasks (sandbox `uniqueOnTasks:
 * false`, where a create sent twice makes two tasks; docs/hubspot.md, "Tasks and unique values"),
 * through the CLI, on DuckDB and PostgreSQL: 2,500 contacts and 3,000 tasks (30 batches, three
 * pages, past the first checkpoint of 2,000), under lost answers, 5xx and 429s that landed, a 429
 * storm, and a SIGKILL between HubSpot's creates and the checkpoint. Afterwards no task key is
 * held twice, and every task is held once, associated with its contact.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule, Sandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engineFixture, ENGINES, type EngineFixture } from '../helpers/both-warehouses.ts';
import { NO_GUARDRAILS, startChildSync } from '../helpers/postgres-fixture.ts';
import { noteSkippedPostgres } from '../warehouse/postgres-env.ts';

const USERS = 2500;
const CREATE = 'POST /crm/v3/objects/tasks/batch/create';

noteSkippedPostgres('tasks without unique keys on PostgreSQL');

// One task per person, a second for the hot ones (score ≥ 80: a fifth): 3,000 tasks, some contacts with two.
const TASKS_MODEL = `/*
materialized: table
unique_key: task_key
description: Tasks to make once per person (and once more for hot people).
*/
select email || '|welcome' as task_key, email, 'Welcome call: ' || email as task_subject, 'MEDIUM' as task_priority, updated_at as due_at
from {{ ref('people_scores') }}
union all
select email || '|hot' as task_key, email, 'Hot PQL: ' || email as task_subject, 'HIGH' as task_priority, updated_at as due_at
from {{ ref('people_scores') }} where pql_tier = 'hot'`;

const TASKS = USERS + USERS / 5;

let f: EngineFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

async function open(engine: EngineFixture['engine'], faults?: FaultRule[], portalRequestsPer10s = 190): Promise<EngineFixture> {
  const fx = await engineFixture(engine, {
    users: USERS,
    sandbox: { uniqueOnTasks: false, requestsPer10s: portalRequestsPer10s, windowMs: 1000, ...(faults ? { faults: { seed: 21, rules: faults } } : {}) },
    edit: (c) => {
      c.destination.requests_per_10s = 190;
      c.syncs[0].guardrails = NO_GUARDRAILS;
      c.syncs.push({
        name: 'person_tasks',
        model: 'people_tasks',
        object: 'tasks',
        key: 'task_key',
        mode: 'insert_once',
        on_removed: 'keep',
        associations: [{ to: 'contact_sync', column: 'email' }],
        properties: [
          { column: 'task_subject', property: 'hs_task_subject', type: 'string', label: 'Task Title' },
          { column: 'task_priority', property: 'hs_task_priority', type: 'enumeration', label: 'Priority', options: ['HIGH', 'MEDIUM', 'LOW'] },
          { column: 'due_at', property: 'hs_timestamp', type: 'datetime', label: 'Due date' },
        ],
        guardrails: { max_changed_share: 1, max_tier_shift: 1, min_rows: 100 },
      });
    },
  });
  await writeFile(path.join(fx.dir, 'models', 'people_tasks.sql'), TASKS_MODEL);
  return fx;
}

/** Task key → the ids of the tasks holding it. */
function tasksByKey(sandbox: Sandbox): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of sandbox.records('tasks')) out.set(t.properties.pqlsync_task_key, [...(out.get(t.properties.pqlsync_task_key) ?? []), t.id]);
  return out;
}

function duplicates(sandbox: Sandbox): string[] {
  return [...tasksByKey(sandbox)].filter(([, ids]) => ids.length > 1).map(([key, ids]) => `${key}: ${ids.join(', ')}`);
}

/** Every task of the model held once, with its subject, associated with exactly its contact; nothing else held; nothing left to send. */
async function expectEveryTaskOnce(fx: EngineFixture) {
  const { schema } = JSON.parse(await readFile(fx.config, 'utf8')) as { schema: string };
  const model = await fx.sql((w) => w.query(`select task_key, email, task_subject from ${w.dialect.table({ schema, name: 'people_tasks' })}`));
  expect(model).toHaveLength(TASKS);
  const held = tasksByKey(fx.sandbox);
  expect(duplicates(fx.sandbox)).toEqual([]);
  expect(held.size).toBe(TASKS);
  const contacts = new Map(fx.sandbox.records('contacts').map((c) => [c.properties.email, c.id]));
  const byId = new Map(fx.sandbox.records('tasks').map((t) => [t.id, t]));
  const problems: string[] = [];
  for (const row of model) {
    const id = held.get(String(row.task_key))?.[0];
    if (!id) {
      problems.push(`${row.task_key}: missing`);
      continue;
    }
    const task = byId.get(id);
    if (task?.properties.hs_task_subject !== row.task_subject) problems.push(`${row.task_key}: subject ${task?.properties.hs_task_subject}`);
    const links = fx.sandbox.associations('tasks', id).filter((a) => a.toObjectType === 'contacts').map((a) => a.toObjectId);
    if (links.length !== 1 || links[0] !== contacts.get(String(row.email))) problems.push(`${row.task_key}: associated with contacts [${links.join(', ')}]`);
  }
  expect(problems.slice(0, 10)).toEqual([]);
  const [left] = await fx.query(`select
      (select count(*) from ${stateTable(fx, 'sync_state')} where sync_name = 'person_tasks') as delivered,
      (select count(*) from ${stateTable(fx, 'create_intents')} where sync_name = 'person_tasks') as intents,
      (select count(*) from ${stateTable(fx, 'row_errors')}) as errors`);
  expect({ delivered: Number(left.delivered), intents: Number(left.intents), errors: Number(left.errors) }).toEqual({ delivered: TASKS, intents: 0, errors: 0 });
}

function stateTable(fx: EngineFixture, name: string): string {
  return fx.engine === 'duckdb' ? `${fx.state}.${name}` : `"${fx.state}".${name}`;
}

describe.each(ENGINES)('tasks without unique keys on %s (2,500 contacts, 3,000 tasks)', (engine) => {
  it('lost answers, 502s and 429s that landed, and a 429 storm: no task twice, every task once with its contact', async () => {
    f = await open(engine, [
      { fault: { type: 'lost-response' }, pathIncludes: '/objects/tasks/batch/create', probability: 0.25 },
      { fault: { type: 'status', status: 502, applied: true }, pathIncludes: '/objects/tasks/batch/create', probability: 0.15 },
      { fault: { type: 'status', status: 429, applied: true }, pathIncludes: '/objects/tasks/batch/create', probability: 0.1 },
      // The storm: 429s (not applied, as HubSpot answers them) on every task route, the reads pqlsync reconciles with included.
      { fault: { type: 'status', status: 429 }, pathIncludes: '/tasks', probability: 0.5, maxTimes: 80 },
    ], 60); // a portal that allows 60 requests a window where pqlsync is told 190 (it paces by the answers' headers)
    let run = await f.cli(['run']);
    const modes = run.events.filter((e) => e.event === 'create_mode');
    let runs = 1;
    for (; runs < 5 && run.code !== EXIT.ok; runs++) {
      expect(duplicates(f.sandbox)).toEqual([]);
      run = await f.cli(['sync']);
    }
    expect(run.code, run.err).toBe(EXIT.ok);
    expect(f.sandbox.stats.faultsInjected).toBeGreaterThan(30);
    console.log(
      `tasks without unique keys on ${engine}: ${TASKS} tasks in ${runs} run(s); ${f.sandbox.stats.faultsInjected} faults injected, ` +
        `${f.sandbox.stats.rateLimited} 429s from the portal's limiter, ${f.sandbox.stats.requestsByRoute[CREATE]} creates, ` +
        `${f.sandbox.stats.requestsByRoute['POST /crm/v4/associations/contacts/tasks/batch/read']} association reads; ${duplicates(f.sandbox).length} keys held twice`,
    );
    // The portal's answer chose the mode, said in one line.
    expect(modes).toHaveLength(1);
    expect(modes[0]).toMatchObject({ sync: 'person_tasks', unique_key: false });
    expect(modes[0].msg).toMatch(/keeps no unique values on tasks/);
    expect(f.sandbox.stats.requestsByRoute['POST /crm/v4/associations/contacts/tasks/batch/read']).toBeGreaterThan(0);
    await expectEveryTaskOnce(f);
  }, 300_000);

  it('creates HubSpot is still applying when a 504 or a dropped connection answers them: none is sent again in the run (CREATE_UNCONFIRMED, exit 7), the next run finds them, and every task is held once', async () => {
    f = await open(engine, [
      // Still being applied when the answer goes (they land at finishApplying(), as HubSpot finishes).
      { fault: { type: 'applied-late', answer: 504, afterMs: 600_000 }, pathIncludes: '/objects/tasks/batch/create', probability: 0.15 },
      { fault: { type: 'applied-late', answer: 'reset', afterMs: 600_000 }, pathIncludes: '/objects/tasks/batch/create', probability: 0.1 },
      // Refused before anything is applied: a 503 (unconfirmed all the same), and 429s (retried in the run).
      { fault: { type: 'status', status: 503 }, pathIncludes: '/objects/tasks/batch/create', probability: 0.1 },
      { fault: { type: 'status', status: 429 }, pathIncludes: '/objects/tasks/batch/create', probability: 0.15 },
    ]);
    const first = await f.cli(['run']);
    // HubSpot finishes applying what it was still writing: nothing was sent twice meanwhile.
    expect(f.sandbox.finishApplying()).toBeGreaterThan(0);
    expect(duplicates(f.sandbox)).toEqual([]);
    expect(first.code, first.err).toBe(EXIT.rowsFailed);
    const [after] = await f.query(`select
        (select count(*) from ${stateTable(f, 'sync_state')} where sync_name = 'person_tasks') as delivered,
        (select count(*) from ${stateTable(f, 'row_errors')} where sync_name = 'person_tasks' and category = 'CREATE_UNCONFIRMED') as unconfirmed,
        (select count(*) from ${stateTable(f, 'row_errors')}) as errors,
        (select count(*) from ${stateTable(f, 'create_intents')} i where sync_name = 'person_tasks'
          and not exists (select 1 from ${stateTable(f, 'sync_state')} s where s.sync_name = i.sync_name and s.record_key = i.record_key)) as pending`);
    const unconfirmed = Number(after.unconfirmed);
    // Every unconfirmed task is a row error (the only ones), not in state, its intent kept; the rest delivered.
    expect(unconfirmed).toBeGreaterThan(100);
    expect(Number(after.errors)).toBe(unconfirmed);
    expect(Number(after.pending)).toBe(unconfirmed);
    expect(Number(after.delivered)).toBe(TASKS - unconfirmed);
    // The portal holds the delivered ones and those that landed late; not those a 503 refused.
    const held = f.sandbox.records('tasks').length;
    expect(held).toBeGreaterThan(TASKS - unconfirmed);
    expect(held).toBeLessThanOrEqual(TASKS);

    // A plan counts them among the unconfirmed creates.
    const plan = await f.cli(['plan']);
    expect(plan.events.find((e) => e.event === 'create_journal' && e.sync === 'person_tasks')).toMatchObject({ unconfirmed });

    f.sandbox.setFaults(undefined);
    const creates = f.sandbox.stats.requestsByRoute[CREATE];
    const second = await f.cli(['sync']);
    expect(second.code, second.err).toBe(EXIT.ok);
    // Only the ones not found are created: what the 503s refused, in a few batches.
    expect(f.sandbox.stats.requestsByRoute[CREATE] - creates).toBeLessThanOrEqual(Math.ceil((TASKS - held) / 100) + 3);
    console.log(
      `still-applying creates on ${engine}: ${TASKS} tasks; first run ${unconfirmed} unconfirmed (${held - (TASKS - unconfirmed)} of them landed late), ` +
        `${f.sandbox.stats.requestsByRoute[CREATE] - creates} creates in the next run; ${duplicates(f.sandbox).length} keys held twice`,
    );
    await expectEveryTaskOnce(f);
  }, 300_000);

  it('SIGKILL after HubSpot created the last page of tasks and before its checkpoint: the rerun finds them and creates none', async () => {
    // The 25th create (in the third page of 1,000) lands, then its answer is held past the kill.
    f = await open(engine, [{ fault: { type: 'slow', delayMs: 30_000 }, pathIncludes: '/objects/tasks/batch/create', onRequests: [25] }]);
    expect((await f.cli(['build'])).code).toBe(EXIT.ok);
    const fx = f;
    const child = startChildSync(fx);
    let landed = false;
    const poll = setInterval(() => {
      if (!landed && fx.sandbox.records('tasks').length >= TASKS && fx.sandbox.stats.faultsInjected > 0) {
        landed = true;
        // The checkpoint of the first two pages commits in the background meanwhile.
        setTimeout(() => child.child.kill('SIGKILL'), 1500);
      }
    }, 5);
    const { signal, code } = await child.exited;
    clearInterval(poll);
    expect(signal, `finished before the kill (exit ${code}): ${child.output().slice(-800)}`).toBe('SIGKILL');
    expect(duplicates(fx.sandbox)).toEqual([]);
    expect(fx.sandbox.records('tasks')).toHaveLength(TASKS);
    const [state] = await fx.query(`select
        (select count(*) from ${stateTable(fx, 'sync_state')} where sync_name = 'person_tasks') as delivered,
        (select count(*) from ${stateTable(fx, 'create_intents')} where sync_name = 'person_tasks') as intents`);
    // Past one checkpoint (2,000 delivered), the last page created in HubSpot but not in state; its intents recorded.
    expect(Number(state.delivered)).toBe(2000);
    expect(Number(state.intents)).toBe(TASKS);

    // A plan says how many creates are unconfirmed (and sends nothing).
    const requests = fx.sandbox.stats.requests;
    const plan = await fx.cli(['plan']);
    expect(plan.events.find((e) => e.event === 'create_journal' && e.sync === 'person_tasks')).toMatchObject({ unconfirmed: TASKS - 2000 });
    expect(fx.sandbox.stats.requests).toBe(requests);

    fx.sandbox.setFaults(undefined);
    const creates = fx.sandbox.stats.requestsByRoute[CREATE];
    const rerun = await fx.cli(['sync']);
    expect(rerun.code, rerun.err).toBe(EXIT.ok);
    expect(fx.sandbox.stats.requestsByRoute[CREATE]).toBe(creates);
    await expectEveryTaskOnce(fx);
  }, 300_000);
});
