/**
 * Priority in three classes under a tight daily budget (docs/hubspot.md, "Daily budget"): new
 * PQLs and tier changes first, then score moves (a property whose significance says how far it
 * must move: pql_score with min_change here), then counters (any other property), and the rest is
 * deferred. The class of each row is computed in the warehouse. Against the sandbox, with pages
 * and checkpoints of 100 so the cap falls across several of each; the next run goes through the CLI
 * and sends exactly what was deferred, nothing twice.
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

const list = (keys: string[]) => `('${keys.join("','")}')`;
const held = (email: string) => s.sandbox.findByUniqueValue('contacts', 'email', email)!.properties;

it('sends new PQLs, then score moves, then counters up to the budget; the next run sends exactly the counters deferred', async () => {
  const first = await s.cli(['sync']);
  expect(first.code, first.err).toBe(EXIT.ok);

  // In the product: 30 people become sales-ready, 150 scores move by 25 (past min_change 20), and
  // 600 people invite a teammate (a counter: a number without significance).
  // The sync's key is the user id: sets are picked in key order, and named by email in HubSpot.
  const emails = async (sql: string) => (await s.sql((w) => w.query(sql))).map((r) => String(r.email));
  // Keys sort counters first: only the classes can put the score moves before them.
  const promoted = await emails(`select email from pqlsync_models.contact_sync where pql_tier in ('cold', 'warm') order by user_id limit 30`);
  const scored = await emails(`select email from pqlsync_models.contact_sync where pql_tier <> 'sales_ready' and email not in ${list(promoted)} order by user_id desc limit 150`);
  const counted = await emails(`select email from pqlsync_models.contact_sync where email not in ${list([...promoted, ...scored])} order by user_id limit 600`);
  expect([promoted.length, scored.length, counted.length]).toEqual([30, 150, 600]);
  await s.sql(async (w) => {
    await w.execute(`update pqlsync_models.contact_sync set pql_tier = 'sales_ready' where email in ${list(promoted)}`);
    await w.execute(`update pqlsync_models.contact_sync set pql_score = pql_score + 25 where email in ${list(scored)}`);
    await w.execute(`update pqlsync_models.contact_sync set invites_total = coalesce(invites_total, 0) + 1 where email in ${list(counted)}`);
  });
  const model = new Map((await s.sql((w) => w.query('select email, pql_score, pql_tier, invites_total from pqlsync_models.contact_sync'))).map((r) => [String(r.email), r]));

  // Another app used most of today's requests: 7 are left above the 20 % reserve, a few of them
  // for the property checks; the run's 8 batches do not fit.
  s.sandbox.resetDaily();
  s.sandbox.spendDaily(DAILY - 0.2 * DAILY - 7);
  s.sandbox.resetStats();
  const tight = await s.sync({ select: ['contacts'], force: true, pageSize: 100, checkpointEvery: 100 });
  expect(tight.code, String(tight.error)).toBe(EXIT.deferred);
  const [result] = tight.results;
  expect(result.sent + result.deferred).toBe(780);
  // Past one page and one checkpoint, short of the counters.
  expect(result.sent).toBeGreaterThanOrEqual(200);
  expect(result.sent).toBeLessThan(780);
  expect(s.sandbox.stats.requests).toBeLessThanOrEqual(7);
  for (const email of promoted) expect(held(email).pqlsync_pql_tier, email).toBe('sales_ready');
  for (const email of scored) expect(held(email).pqlsync_pql_score, email).toBe(String(model.get(email)!.pql_score));
  const countersLanded = counted.filter((email) => held(email).pqlsync_teammates_invited === String(model.get(email)!.invites_total));
  expect(countersLanded.length).toBe(result.sent - 180);
  // Within a class, keys in order: the counters that landed are the first ones.
  expect(countersLanded).toEqual(counted.slice(0, countersLanded.length));
  expect(s.sandbox.stats.recordsWritten).toBe(result.sent);

  // After midnight, through the CLI: exactly the deferred counters, and everything as the model says.
  s.sandbox.resetDaily();
  s.sandbox.resetStats();
  const next = await s.cli(['sync', '--select', 'contacts', '--force']);
  expect(next.code, next.err).toBe(EXIT.ok);
  expect(s.sandbox.stats.recordsWritten).toBe(result.deferred);
  const wrong = [...model].filter(([email, r]) => {
    const h = held(email);
    return h.pqlsync_pql_score !== String(r.pql_score) || h.pqlsync_pql_tier !== String(r.pql_tier) || h.pqlsync_teammates_invited !== String(r.invites_total);
  });
  expect(wrong.map(([email]) => email)).toEqual([]);
});
