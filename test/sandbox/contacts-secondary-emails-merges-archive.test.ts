/**
 * What real portals do to contacts that the sandbox now does too: secondary emails found by a
 * batch read by email, merges (the merged-away id answers as the survivor, which gains the other's
 * email and associations), and archived records (gone from reads and updates by id).
 */
import { expect, it } from 'vitest';
import { openSandbox, sendRaw } from './sandbox-harness.ts';

it('a batch read by email finds a contact by its secondary email', async () => {
  const { sandbox, client } = await openSandbox();
  const contact = sandbox.seedRecord('contacts', { email: 'pat@work.test' });
  sandbox.addSecondaryEmail(contact.id, 'Pat@Home.test');
  const read = await client.crm.contacts.batchApi.read({ idProperty: 'email', inputs: [{ id: 'pat@home.test' }, { id: 'nobody@x.test' }], properties: ['email', 'hs_additional_emails'], propertiesWithHistory: [] });
  expect(read.results.map((r) => [r.id, r.properties.email, r.properties.hs_additional_emails])).toEqual([[contact.id, 'pat@work.test', 'pat@home.test']]);
  expect((read as any).numErrors).toBe(1);
});

it('a merge keeps the primary, which answers for the merged-away id and gains its email and associations', async () => {
  const { sandbox, client } = await openSandbox();
  const primary = sandbox.seedRecord('contacts', { email: 'a@acme.test' });
  const other = sandbox.seedRecord('contacts', { email: 'a.other@acme.test' });
  const company = sandbox.seedRecord('companies', { domain: 'acme.test' });
  await client.crm.associations.v4.batchApi.createDefault('contacts', 'companies', { inputs: [{ _from: { id: other.id }, to: { id: company.id } }] });
  const merged = await sendRaw(sandbox, 'POST', '/crm/v3/objects/contacts/merge', { primaryObjectId: primary.id, objectIdToMerge: other.id });
  expect(merged.status).toBe(200);
  expect(merged.body.id).toBe(primary.id);
  expect(sandbox.records('contacts').map((r) => r.id)).toEqual([primary.id]);
  const held = sandbox.findByUniqueValue('contacts', 'email', 'a@acme.test')!;
  expect(held.properties).toMatchObject({ hs_additional_emails: 'a.other@acme.test', hs_merged_object_ids: other.id });
  expect(sandbox.associations('contacts', primary.id).map((a) => a.toObjectId)).toEqual([company.id]);
  // The merged-away id answers as the survivor, for reads and for updates.
  const read = await client.crm.contacts.basicApi.getById(other.id);
  expect(read.id).toBe(primary.id);
  const updated = await client.crm.contacts.batchApi.update({ inputs: [{ id: other.id, properties: { firstname: 'Ann' } }] });
  expect(updated.results[0].id).toBe(primary.id);
  expect(sandbox.findByUniqueValue('contacts', 'email', 'a@acme.test')!.properties.firstname).toBe('Ann');
});

it('an archived record is gone from reads and updates by id (207 naming it)', async () => {
  const { sandbox, client } = await openSandbox();
  const contact = sandbox.seedRecord('contacts', { email: 'gone@acme.test' });
  await client.crm.contacts.batchApi.archive({ inputs: [{ id: contact.id }] });
  expect(sandbox.records('contacts')).toEqual([]);
  const update = await client.crm.contacts.batchApi.update({ inputs: [{ id: contact.id, properties: { firstname: 'X' }, objectWriteTraceId: 't1' } as any] });
  expect(update.results).toEqual([]);
  expect((update as any).errors[0]).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
});
