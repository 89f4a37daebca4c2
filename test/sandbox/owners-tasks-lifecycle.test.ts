/**
 * The sandbox as HubSpot behaves for owners (paged, archived apart, teams), tasks (a due time
 * required, open by default, upserted by a unique-value key, associated with contacts,
 * companies and deals), owner ids on records, and lifecyclestage's forward-only rule, through
 * the real @hubspot/api-client.
 */
import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

describe('owners', () => {
  it('lists active owners in pages, archived ones apart, with their teams; finds one by email', async () => {
    const { sandbox, client } = await openSandbox();
    const seeded = Array.from({ length: 7 }, (_, i) =>
      sandbox.seedOwner({ email: `rep${i}@vendor.test`, firstName: `Rep`, lastName: `${i}`, teams: i < 3 ? [{ id: 't1', name: 'Sales-assisted', primary: true }] : [] }),
    );
    sandbox.archiveOwner(seeded[6].id);
    const first = await client.crm.owners.ownersApi.getPage(undefined, undefined, 4, false);
    expect(first.results.map((o) => o.email)).toEqual(['rep0@vendor.test', 'rep1@vendor.test', 'rep2@vendor.test', 'rep3@vendor.test']);
    expect(first.results[0].teams?.[0]).toMatchObject({ id: 't1', name: 'Sales-assisted', primary: true });
    const second = await client.crm.owners.ownersApi.getPage(undefined, first.paging!.next!.after, 4, false);
    expect(second.results.map((o) => o.email)).toEqual(['rep4@vendor.test', 'rep5@vendor.test']);
    expect(second.paging).toBeUndefined();
    const archived = await client.crm.owners.ownersApi.getPage(undefined, undefined, 100, true);
    expect(archived.results.map((o) => [o.email, o.archived])).toEqual([['rep6@vendor.test', true]]);
    const byEmail = await client.crm.owners.ownersApi.getPage('REP2@vendor.test');
    expect(byEmail.results.map((o) => o.id)).toEqual([seeded[2].id]);
  });

  it('a record takes an active owner id; an unknown or archived owner is refused per record', async () => {
    const { sandbox, client } = await openSandbox();
    const active = sandbox.seedOwner({ email: 'a@vendor.test' });
    const gone = sandbox.seedOwner({ email: 'b@vendor.test' });
    sandbox.archiveOwner(gone.id);
    const ok = await client.crm.contacts.basicApi.create({ properties: { email: 'x@acme.test', hubspot_owner_id: active.id }, associations: [] });
    expect(ok.properties.hubspot_owner_id).toBe(active.id);
    for (const [id, code] of [[gone.id, 'INVALID_OWNER_ID'], ['999999', 'INVALID_OPTION']]) {
      const refused = await catchFailure(client.crm.contacts.basicApi.create({ properties: { email: `y${id}@acme.test`, hubspot_owner_id: id }, associations: [] }));
      expect(refused.code).toBe(400);
      expect(JSON.stringify(refused.body)).toContain(code);
    }
  });
});

