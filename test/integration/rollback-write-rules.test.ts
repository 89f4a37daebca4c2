/**
 * A rollback obeys the same write rules as a sync (docs/change-control.md), through the CLI
 * against the sandbox, 450 contacts and deals (past a batch of 100, five batches a page):
 * - it never moves `lifecyclestage` back, and a NULL it would put back never clears a
 *   `write: if_empty` or `write: not_null` property; an if_empty value the bad run could not
 *   write (HubSpot held one) stays as HubSpot held it;
 * - a deal's stage moves back only with --allow-stage-back; its other properties always do.
 * It reads only what HubSpot's search says changed after the run (the rep's edit; no deal), and
 * every record with --read-all.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { ENGINES, engineFixture, type EngineFixture } from '../helpers/both-warehouses.ts';
import { trialDealsSync } from '../helpers/deals-sync.ts';

let f: EngineFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

const USERS = 450;
const LIFECYCLE = ['subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer', 'evangelist'];

// The fixture's scores, with a lifecycle stage, an if_empty note (only hot people have one) and
// a not_null note (only warm and hot people have one).
const PEOPLE_SCORES = `/*
materialized: table
unique_key: email
*/
select
  email,
  score as pql_score,
  case when score >= 80 then 'hot' when score >= 40 then 'warm' else 'cold' end as pql_tier,
  'score ' || cast(score as varchar) as pql_reason,
  case when score >= 80 then 'salesqualifiedlead' when score >= 40 then 'marketingqualifiedlead' else 'lead' end as lifecycle_stage,
  case when score >= 80 then 'hot at ' || cast(score as varchar) end as hot_note,
  case when score >= 40 then 'note ' || cast(score as varchar) end as pql_note,
  updated_at
from {{ ref('stg_people') }}
where is_active`;

const DEAL_SYNC = `/*
materialized: table
unique_key: trial_id
*/
select
  'trial_' || cast(person_id as varchar) as trial_id,
  'Trial ' || cast(person_id as varchar) as deal_name,
  case when score >= 1000 then 'closed_won' when score >= 50 then 'trial_sales_assisted' else 'trial_self_served' end as deal_stage,
  score as seats
