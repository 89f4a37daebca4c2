/**
 * The daily budget is the portal's, shared with its other apps (docs/hubspot.md, "Daily budget").
 * Through the CLI against the sandbox, which reports what is left in
 * X-HubSpot-RateLimit-Daily-Remaining: when another app has used most of the day's requests, a
 * run that would eat into the reserve (20 % of the limit) sends the new sales-ready PQLs first,
 * defers the rest and exits "deferred"; after the reset the next run sends exactly the rest.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, type Scenario } from '../helpers/faults-harness.ts';

const DAILY = 10_000;
let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 1000, seed: 21 }, { sandbox: { dailyLimit: DAILY } });
}, 120_000);

afterAll(async () => s?.close());

it('under a budget too small for the run: new PQLs first, the rest next run, nothing lost or sent twice', async () => {
  const first = await s.cli(['sync']);
  expect(first.code, first.err).toBe(EXIT.ok);

  // In the product: 30 people become sales-ready; most others' scores move a little.
  const promoted = (await s.sql((w) => w.query(`select email from pqlsync_models.contact_sync where pql_tier in ('cold', 'warm') order by email desc limit 30`))).map((r) => String(r.email));
  await s.sql(async (w) => {
    await w.execute(`update pqlsync_models.contact_sync set pql_score = pql_score + 1 where pql_tier in ('cold', 'warm', 'hot')`);
    await w.execute(`update pqlsync_models.contact_sync set pql_tier = 'sales_ready' where email in ('${promoted.join("','")}')`);
  });
  const changed = await s.sql(async (w) => Number((await w.query(`select count(*) as n from pqlsync_models.contact_sync where pql_tier <> 'sales_ready' or email in ('${promoted.join("','")}')`))[0].n));
  expect(changed).toBeGreaterThan(300); // several batches of 100

  // Another app of the portal used most of today's requests: 3 are left above the 20 % reserve.
  s.sandbox.resetDaily();
  s.sandbox.spendDaily(DAILY - 0.2 * DAILY - 4);
  s.sandbox.resetStats();
  const tight = await s.cli(['sync', '--select', 'contacts', '--force']);
  expect(tight.code, tight.err).toBe(EXIT.deferred);
  const done = tight.events.find((e) => e.event === 'sync_done');
  expect(tight.events.find((e) => e.event === 'deferred')?.deferred).toBe(done.deferred);
  expect(done.sent + done.deferred).toBe(changed);
  for (const email of promoted) expect(s.sandbox.findByUniqueValue('contacts', 'email', email)!.properties.pqlsync_pql_tier, email).toBe('sales_ready');
  const sentFirst = s.sandbox.stats.recordsWritten;
  expect(sentFirst).toBeGreaterThanOrEqual(promoted.length);
  expect(sentFirst).toBeLessThan(changed);
  // The reserve held: this run stayed within what was left above it.
  expect(s.sandbox.stats.requests).toBeLessThanOrEqual(4);

  // After midnight: the next run sends exactly the rest.
  s.sandbox.resetDaily();
  s.sandbox.resetStats();
  const next = await s.cli(['sync', '--select', 'contacts', '--force']);
  expect(next.code, next.err).toBe(EXIT.ok);
  expect(s.sandbox.stats.recordsWritten).toBe(changed - sentFirst);
  const model = await s.sql((w) => w.query('select email, pql_score, pql_tier from pqlsync_models.contact_sync'));
  const wrong = model.filter((r) => {
    const held = s.sandbox.findByUniqueValue('contacts', 'email', String(r.email))!.properties;
    return held.pqlsync_pql_score !== String(r.pql_score) || held.pqlsync_pql_tier !== String(r.pql_tier);
  });
  expect(wrong.map((r) => r.email)).toEqual([]);
});
