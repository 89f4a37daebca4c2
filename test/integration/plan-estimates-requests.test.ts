/**
 * `plan` estimates the HubSpot requests a run needs (docs/hubspot.md, "Daily budget"), beside the
 * portal's daily budget as the last run read it, and says which priority classes a tight budget
 * would defer. Through the CLI against the sandbox, which counts requests: the estimate is held
 * against what the following `sync` actually makes, per sync and in total, on a first sync (property
 * setup, company search, association creates), on a day of changes (updates by id, deal reads),
 * and under a budget too small, where the sync then defers what the plan said.
 * Tolerance: each estimate within 10 % + 2 requests of the sync's actual count.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, withScoreMinChange, type Scenario } from '../helpers/faults-harness.ts';

const DAILY = 10_000;
let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 1000, seed: 21 }, { sandbox: { dailyLimit: DAILY }, editConfig: withScoreMinChange(20) });
}, 120_000);

afterAll(async () => s?.close());

const within = (estimate: number, actual: number) => Math.abs(estimate - actual) <= 2 + 0.1 * actual;

/** Plans, syncs, and holds each sync's estimate against its actual requests. */
async function planThenSync(args: string[] = []) {
  const plan = await s.cli(['plan', ...args]);
  expect(plan.code, plan.err).toBe(EXIT.ok);
  const budget = plan.events.find((e) => e.event === 'budget_plan');
  s.sandbox.resetStats();
  const run = await s.cli(['sync', '--force', ...args]);
  const actual = Object.fromEntries(run.events.filter((e) => e.event === 'sync_done').map((e) => [e.sync, Number(e.requests)]));
  for (const sync of budget.syncs) {
    if (!(sync.sync in actual)) continue;
    expect(within(sync.total, actual[sync.sync]), `${sync.sync}: estimated ${sync.total}, made ${actual[sync.sync]}`).toBe(true);
  }
  expect(within(budget.requests, s.sandbox.stats.requests), `run: estimated ${budget.requests}, made ${s.sandbox.stats.requests}`).toBe(true);
  return { plan, budget, run, actual };
}

it('estimates a first sync and a day of changes within tolerance, and says what a tight budget defers', async () => {
  const first = await planThenSync();
  expect(first.run.code, first.run.err).toBe(EXIT.ok);
  // No run had read the portal's budget yet; the first sync's setup, searches and associations are counted.
  expect(first.budget.budget).toBeNull();
  expect(first.budget.requests).toBeGreaterThan(30);
  const contacts = first.budget.syncs.find((x: { sync: string }) => x.sync === 'contacts');
  expect(contacts).toMatchObject({ setup: 4, writes: Math.ceil(first.plan.events.find((e) => e.event === 'plan' && e.sync === 'contacts').to_send / 100) });
  expect(contacts.associations).toBeGreaterThan(1);

  // A day of changes: updates by id, a deal's stage read first.
  await s.sql(async (w) => {
    await w.execute(`update pqlsync_models.contact_sync set pql_score = pql_score + 25 where pql_tier = 'hot'`);
    await w.execute(`update pqlsync_models.deal_sync set seats = seats + 1 where seats > 10`);
  });
  const day = await planThenSync();
  expect(day.run.code, day.run.err).toBe(EXIT.ok);
  expect(day.budget.budget).toMatchObject({ limit: DAILY });
  expect(day.budget.fits).toBe(true);
  expect(day.budget.syncs.find((x: { sync: string }) => x.sync === 'deals').reads).toBeGreaterThan(0);

  // A tight day: new PQLs, score moves and 600 counters; another app used most of the budget.
  const emails = async (sql: string) => (await s.sql((w) => w.query(sql))).map((r) => String(r.email));
  const list = (keys: string[]) => `('${keys.join("','")}')`;
  const promoted = await emails(`select email from pqlsync_models.contact_sync where pql_tier in ('cold', 'warm') order by user_id limit 30`);
  const scored = await emails(`select email from pqlsync_models.contact_sync where pql_tier <> 'sales_ready' and email not in ${list(promoted)} order by user_id desc limit 150`);
  const counted = await emails(`select email from pqlsync_models.contact_sync where email not in ${list([...promoted, ...scored])} order by user_id limit 600`);
  await s.sql(async (w) => {
    await w.execute(`update pqlsync_models.contact_sync set pql_tier = 'sales_ready' where email in ${list(promoted)}`);
    await w.execute(`update pqlsync_models.contact_sync set pql_score = pql_score + 25 where email in ${list(scored)}`);
    await w.execute(`update pqlsync_models.contact_sync set invites_total = coalesce(invites_total, 0) + 1 where email in ${list(counted)}`);
  });
  s.sandbox.resetDaily();
  s.sandbox.spendDaily(DAILY - 0.2 * DAILY - 10);
  // A run that sends nothing still reads the portal, and with it what is left of the day.
  expect((await s.cli(['sync', '--select', 'companies'])).code).toBe(EXIT.ok);

  const plan = await s.cli(['plan', '--select', 'contacts']);
  const budget = plan.events.find((e) => e.event === 'budget_plan');
  expect(budget).toMatchObject({ fits: false, reserve: 0.2, reserve_requests: 0.2 * DAILY, budget: { limit: DAILY } });
  const deferred = budget.syncs.find((x: { sync: string }) => x.sync === 'contacts').deferred;
  // New PQLs and score moves fit; part of the counters waits.
  expect(deferred).toMatchObject({ pqls: 0, tiers: 0, scores: 0, cleared: 0 });
  expect(deferred.counters).toBeGreaterThan(0);
  expect(deferred.counters).toBeLessThan(600);
  expect(plan.events.find((e) => e.event === 'budget_defer')?.deferred).toEqual(deferred);
  const markdown = await s.cli(['plan', '--select', 'contacts', '--format', 'markdown']);
  expect(markdown.out).toContain(`would defer counters ${deferred.counters} to the next run`);
  expect(markdown.out).toMatch(/\| sync \| object .* requests \|/);

  const tight = await s.cli(['sync', '--select', 'contacts', '--force']);
  expect(tight.code, tight.err).toBe(EXIT.deferred);
  // The run defers what the plan said it would.
  expect(tight.events.find((e) => e.event === 'sync_done').deferred).toBe(deferred.counters);
});