from {{ ref('stg_people') }}
where is_active`;

async function fixture(engine: EngineFixture['engine'], edit: (config: Record<string, any>) => void): Promise<EngineFixture> {
  const fx = await engineFixture(engine, { users: USERS, edit });
  await writeFile(path.join(fx.dir, 'models', 'people_scores.sql'), PEOPLE_SCORES);
  await writeFile(path.join(fx.dir, 'models', 'deal_sync.sql'), DEAL_SYNC);
  return fx;
}

async function lastRun(fx: EngineFixture, sync: string): Promise<string> {
  const [{ run_id }] = await fx.query(`select run_id from ${fx.state}.runs where status = 'success' and command = 'sync' and sync_name = '${sync}' order by started_at desc limit 1`);
  return String(run_id);
}

describe.each(ENGINES)('rollback and the write rules on %s', (engine) => {
  it('never moves lifecyclestage back, never clears an if_empty or not_null property with a NULL, reads only what changed since the run', async () => {
    f = await fixture(engine, (config) => {
      config.syncs[0].properties.push(
        { column: 'lifecycle_stage', property: 'lifecyclestage', type: 'enumeration', label: 'Lifecycle stage', options: LIFECYCLE },
        { column: 'hot_note', property: 'pql_hot_note', type: 'string', label: 'First hot note', write: 'if_empty' },
        { column: 'pql_note', property: 'pql_note', type: 'string', label: 'PQL note', write: 'not_null' },
      );
    });
    const fx = f;
    // HubSpot's clock runs a minute behind pqlsync's while the runs write, so the runs' writes
    // look older to search than the checkpoints that recorded them (as in any run longer than a
    // few seconds); the rep's edit below comes two minutes later.
    fx.sandbox.setClock(-60_000);
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const snapshot = () => new Map(fx.sandbox.records('contacts').map((r) => [r.properties.email, r.properties] as const));
    const before = snapshot();
    expect(before.size).toBe(USERS);

    await fx.exec(`update ${fx.people} set score = score + 1000`);
    const bad = await fx.cli(['run', '--force']);
    expect(bad.code, bad.err).toBe(EXIT.ok);
    const badRun = await lastRun(fx, 'contact_sync');
    const afterBad = snapshot();
    for (const p of afterBad.values()) expect(p).toMatchObject({ pql_tier: 'hot', lifecyclestage: 'salesqualifiedlead', pql_note: expect.stringMatching(/^note 10\d\d$/) });

    fx.sandbox.setClock(120_000);
    const editedEmail = [...before.keys()].sort()[200];
    fx.sandbox.editRecord('contacts', fx.sandbox.findByUniqueValue('contacts', 'email', editedEmail)!.id, { pql_score: '17' });

    fx.sandbox.resetStats();
    const ignoredBefore = fx.sandbox.lifecycleMovesIgnored();
    const rollback = await fx.cli(['rollback', badRun]);
    expect(rollback.code, rollback.err).toBe(EXIT.ok);
    const done = rollback.events.find((e) => e.event === 'rollback_done');
    expect(done).toMatchObject({ restored: USERS - 1, edited: 1, kept: 0, failed: 0, checked: 1 });
    expect(done.listed.edited).toEqual([{ key: editedEmail, message: expect.stringContaining('pql_score: HubSpot "17"') }]);
    // One search (outside the 10-second window), the rep's record read, updates by id only.
    const routes = fx.sandbox.stats.requestsByRoute;
    expect(routes['POST /crm/v3/objects/contacts/search']).toBe(1);
    expect(routes['POST /crm/v3/objects/contacts/batch/upsert']).toBeUndefined();
    expect(routes['POST /crm/v3/objects/contacts/batch/update']).toBeGreaterThanOrEqual(Math.ceil((USERS - 1) / 100));
    // No lifecycle stage was sent back (HubSpot would have ignored it).
    expect(fx.sandbox.lifecycleMovesIgnored()).toBe(ignoredBefore);

    const after = snapshot();
    let keptNotes = 0;
    for (const [email, old] of before) {
      const now = after.get(email)!;
      const wrong = afterBad.get(email)!;
      if (email === editedEmail) {
        expect(now).toMatchObject({ pql_score: '17', pql_tier: 'hot' });
        continue;
      }
      expect({ score: now.pql_score, tier: now.pql_tier, reason: now.pql_reason }, email).toEqual({ score: old.pql_score, tier: old.pql_tier, reason: old.pql_reason });
      // Forward only: the bad run's stage stays.
      expect(now.lifecyclestage, email).toBe('salesqualifiedlead');
      // if_empty: a note HubSpot held was never overwritten; one the bad run wrote where there
      // was none is not cleared by the NULL the model had.
      expect(now.pql_hot_note, email).toBe(old.pql_hot_note ?? wrong.pql_hot_note);
      // not_null: put back where there was a value, kept where the model had NULL.
      expect(now.pql_note, email).toBe(old.pql_note ?? wrong.pql_note);
      if (old.pql_note === undefined) keptNotes++;
    }
    expect(keptNotes).toBeGreaterThan(100);
    expect([...before.values()].filter((p) => p.pql_hot_note !== undefined).length).toBeGreaterThan(50);
  });

  it('moves a deal back a stage only with --allow-stage-back; its other properties always', async () => {
    f = await fixture(engine, (config) => {
      // The trial deals without their amount: name, stage and seats.
      config.syncs.push(trialDealsSync({ properties: trialDealsSync().properties.filter((m) => m.column !== 'amount') }));
    });
    const fx = f;
    // HubSpot's clock a minute behind pqlsync's (as in the test above): nothing changed after the runs.
    fx.sandbox.setClock(-60_000);
    expect((await fx.cli(['run'])).code).toBe(EXIT.ok);
    const deals = () => {
      const pipeline = fx.sandbox.pipelines().find((p) => p.label === 'PLG trials')!;
      const stage = new Map(pipeline.stages.map((s) => [s.id, s.label.replace('Stage ', '')]));
      return new Map(fx.sandbox.records('deals').map((r) => [r.properties.pqlsync_trial_id, { stage: stage.get(r.properties.dealstage), seats: r.properties.pqlsync_seats }] as const));
    };
    const before = deals();
    expect(before.size).toBe(USERS);
    expect(new Set([...before.values()].map((d) => d.stage))).toEqual(new Set(['trial_self_served', 'trial_sales_assisted']));

    // The bad run closes every trial as won and inflates the seats.
    await fx.exec(`update ${fx.people} set score = score + 1000`);
    expect((await fx.cli(['run', '--force'])).code).toBe(EXIT.ok);
    const firstBad = await lastRun(fx, 'trial_deals');
    expect([...deals().values()].every((d) => d.stage === 'closed_won')).toBe(true);

    // Without the flag: the seats go back, every deal stays won.
    const kept = await fx.cli(['rollback', firstBad, '--sync', 'trial_deals']);
    expect(kept.code, kept.err).toBe(EXIT.ok);
    expect(kept.events.find((e) => e.event === 'rollback_done')).toMatchObject({ restored: USERS, failed: 0 });
    for (const [key, d] of deals()) expect(d, key).toEqual({ stage: 'closed_won', seats: before.get(key)!.seats });

    // The same bad model again (state was moved back, so it sends the seats again), then a
    // rollback with --allow-stage-back: stages and seats as before the bad run.
    expect((await fx.cli(['run', '--force'])).code).toBe(EXIT.ok);
    const secondBad = await lastRun(fx, 'trial_deals');
    expect(secondBad).not.toBe(firstBad);
    expect([...deals().values()].every((d) => d.stage === 'closed_won' && Number(d.seats) >= 1000)).toBe(true);
    // --read-all: every deal is read before it is written, not only those search names.
    const back = await fx.cli(['rollback', secondBad, '--sync', 'trial_deals', '--allow-stage-back', '--read-all']);
    expect(back.code, back.err).toBe(EXIT.ok);
    expect(back.events.find((e) => e.event === 'rollback_done')).toMatchObject({ restored: USERS, failed: 0, checked: USERS });
    expect(kept.events.find((e) => e.event === 'rollback_done').checked).toBe(0);
    expect(deals()).toEqual(before);
  });
});
