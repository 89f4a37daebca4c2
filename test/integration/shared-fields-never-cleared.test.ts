/**
 * Fields pqlsync shares with people, through the CLI against the sandbox. The shipped deals sync
 * writes HubSpot's `amount` and `closedate` with `write: if_empty` (filled while empty, read
 * first, one read per 100 deals); here the deals' hot trigger is also `not_null`. After a first
 * sync a rep types an amount and a close date, then the model changes every deal and empties some
 * values: no NULL clears an if_empty or not_null property, no if_empty value a deal holds is
 * overwritten, and a not_null value still moves.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, type Scenario } from '../helpers/faults-harness.ts';

let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 2500, seed: 7 }, {
    editConfig: (config) => {
      const deals = config.syncs.find((x: { name: string }) => x.name === 'deals');
      deals.properties.find((p: { property: string }) => p.property === 'pqlsync_hot_trigger').write = 'not_null';
      deals.guardrails = { ...deals.guardrails, max_changed_share: 1 };
    },
  });
}, 120_000);

afterAll(async () => s?.close());

const deal = (trial: string) => s.sandbox.findByUniqueValue('deals', 'pqlsync_trial_id', trial)!;

it('a NULL never clears an if_empty or not_null property, and if_empty never overwrites', async () => {
  // Two trials without a close date yet.
  const [typedClose, filledClose] = (await s.sql((w) => w.query('select trial_id from pqlsync_models.deal_sync order by trial_id desc limit 2'))).map((d) => String(d.trial_id));
  await s.sql((w) => w.execute(`update pqlsync_models.deal_sync set close_date = null where trial_id in ('${typedClose}', '${filledClose}')`));
  const first = await s.cli(['sync']);
  expect(first.code, first.err).toBe(EXIT.ok);
  const deals = await s.sql((w) => w.query('select trial_id, amount, close_date, hot_trigger from pqlsync_models.deal_sync order by trial_id'));
  expect(deals.length).toBeGreaterThan(100); // past one read of 100
  const triggered = deals.filter((d) => d.hot_trigger !== null);
  expect(triggered.length).toBeGreaterThan(1);
  const [typedAmount, nulledAmount, nulledClose] = deals.map((d) => String(d.trial_id));
  const [nulledTrigger, movedTrigger] = triggered.map((d) => String(d.trial_id));
  const before = new Map(deals.map((d) => [String(d.trial_id), deal(String(d.trial_id)).properties]));
  expect(before.get(nulledAmount)!.amount).toBe(String(deals[1].amount));
  expect(before.get(typedClose)!.closedate).toBeUndefined();
  expect(before.get(nulledClose)!.closedate).toBeDefined();

  // A rep types an amount and a close date in HubSpot.
  s.sandbox.editRecord('deals', deal(typedAmount).id, { amount: '99999' });
  s.sandbox.editRecord('deals', deal(typedClose).id, { closedate: '2026-03-31T00:00:00.000Z' });
  // The model changes every deal's amount and empties some values.
  await s.sql(async (w) => {
    await w.execute('update pqlsync_models.deal_sync set amount = amount + 1');
    await w.execute(`update pqlsync_models.deal_sync set amount = null where trial_id = '${nulledAmount}'`);
    await w.execute(`update pqlsync_models.deal_sync set close_date = null where trial_id = '${nulledClose}'`);
    await w.execute(`update pqlsync_models.deal_sync set close_date = timestamp '2026-06-30 00:00:00' where trial_id in ('${typedClose}', '${filledClose}')`);
    await w.execute(`update pqlsync_models.deal_sync set hot_trigger = null where trial_id = '${nulledTrigger}'`);
    await w.execute(`update pqlsync_models.deal_sync set hot_trigger = 'moved on' where trial_id = '${movedTrigger}'`);
  });
  s.sandbox.resetStats();
  const second = await s.cli(['sync', '--select', 'deals']);
  expect(second.code, second.err).toBe(EXIT.ok);

  expect(deal(typedAmount).properties.amount).toBe('99999');
  expect(deal(typedClose).properties.closedate).toBe('2026-03-31T00:00:00.000Z');
  expect(deal(nulledAmount).properties.amount).toBe(before.get(nulledAmount)!.amount);
  expect(deal(nulledClose).properties.closedate).toBe(before.get(nulledClose)!.closedate);
  expect(deal(filledClose).properties.closedate).toBe('2026-06-30T00:00:00.000Z'); // empty in HubSpot: filled
  expect(deal(nulledTrigger).properties.pqlsync_hot_trigger).toBe(before.get(nulledTrigger)!.pqlsync_hot_trigger);
  expect(deal(movedTrigger).properties.pqlsync_hot_trigger).toBe('moved on');
  // if_empty: every deal already held an amount, so none was overwritten by amount + 1.
  const overwritten = deals.filter((d) => deal(String(d.trial_id)).properties.amount !== (String(d.trial_id) === typedAmount ? '99999' : before.get(String(d.trial_id))!.amount));
  expect(overwritten.map((d) => d.trial_id)).toEqual([]);
  // The held values are read in batches of 100, one read per batch of updates.
  expect(s.sandbox.stats.requestsByRoute['POST /crm/v3/objects/deals/batch/read']).toBe(Math.ceil(deals.length / 100));
  expect(s.sandbox.stats.requestsByRoute['POST /crm/v3/objects/deals/batch/update']).toBe(Math.ceil(deals.length / 100));
});
