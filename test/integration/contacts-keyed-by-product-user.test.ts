/**
 * Contacts identified by a stable product key, through the CLI against the sandbox. The shipped
 * contacts sync is keyed by the product's user id, written to the pqlsync-owned unique property
 * pqlsync_user_key; email is a mapped value. A contact that existed before pqlsync is found once
 * by its email, primary or secondary, and stamped; an email change in the product updates the
 * same contact (its score, owner and associations stay); a contact a rep merged into another
 * between runs resolves to the survivor; an email change onto another contact's email is a row
 * error naming both records. No run creates a second contact for anyone.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { FAULTS_TOKEN, openOwnScenario, type Scenario } from '../helpers/faults-harness.ts';

let s: Scenario;

beforeAll(async () => {
  s = await openOwnScenario({ users: 600, seed: 17 }, {
    // The shipped project keys contacts by user_id in pqlsync_user_key, email a mapped value.
    editConfig: (config) => {
      const contacts = config.syncs.find((x: { name: string }) => x.name === 'contacts');
      expect(contacts).toMatchObject({ key: 'user_id', identity_property: 'pqlsync_user_key' });
      contacts.guardrails = { ...contacts.guardrails, max_changed_share: 1 };
    },
  });
}, 120_000);

afterAll(async () => s?.close());

const byKey = (userId: string) => s.sandbox.findByUniqueValue('contacts', 'pqlsync_user_key', userId);
const contactCount = () => s.sandbox.records('contacts').length;

it('finds existing contacts by primary or secondary email, follows email changes and merges, and never makes a second contact', async () => {
  const rows = await s.sql((w) => w.query('select user_id, email from pqlsync_models.contact_sync where account_domain is not null order by user_id'));
  expect(rows.length).toBeGreaterThan(100);
  const [a, b, c, d, f] = rows.map((r) => ({ user: String(r.user_id), email: String(r.email) }));
  // Before pqlsync: marketing made a contact with A's email, and a rep's contact holds B's email as a secondary one.
  const marketing = s.sandbox.seedRecord('contacts', { email: a.email, firstname: 'Pat' });
  const rep = s.sandbox.seedRecord('contacts', { email: 'old.address@elsewhere.test' });
  s.sandbox.addSecondaryEmail(rep.id, b.email);
  const taken = s.sandbox.seedRecord('contacts', { email: 'taken@elsewhere.test' });
  const total = await s.sql(async (w) => Number((await w.query('select count(*) as n from pqlsync_models.contact_sync'))[0].n));

  const first = await s.cli(['sync']);
  expect(first.code, first.err + first.out.slice(-3000)).toBe(EXIT.ok);
  expect(byKey(a.user)!.id).toBe(marketing.id);
  expect(byKey(a.user)!.properties.firstname).toBe('Pat');
  expect(byKey(b.user)!.id).toBe(rep.id);
  expect(contactCount()).toBe(total + 1); // every person once, plus the unrelated 'taken' contact
  const cId = byKey(c.user)!.id;
  const fId = byKey(f.user)!.id;
  const cCompanies = s.sandbox.associations('contacts', cId).filter((x) => x.toObjectType === 'companies').map((x) => x.toObjectId);
  expect(cCompanies.length).toBeGreaterThan(0);

  // Between runs: a rep owns C; a rep merges F's contact into a duplicate of their own.
  const owner = s.sandbox.seedOwner({ email: 'ae@pqlsync-demo.test' });
  s.sandbox.editRecord('contacts', cId, { hubspot_owner_id: owner.id });
  const duplicate = s.sandbox.seedRecord('contacts', { email: 'f.duplicate@elsewhere.test' });
  const merged = await fetch(`${s.sandbox.url}/crm/v3/objects/contacts/merge`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${FAULTS_TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ primaryObjectId: duplicate.id, objectIdToMerge: fId }),
  });
  expect(merged.status).toBe(200);
  const afterMerge = contactCount();
  // In the product: C changes email, F's score moves, D takes an email another contact holds.
  await s.sql(async (w) => {
    await w.execute(`update pqlsync_models.contact_sync set email = 'c.renamed@newmail.test', pql_score = pql_score + 1 where user_id = '${c.user}'`);
    await w.execute(`update pqlsync_models.contact_sync set pql_score = pql_score + 2 where user_id = '${f.user}'`);
    await w.execute(`update pqlsync_models.contact_sync set email = 'taken@elsewhere.test' where user_id = '${d.user}'`);
  });
  const [cScore, fScore] = await s.sql(async (w) =>
    Promise.all([c, f].map(async (x) => String((await w.query(`select pql_score from pqlsync_models.contact_sync where user_id = '${x.user}'`))[0].pql_score))),
  );
  const dId = byKey(d.user)!.id;

  const second = await s.cli(['sync']);
  expect(second.code).toBe(EXIT.rowsFailed); // D's conflict only
  expect(contactCount()).toBe(afterMerge); // nothing created
  // C: the same contact, with the new email, the new score, its owner and its company.
  const renamed = s.sandbox.findByUniqueValue('contacts', 'email', 'c.renamed@newmail.test')!;
  expect(renamed.id).toBe(cId);
  expect(renamed.properties).toMatchObject({ pqlsync_pql_score: cScore, hubspot_owner_id: owner.id, pqlsync_user_key: c.user });
  expect(s.sandbox.findByUniqueValue('contacts', 'email', c.email)).toBeUndefined();
  expect(s.sandbox.associations('contacts', cId).filter((x) => x.toObjectType === 'companies').map((x) => x.toObjectId)).toEqual(cCompanies);
  // F: written to the surviving contact; state follows it.
  expect(byKey(f.user)!.id).toBe(duplicate.id);
  expect(byKey(f.user)!.properties.pqlsync_pql_score).toBe(fScore);
  const state = await s.stateRows();
  expect(String(state.find((r) => r.sync_name === 'contacts' && r.record_key === f.user)!.record_id)).toBe(duplicate.id);
  // D: a row error naming both records; neither contact changed hands.
  const error = (await s.rowErrors()).find((r) => r.sync_name === 'contacts' && r.record_key === d.user)!;
  expect(error).toMatchObject({ category: 'EMAIL_CONFLICT', property: 'email' });
  expect(String(error.message)).toContain(taken.id);
  expect(String(error.message)).toContain(dId);
  expect(byKey(d.user)!.properties.email).toBe(d.email);
  expect(s.sandbox.findByUniqueValue('contacts', 'email', 'taken@elsewhere.test')!.id).toBe(taken.id);
  expect((await s.rowErrors()).length).toBe(1);
});