describe('tasks', () => {
  it('a task needs hs_timestamp, is NOT_STARTED by default, and an upsert by a unique key never makes a second', async () => {
    const { sandbox, client } = await openSandbox();
    const owner = sandbox.seedOwner({ email: 'rep@vendor.test' });
    await client.crm.properties.coreApi.create('tasks', { name: 'pqlsync_task_key', label: 'pqlsync task key', type: 'string' as any, fieldType: 'text' as any, groupName: 'taskinformation', hasUniqueValue: true });
    const noDue = await catchFailure(client.crm.objects.tasks.basicApi.create({ properties: { hs_task_subject: 'x' }, associations: [] }));
    expect(noDue.code).toBe(400);
    expect(JSON.stringify(noDue.body)).toContain('hs_timestamp is required');
    const input = {
      id: 'a@acme.test|paywall|2026-01-05',
      idProperty: 'pqlsync_task_key',
      properties: { hs_timestamp: '2026-01-05T04:00:00Z', hs_task_subject: 'PQL: a@acme.test hit the paywall', hs_task_priority: 'HIGH', hs_task_type: 'CALL', hubspot_owner_id: owner.id },
    };
    const first = await client.crm.objects.tasks.batchApi.upsert({ inputs: [input] });
    const again = await client.crm.objects.tasks.batchApi.upsert({ inputs: [input] });
    expect(again.results[0].id).toBe(first.results[0].id);
    expect(sandbox.records('tasks')).toHaveLength(1);
    expect(sandbox.records('tasks')[0].properties).toMatchObject({ hs_task_status: 'NOT_STARTED', hs_task_priority: 'HIGH', hubspot_owner_id: owner.id });
    const badPriority = await catchFailure(client.crm.objects.tasks.basicApi.create({ properties: { hs_timestamp: '2026-01-05T04:00:00Z', hs_task_priority: 'URGENT' }, associations: [] }));
    expect(badPriority.code).toBe(400);
  });

  it('uniqueOnTasks: false refuses a unique-value property on tasks as HubSpot refuses a property create; a plain one, or one on deals, is created', async () => {
    const { sandbox, client } = await openSandbox({ uniqueOnTasks: false });
    const key = { name: 'pqlsync_task_key', label: 'pqlsync task key', type: 'string' as any, fieldType: 'text' as any, groupName: 'taskinformation' };
    const refused = await catchFailure(client.crm.properties.coreApi.create('tasks', { ...key, hasUniqueValue: true }));
    expect(refused.code).toBe(400);
    expect(refused.body).toMatchObject({ category: 'VALIDATION_ERROR' });
    expect(refused.body.message).toContain('not supported on tasks');
    const batch = await client.crm.properties.batchApi.create('tasks', { inputs: [{ ...key, hasUniqueValue: true }] });
    expect(batch.results).toEqual([]);
    expect(JSON.stringify(batch)).toContain('not supported on tasks');
    expect(sandbox.properties('tasks').some((p) => p.name === 'pqlsync_task_key')).toBe(false);
    // Without unique values the property is created, and an upsert by it is refused.
    await client.crm.properties.coreApi.create('tasks', key);
    const upsert = await catchFailure(
      client.crm.objects.tasks.batchApi.upsert({ inputs: [{ id: 'k1', idProperty: 'pqlsync_task_key', properties: { hs_timestamp: '2026-01-05T04:00:00Z', hs_task_subject: 'x' } }] }),
    );
    expect(upsert.code).toBe(400);
    expect(sandbox.records('tasks')).toHaveLength(0);
    await client.crm.properties.coreApi.create('deals', { ...key, name: 'pqlsync_deal_key', groupName: 'dealinformation', hasUniqueValue: true });
    expect(sandbox.properties('deals').find((p) => p.name === 'pqlsync_deal_key')?.hasUniqueValue).toBe(true);

    // The key is a plain value now: a create sent twice (a naive retry) makes two tasks with one key,
    // each associated with the contact named in the create.
    const contact = await client.crm.contacts.basicApi.create({ properties: { email: 'a@acme.test' }, associations: [] });
    const input = {
      properties: { hs_timestamp: '2026-01-05T04:00:00Z', hs_task_subject: 'call', pqlsync_task_key: 'a@acme.test|paywall' },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 204 }] }],
    };
    const first = await client.crm.objects.tasks.batchApi.create({ inputs: [input] });
    const second = await client.crm.objects.tasks.batchApi.create({ inputs: [input] });
    expect(first.results[0].id).not.toBe(second.results[0].id);
    expect(sandbox.findByProperty('tasks', 'pqlsync_task_key', 'a@acme.test|paywall')).toHaveLength(2);
    // Associations v4 batch read: the contact's tasks at once; a contact with none is named in errors (207).
    const other = await client.crm.contacts.basicApi.create({ properties: { email: 'b@acme.test' }, associations: [] });
    const read = await client.crm.associations.v4.batchApi.getPage('contacts', 'tasks', { inputs: [{ id: contact.id }, { id: other.id }] });
    expect(read.results.map((r) => [r._from.id, r.to.map((t) => String(t.toObjectId)).sort()])).toEqual([[contact.id, [first.results[0].id, second.results[0].id].sort()]]);
    expect(JSON.stringify((read as { errors?: unknown }).errors)).toContain(other.id);
  });

  it("uniqueOnTasks: 'ignored' creates the task key without unique values and says nothing", async () => {
    const { sandbox, client } = await openSandbox({ uniqueOnTasks: 'ignored' });
    const created = await client.crm.properties.coreApi.create('tasks', { name: 'pqlsync_task_key', label: 'k', type: 'string' as any, fieldType: 'text' as any, groupName: 'taskinformation', hasUniqueValue: true });
    expect(created.hasUniqueValue).toBe(false);
    expect(sandbox.properties('tasks').find((p) => p.name === 'pqlsync_task_key')?.hasUniqueValue).toBe(false);
  });

  it('associations v4 batch read pages a record with many associations', async () => {
    const { client } = await openSandbox();
    const contact = await client.crm.contacts.basicApi.create({ properties: { email: 'many@acme.test' }, associations: [] });
    const inputs = Array.from({ length: 100 }, () => ({
      properties: { hs_timestamp: '2026-01-05T04:00:00Z' },
      associations: [{ to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 204 }] }],
    }));
    for (let i = 0; i < 6; i++) await client.crm.objects.tasks.batchApi.create({ inputs });
    const ids = new Set<string>();
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await client.crm.associations.v4.batchApi.getPage('contacts', 'tasks', { inputs: [{ id: contact.id, ...(after ? { after } : {}) }] });
      for (const t of page.results[0].to) ids.add(String(t.toObjectId));
      after = page.results[0].paging?.next?.after;
      pages++;
    } while (after);
    expect(ids.size).toBe(600);
    expect(pages).toBe(2);
  });

  it('tasks associate with contacts (204), companies (192) and deals (216), read back from both sides', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = await client.crm.contacts.basicApi.create({ properties: { email: 'a@acme.test' }, associations: [] });
    const company = await client.crm.companies.basicApi.create({ properties: { domain: 'acme.test' }, associations: [] });
    const deal = await client.crm.deals.basicApi.create({ properties: { dealname: 'd', pipeline: 'default', dealstage: 'qualifiedtobuy' }, associations: [] });
    const task = await client.crm.objects.tasks.basicApi.create({ properties: { hs_timestamp: '2026-01-05T04:00:00Z' }, associations: [] });
    for (const [to, id, typeId] of [['contacts', contact.id, 204], ['companies', company.id, 192], ['deals', deal.id, 216]] as const) {
      await client.crm.associations.v4.batchApi.create('tasks', to, {
        inputs: [{ _from: { id: task.id }, to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: typeId }] }],
      });
    }
    expect(sandbox.associations('tasks', task.id).map((a) => [a.toObjectType, a.toObjectId]).sort()).toEqual([['companies', company.id], ['contacts', contact.id], ['deals', deal.id]].sort());
    expect(sandbox.associations('contacts', contact.id).map((a) => a.toObjectType)).toContain('tasks');
  });
});

describe('lifecyclestage', () => {
  it('moves forward; a move back answers 200 and keeps the held stage until the stage is cleared', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = await client.crm.contacts.basicApi.create({ properties: { email: 'a@acme.test', lifecyclestage: 'lead' }, associations: [] });
    await client.crm.contacts.basicApi.update(contact.id, { properties: { lifecyclestage: 'opportunity' } });
    const back = await client.crm.contacts.basicApi.update(contact.id, { properties: { lifecyclestage: 'lead', firstname: 'Ann' } });
    expect(back.properties).toMatchObject({ lifecyclestage: 'opportunity', firstname: 'Ann' });
    expect(sandbox.lifecycleMovesIgnored()).toBe(1);
    await client.crm.contacts.basicApi.update(contact.id, { properties: { lifecyclestage: '' } });
    const cleared = await client.crm.contacts.basicApi.update(contact.id, { properties: { lifecyclestage: 'lead' } });
    expect(cleared.properties.lifecyclestage).toBe('lead');
  });
});
