/**
 * The shipped project end to end with deals and associations, on demo data, against a sandbox
 * whose search lags and which creates companies from contacts (as a real portal does):
 * HubSpot's deals, stages and properties, and every association, equal what the models say,
 * record by record; a rerun with no change makes zero requests; a stage change costs one read
 * and one update; a new trial makes one deal and its two associations in batched requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openOwnScenario, type OwnScenario } from '../helpers/faults-harness.ts';
import { crmRequests } from '../helpers/project.ts';

let s: OwnScenario;
const report: string[] = [];

beforeAll(async () => {
  s = await openOwnScenario({ users: 1000, seed: 11 });
}, 120_000);

afterAll(async () => {
  console.log(`deals end to end:\n${report.join('\n')}`);
  await s?.close();
});

const routes = () => Object.fromEntries(Object.entries(s.sandbox.stats.requestsByRoute).sort());

describe('deals and associations from the shipped models', () => {
  it('first sync: every deal, its stage and properties, and every association equal what the models say', async () => {
    s.sandbox.resetStats();
    const run = await s.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    const deals = await s.sql((w) => w.query('select * from pqlsync_models.deal_sync order by trial_id'));
    expect(deals.length).toBeGreaterThan(50);
    const stages = new Set(deals.map((d) => String(d.deal_stage)));
    expect([...stages].sort()).toEqual(['closed_lost', 'closed_won', 'trial_sales_assisted', 'trial_self_served']);

    const pipeline = s.sandbox.pipelines().find((p) => p.label === 'PLG trials (pqlsync)')!;
    const stageKey = new Map(s.template.project.config.syncs.find((x) => x.name === 'deals')!.pipeline!.stages.map((st) => [pipeline.stages.find((p) => p.label === st.label)!.id, st.key]));
    const held = new Map(s.sandbox.records('deals').map((r) => [r.properties.pqlsync_trial_id, r]));
    expect(held.size).toBe(deals.length);
    for (const d of deals) {
      const r = held.get(String(d.trial_id))!;
      expect(r, String(d.trial_id)).toBeDefined();
      expect({
        name: r.properties.dealname,
        stage: stageKey.get(r.properties.dealstage),
        pipeline: r.properties.pipeline,
        amount: r.properties.amount,
        started: r.properties.pqlsync_trial_started_on,
        plan: r.properties.pqlsync_trial_plan,
        seats: r.properties.pqlsync_seats,
      }).toEqual({
        name: d.deal_name,
        stage: d.deal_stage,
        pipeline: pipeline.id,
        amount: String(d.amount),
        started: String(d.trial_started_on).slice(0, 10),
        plan: d.trial_plan,
        seats: String(d.seats),
      });
    }

    // Associations: every pair the models name whose target the target sync holds, by keys (a
    // contact's is the product user id; a deal names its contact's in contact_user_id).
    const held2 = s.held();
    const has = (entry: string) => [...held2.associations].some((a) => a.startsWith(entry));
    const pairs = await s.sql(async (w) => ({
      dealContact: await w.query('select trial_id as f, contact_user_id as t from pqlsync_models.deal_sync where contact_user_id is not null'),
      dealCompany: await w.query('select trial_id as f, company_domain as t from pqlsync_models.deal_sync where company_domain is not null'),
      contactCompany: await w.query('select user_id as f, account_domain as t from pqlsync_models.contact_sync where account_domain is not null'),
    }));
    const missing: string[] = [];
    for (const p of pairs.dealContact) if (!has(`deals:${p.f}>contacts:${p.t}#`)) missing.push(`deal ${p.f} → contact ${p.t}`);
    for (const p of pairs.dealCompany) if (!has(`deals:${p.f}>companies:${p.t}#5,341`)) missing.push(`deal ${p.f} → company ${p.t} (primary)`);
    for (const p of pairs.contactCompany) if (!has(`contacts:${p.f}>companies:${p.t}#`)) missing.push(`contact ${p.f} → company ${p.t}`);
    expect(missing.slice(0, 10)).toEqual([]);
    expect(pairs.contactCompany.length).toBeGreaterThan(100); // past a batch of 100 pairs
    const association = run.results.flatMap((r) => r.associations);
    expect(association.reduce((n, a) => n + a.waiting + a.failed, 0)).toBe(0);
    const written = association.reduce((n, a) => n + a.written, 0);
    expect(written).toBe(pairs.dealContact.length + pairs.dealCompany.length + pairs.contactCompany.length);
    const perRoute = routes();
    report.push(`first sync: ${run.requests} requests for ${held2.contacts.size} contacts, ${held2.companies.size} companies, ${deals.length} deals, ${written} associations; ${JSON.stringify(perRoute)}`);
    expect(perRoute['POST /crm/v4/associations/contacts/companies/batch/create']).toBe(Math.ceil(pairs.contactCompany.length / 100));
  }, 60_000);

  it('a rerun with no change makes zero requests', async () => {
    s.sandbox.resetStats();
    const run = await s.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    expect(crmRequests(s.sandbox)).toBe(0);
    report.push(`rerun with no change: ${s.sandbox.stats.requests} requests`);
  }, 60_000);

  it('a stage change is one read of the stages HubSpot holds and one update; a rep\'s later stage is kept', async () => {
    const [open1, open2] = await s.sql((w) => w.query(`select trial_id from pqlsync_models.deal_sync where deal_stage = 'trial_self_served' order by trial_id limit 2`));
    // A rep closes the second one by hand; the model then moves both to sales-assisted.
    const pipeline = s.sandbox.pipelines().find((p) => p.label === 'PLG trials (pqlsync)')!;
    const won = pipeline.stages.find((p) => p.label === 'Closed won')!.id;
    const assisted = pipeline.stages.find((p) => p.label === 'Trial - sales-assisted')!.id;
    const second = s.sandbox.findByProperty('deals', 'pqlsync_trial_id', String(open2.trial_id))[0];
    s.sandbox.editRecord('deals', second.id, { dealstage: won });
    await s.sql((w) => w.execute(`update pqlsync_models.deal_sync set deal_stage = 'trial_sales_assisted' where trial_id in ('${open1.trial_id}', '${open2.trial_id}')`));
    s.sandbox.resetStats();
    const run = await s.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    expect(routes()).toEqual({
      // Which portal the token reaches, once a run (state belongs to one portal).
      'GET /account-info/v3/details': 1,
      'GET /crm/v3/pipelines/deals': 1,
      'GET /crm/v3/properties/deals': 1,
      'POST /crm/v3/objects/deals/batch/read': 1,
      'POST /crm/v3/objects/deals/batch/update': 1,
    });
    expect(s.sandbox.findByProperty('deals', 'pqlsync_trial_id', String(open1.trial_id))[0].properties.dealstage).toBe(assisted);
    expect(s.sandbox.findByProperty('deals', 'pqlsync_trial_id', String(open2.trial_id))[0].properties.dealstage).toBe(won);
    report.push(`2 stage changes (one kept at the rep's later stage): ${JSON.stringify(routes())}`);
  }, 60_000);

  it('a new trial makes one deal and its two associations, in batched requests', async () => {
    const [contact] = await s.sql((w) => w.query('select user_id, account_domain from pqlsync_models.contact_sync where account_domain is not null order by email limit 1'));
    await s.sql((w) =>
      w.execute(`insert into pqlsync_models.deal_sync (trial_id, deal_name, deal_stage, amount, close_date, trial_started_on, trial_ends_on, trial_plan, seats, pql_score, activation_level, hot_trigger, account_id, contact_user_id, company_domain)
        select 'trial_new_1', 'New trial', 'trial_self_served', 1200, close_date, trial_started_on, trial_ends_on, 'pro', 10, 50, 'yellow', null, 'acc_new', '${contact.user_id}', '${contact.account_domain}'
        from pqlsync_models.deal_sync limit 1`),
    );
    s.sandbox.resetStats();
    // plan says it, without a request: one new deal, and its two pairs to write once it has an id.
    const planned = await s.cli(['plan']);
    expect(planned.code, planned.out.slice(-1500)).toBe(EXIT.ok);
    expect(crmRequests(s.sandbox)).toBe(0);
    expect(planned.events.filter((e) => e.event === 'associations_plan' && e.sync === 'deals').map((e) => [e.to, e.to_write, e.waiting])).toEqual([
      ['contacts', 0, 1],
      ['companies', 0, 1],
    ]);
    const run = await s.sync();
    expect(run.code, String(run.error)).toBe(EXIT.ok);
    expect(routes()).toEqual({
      // Which portal the token reaches, once a run (state belongs to one portal).
      'GET /account-info/v3/details': 1,
      'GET /crm/v3/pipelines/deals': 1,
      'GET /crm/v3/properties/deals': 1,
      'POST /crm/v3/objects/deals/batch/upsert': 1,
      // The portal's association types, read once a run per pair of object types (HubSpot's advice).
      'GET /crm/v4/associations/deals/companies/labels': 1,
      'GET /crm/v4/associations/deals/contacts/labels': 1,
      'POST /crm/v4/associations/deals/companies/batch/create': 1,
      'POST /crm/v4/associations/deals/contacts/batch/create': 1,
    });
    const deal = s.sandbox.findByProperty('deals', 'pqlsync_trial_id', 'trial_new_1')[0];
    expect(s.sandbox.associations('deals', deal.id).map((a) => a.toObjectType).sort()).toEqual(['companies', 'contacts']);
    report.push(`a new trial: ${s.sandbox.stats.requests} requests (1 upsert, 2 association creates, 2 label reads, 2 checks): ${JSON.stringify(routes())}`);
  }, 60_000);
});
