import { describe, expect, it } from 'vitest';
import { openSandbox } from './sandbox-harness.ts';

describe('contacts batch upsert by email', () => {
  it('creates new contacts, then updates them, matching email case-insensitively', async () => {
    const { sandbox, client } = await openSandbox();

    const created = await client.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'ada@example.com', idProperty: 'email', properties: { firstname: 'Ada' } },
        { id: 'grace@example.com', idProperty: 'email', properties: { firstname: 'Grace' } },
      ],
    });
    expect(created.status).toBe('COMPLETE');
    expect(created.results).toHaveLength(2);
    expect(created.results.every((result) => result._new === true)).toBe(true);
    expect(created.results.map((result) => result.properties.email).sort()).toEqual(['ada@example.com', 'grace@example.com']);
    expect(created.results[0].createdAt).toBeInstanceOf(Date);

    const updated = await client.crm.contacts.batchApi.upsert({
      inputs: [{ id: 'ADA@Example.com', idProperty: 'email', properties: { lastname: 'Lovelace' } }],
    });
    const ada = created.results.find((result) => result.properties.email === 'ada@example.com')!;
    expect(updated.results[0]).toMatchObject({ id: ada.id, _new: false });
    expect(sandbox.records('contacts')).toHaveLength(2);
    expect(sandbox.findByProperty('contacts', 'email', 'ada@EXAMPLE.com')[0].properties).toMatchObject({
      firstname: 'Ada',
      lastname: 'Lovelace',
      email: 'ada@example.com',
    });
    expect(sandbox.stats.recordsWritten).toBe(3);
    expect(sandbox.stats.requestsByRoute['POST /crm/v3/objects/contacts/batch/upsert']).toBe(2);
  });

  it('updates a contact that marketing created instead of duplicating it', async () => {
    const { sandbox, client } = await openSandbox();
    const existing = sandbox.seedRecord('contacts', { email: 'Lin@Acme.io', firstname: 'Lin' });
    expect(sandbox.stats.requests).toBe(0);

    const response = await client.crm.contacts.batchApi.upsert({
      inputs: [{ id: 'lin@acme.io', idProperty: 'email', properties: { jobtitle: 'CTO' }, objectWriteTraceId: 'lin' }],
    });

    expect(response.results[0]).toMatchObject({ id: existing.id, _new: false, objectWriteTraceId: 'lin' });
    expect(sandbox.records('contacts')).toHaveLength(1);
    expect(sandbox.records('contacts')[0].properties).toMatchObject({ firstname: 'Lin', jobtitle: 'CTO' });
  });

  it('accepts the type id 0-1 in the path', async () => {
    const { sandbox, client } = await openSandbox();
    await client.crm.objects.batchApi.upsert('0-1', {
      inputs: [{ id: 'x@y.io', idProperty: 'email', properties: { firstname: 'X' } }],
    });
    expect(sandbox.findByProperty('contacts', 'email', 'x@y.io')).toHaveLength(1);
    expect(sandbox.stats.requestsByRoute['POST /crm/v3/objects/contacts/batch/upsert']).toBe(1);
  });

  it('clears a property sent as an empty string', async () => {
    const { sandbox, client } = await openSandbox();
    sandbox.seedRecord('contacts', { email: 'a@b.io', jobtitle: 'CEO' });
    await client.crm.contacts.batchApi.upsert({ inputs: [{ id: 'a@b.io', idProperty: 'email', properties: { jobtitle: '' } }] });
    expect(sandbox.records('contacts')[0].properties.jobtitle).toBeUndefined();
  });
});
