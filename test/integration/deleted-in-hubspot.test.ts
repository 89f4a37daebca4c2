/**
 * Records a rep deleted in HubSpot, through the CLI against the sandbox. With the default
 * `on_deleted_in_hubspot: skip`, the next change of a deleted contact, company or deal is not
 * written anywhere: state records the record as deleted, `status` counts it, a later change costs
 * no request, and its associations wait. With `recreate`, the next change writes it again as a
 * new record and state holds the new id.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { FAULTS_TOKEN, openOwnScenario, type Scenario } from '../helpers/faults-harness.ts';

let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 600, seed: 3 });
}, 120_000);

afterAll(async () => s?.close());

async function archive(object: string, ids: string[]): Promise<void> {
  const response = await fetch(`${s.sandbox.url}/crm/v3/objects/${object}/batch/archive`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${FAULTS_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ inputs: ids.map((id) => ({ id })) }),
  });
  expect(response.status).toBe(204);
}

const stateOf = async (sync: string, key: string) => (await s.stateRows()).find((r) => r.sync_name === sync && r.record_key === key)!;

it('skip (default): a deleted contact, company and deal stay deleted; state and status say so', async () => {
  const first = await s.cli(['sync']);
  expect(first.code, first.err).toBe(EXIT.ok);
  const contacts = await s.sql((w) => w.query(`select user_id, email from pqlsync_models.contact_sync where account_domain is not null order by email limit 2`));
  const emails = contacts.map((r) => String(r.email));
  // The contacts sync's key (and state's) is the product user id.
  const userIds = contacts.map((r) => String(r.user_id));
  const [company] = await s.sql((w) => w.query('select domain from pqlsync_models.company_sync order by domain limit 1'));
  const [deal] = await s.sql((w) => w.query('select trial_id from pqlsync_models.deal_sync order by trial_id limit 1'));
  const contactIds = emails.map((e) => s.sandbox.findByUniqueValue('contacts', 'email', e)!.id);
  const companyId = s.sandbox.findByUniqueValue('companies', 'pqlsync_account_key', String(company.domain))!.id;
  const dealId = s.sandbox.findByUniqueValue('deals', 'pqlsync_trial_id', String(deal.trial_id))!.id;
  await archive('contacts', contactIds);
  await archive('companies', [companyId]);
  await archive('deals', [dealId]);

  const touch = () =>
    s.sql(async (w) => {
      await w.execute(`update pqlsync_models.contact_sync set pql_reasons = pql_reasons || '.' where email in ('${emails.join("','")}')`);
      await w.execute(`update pqlsync_models.company_sync set account_reasons = coalesce(account_reasons, '') || '.' where domain = '${company.domain}'`);
      await w.execute(`update pqlsync_models.deal_sync set deal_name = deal_name || '.' where trial_id = '${deal.trial_id}'`);
    });
  await touch();
  const second = await s.cli(['sync']);
  expect(second.code, second.err).toBe(EXIT.ok);
  for (const e of emails) expect(s.sandbox.findByUniqueValue('contacts', 'email', e)).toBeUndefined();
  expect(s.sandbox.findByUniqueValue('companies', 'pqlsync_account_key', String(company.domain))).toBeUndefined();
  expect(s.sandbox.findByUniqueValue('deals', 'pqlsync_trial_id', String(deal.trial_id))).toBeUndefined();
  expect(String((await stateOf('contacts', userIds[0])).record_id)).toBe(`deleted:${contactIds[0]}`);
  expect(String((await stateOf('deals', String(deal.trial_id))).record_id)).toBe(`deleted:${dealId}`);
  expect((await s.rowErrors()).length).toBe(0);

  const status = await s.cli(['status']);
  const event = status.events.find((e) => e.event === 'status');
  expect(event.deleted_in_hubspot).toEqual([
    { sync_name: 'companies', deleted: 1 },
    { sync_name: 'contacts', deleted: 2 },
    { sync_name: 'deals', deleted: 1 },
  ]);

  // Another change of the deleted records costs no write at all.
  await touch();
  s.sandbox.resetStats();
  const third = await s.cli(['sync']);
  expect(third.code, third.err).toBe(EXIT.ok);
  const writes = Object.entries(s.sandbox.stats.requestsByRoute).filter(([route]) => /objects\/\w+\/batch\/(update|upsert|create)|associations.*batch\/create/.test(route));
  expect(writes).toEqual([]);
});

it('recreate: the next change writes the deleted records again, as new records', async () => {
  const config = JSON.parse(await readFile(s.config, 'utf8'));
  for (const sync of config.syncs) sync.on_deleted_in_hubspot = 'recreate';
  await writeFile(s.config, JSON.stringify(config, null, 2));
  const deletedBefore = (await s.stateRows()).filter((r) => String(r.record_id).startsWith('deleted:'));
  expect(deletedBefore.length).toBe(4);
  // The policy applies to the next change of each record.
  await s.sql(async (w) => {
    for (const row of deletedBefore) {
      const [table, column, key] = { contacts: ['contact_sync', 'pql_reasons', 'user_id'], companies: ['company_sync', 'account_reasons', 'domain'], deals: ['deal_sync', 'deal_name', 'trial_id'] }[String(row.sync_name)]!;
      await w.execute(`update pqlsync_models.${table} set ${column} = coalesce(${column}, '') || '!' where ${key} = '${row.record_key}'`);
    }
  });
  const run = await s.cli(['sync']);
  expect(run.code, run.err).toBe(EXIT.ok);
  const property = { contacts: ['contacts', 'pqlsync_user_key'], companies: ['companies', 'pqlsync_account_key'], deals: ['deals', 'pqlsync_trial_id'] } as const;
  for (const row of deletedBefore) {
    const [object, key] = property[row.sync_name as keyof typeof property];
    const record = s.sandbox.findByUniqueValue(object, key, String(row.record_key));
    expect(record, `${row.sync_name} ${row.record_key}`).toBeDefined();
    expect(`deleted:${record!.id}`).not.toBe(String(row.record_id));
    expect(String((await stateOf(String(row.sync_name), String(row.record_key))).record_id)).toBe(record!.id);
  }
  const status = await s.cli(['status']);
  expect(status.events.find((e) => e.event === 'status').deleted_in_hubspot).toEqual([]);
});
