import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

const PQL_GROUP = { name: 'pqlsync', label: 'PQL scores', displayOrder: -1 };

describe('property groups and properties', () => {
  it('creates a group and properties of every type, and reads them back', async () => {
    const { sandbox, client } = await openSandbox();
    const group = await client.crm.properties.groupsApi.create('contacts', PQL_GROUP);
    expect(group).toMatchObject({ name: 'pqlsync', label: 'PQL scores', archived: false });

    const created = await client.crm.properties.batchApi.create('contacts', {
      inputs: [
        { name: 'pql_score', label: 'PQL score', type: 'number' as any, fieldType: 'number' as any, groupName: 'pqlsync' },
        {
          name: 'pql_tier',
          label: 'PQL tier',
          type: 'enumeration' as any,
          fieldType: 'select' as any,
          groupName: 'pqlsync',
          options: ['cold', 'warm', 'hot', 'sales_ready'].map((value, index) => ({ label: value, value, hidden: false, displayOrder: index })),
        },
        {
          name: 'pql_is_hot',
          label: 'Hot',
          type: 'bool' as any,
          fieldType: 'booleancheckbox' as any,
          groupName: 'pqlsync',
          options: [
            { label: 'Yes', value: 'true', hidden: false },
            { label: 'No', value: 'false', hidden: false },
          ],
        },
        { name: 'pql_scored_on', label: 'Scored on', type: 'date' as any, fieldType: 'date' as any, groupName: 'pqlsync' },
        { name: 'pql_last_active_at', label: 'Last active', type: 'datetime' as any, fieldType: 'date' as any, groupName: 'pqlsync' },
        { name: 'pql_reasons', label: 'Reasons', type: 'string' as any, fieldType: 'textarea' as any, groupName: 'pqlsync' },
      ],
    });
    expect(created.status).toBe('COMPLETE');
    expect(created.results).toHaveLength(6);

    const score = await client.crm.properties.coreApi.getByName('contacts', 'pql_score');
    expect(score).toMatchObject({ name: 'pql_score', type: 'number', fieldType: 'number', groupName: 'pqlsync', hasUniqueValue: false });
    expect(score.createdAt).toBeInstanceOf(Date);

    const all = await client.crm.properties.coreApi.getAll('contacts');
    const names = all.results.map((property) => property.name);
    expect(names).toEqual(expect.arrayContaining(['email', 'firstname', 'hs_object_id', 'pql_tier', 'pql_is_hot']));

    const groups = await client.crm.properties.groupsApi.getAll('contacts');
    expect(groups.results.map((entry) => entry.name)).toEqual(expect.arrayContaining(['contactinformation', 'pqlsync']));

    expect(sandbox.properties('contacts').find((property) => property.name === 'pql_tier')?.options.map((option) => option.value)).toEqual([
      'cold',
      'warm',
      'hot',
      'sales_ready',
    ]);
    expect(sandbox.propertyGroups('contacts')).toContainEqual({ name: 'pqlsync', label: 'PQL scores' });
  });

  it('reads properties back in a batch, with a 207 naming the missing ones', async () => {
    const { client } = await openSandbox();
    const response = await client.crm.properties.batchApi.read('contacts', {
      archived: false,
      inputs: [{ name: 'email' }, { name: 'pql_missing' }],
    });
    expect(response.results.map((property) => property.name)).toEqual(['email']);
    expect((response as any).numErrors).toBe(1);
    expect((response as any).errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { name: ['pql_missing'] } });
  });

  it('updates a property with PATCH and adds an option', async () => {
    const { sandbox, client } = await openSandbox();
    await client.crm.properties.groupsApi.create('companies', PQL_GROUP);
    await client.crm.properties.coreApi.create('companies', {
      name: 'pql_motion',
      label: 'Motion',
      type: 'enumeration' as any,
      fieldType: 'radio' as any,
      groupName: 'pqlsync',
      options: [{ label: 'Self-serve', value: 'self_serve', hidden: false }],
    });
    const updated = await client.crm.properties.coreApi.update('companies', 'pql_motion', {
      options: [
        { label: 'Self-serve', value: 'self_serve', hidden: false },
        { label: 'Sales-assisted', value: 'sales_assisted', hidden: false },
      ],
    });
    expect(updated.options.map((option) => option.value)).toEqual(['self_serve', 'sales_assisted']);
    expect(sandbox.properties('companies').find((property) => property.name === 'pql_motion')?.options).toHaveLength(2);
  });

  it('refuses a duplicate property, a missing group, a bad type pair and a bool without true/false options', async () => {
    const { client } = await openSandbox();
    await client.crm.properties.groupsApi.create('contacts', PQL_GROUP);
    const base = { label: 'X', groupName: 'pqlsync', type: 'string' as any, fieldType: 'text' as any };
    await client.crm.properties.coreApi.create('contacts', { ...base, name: 'pql_x' });

    const duplicate = await catchFailure(client.crm.properties.coreApi.create('contacts', { ...base, name: 'pql_x' }));
    expect(duplicate.code).toBe(409);
    expect(duplicate.body).toMatchObject({ status: 'error', category: 'OBJECT_ALREADY_EXISTS' });

    const noGroup = await catchFailure(client.crm.properties.coreApi.create('contacts', { ...base, name: 'pql_y', groupName: 'nope' }));
    expect(noGroup.code).toBe(400);

    const badPair = await catchFailure(client.crm.properties.coreApi.create('contacts', { ...base, name: 'pql_z', fieldType: 'number' as any }));
    expect(badPair.body.category).toBe('VALIDATION_ERROR');

    const badBool = await catchFailure(
      client.crm.properties.coreApi.create('contacts', { ...base, name: 'pql_b', type: 'bool' as any, fieldType: 'booleancheckbox' as any }),
    );
    expect(badBool.code).toBe(400);

    const group = await catchFailure(client.crm.properties.groupsApi.create('contacts', PQL_GROUP));
    expect(group.code).toBe(409);
  });

  it('refuses an option without its hidden flag, which HubSpot requires', async () => {
    const { client } = await openSandbox();
    await client.crm.properties.groupsApi.create('contacts', PQL_GROUP);
    const input = { name: 'pql_tier', label: 'Tier', type: 'enumeration' as any, fieldType: 'select' as any, groupName: 'pqlsync' };
    const missing = await catchFailure(client.crm.properties.coreApi.create('contacts', { ...input, options: [{ label: 'Cold', value: 'cold' }] as any }));
    expect(missing.code).toBe(400);
    expect(missing.body.message).toMatch(/options\[0\]\.hidden/);
    await client.crm.properties.coreApi.create('contacts', { ...input, options: [{ label: 'Cold', value: 'cold', hidden: true, displayOrder: 0 }] });
    const patched = await catchFailure(client.crm.properties.coreApi.update('contacts', 'pql_tier', { options: [{ label: 'Hot', value: 'hot' }] as any }));
    expect(patched.code).toBe(400);
  });

  it('answers a batch create with one bad definition as a 207', async () => {
    const { client } = await openSandbox();
    const response = await client.crm.properties.batchApi.create('contacts', {
      inputs: [
        { name: 'pql_ok', label: 'OK', type: 'string' as any, fieldType: 'text' as any, groupName: 'contactinformation' },
        { name: 'pql_bad', label: 'Bad', type: 'string' as any, fieldType: 'text' as any, groupName: 'missing_group' },
      ],
    });
    expect(response.results.map((property) => property.name)).toEqual(['pql_ok']);
    expect((response as any).errors[0].context.name).toEqual(['pql_bad']);
  });

  it('seeds a property that a portal admin made, unique-valued', async () => {
    const { sandbox, client } = await openSandbox();
    sandbox.seedProperty('companies', { name: 'account_key', type: 'string', fieldType: 'text', hasUniqueValue: true });
    const property = await client.crm.properties.coreApi.getByName('companies', 'account_key');
    expect(property).toMatchObject({ hasUniqueValue: true, groupName: 'companyinformation' });
    const response = await client.crm.companies.batchApi.upsert({
      inputs: [{ id: 'acct-1', idProperty: 'account_key', properties: { name: 'Acme' } }],
    });
    expect(response.results[0]._new).toBe(true);
    expect(sandbox.findByProperty('companies', 'account_key', 'acct-1')[0].properties.name).toBe('Acme');
  });
});
