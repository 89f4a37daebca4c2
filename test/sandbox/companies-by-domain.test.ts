import { describe, expect, it } from 'vitest';
import { FilterOperatorEnum } from '@hubspot/api-client/lib/codegen/crm/companies/models/Filter.js';
import { SANDBOX_PORTAL_ID } from '../../connectors/hubspot/sandbox/index.ts';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

describe('companies resolved by domain with search, then written by id', () => {
  it('finds existing companies with IN, creates the missing ones and updates by id', async () => {
    const { sandbox, client } = await openSandbox();
    const acme = sandbox.seedRecord('companies', { name: 'Acme', domain: 'Acme.io' });
    sandbox.seedRecord('companies', { name: 'Other', domain: 'other.com' });

    const wanted = ['acme.io', 'globex.com'];
    const found = await client.crm.companies.searchApi.doSearch({
      filterGroups: [{ filters: [{ propertyName: 'domain', operator: FilterOperatorEnum.In, values: wanted }] }],
      properties: ['domain', 'name'],
      limit: 100,
    });
    expect(found.total).toBe(1);
    expect(found.results[0]).toMatchObject({ id: acme.id, properties: { domain: 'Acme.io', name: 'Acme' } });

    const created = await client.crm.companies.batchApi.create({
      inputs: [{ properties: { name: 'Globex', domain: 'globex.com' }, associations: [], objectWriteTraceId: 'globex.com' } as any],
    });
    expect(created.results[0].objectWriteTraceId).toBe('globex.com');

    const updated = await client.crm.companies.batchApi.update({
      inputs: [
        { id: acme.id, properties: { numberofemployees: '55' } },
        { id: created.results[0].id, properties: { numberofemployees: '12' } },
      ],
    });
    expect(updated.results).toHaveLength(2);
    expect(sandbox.findByProperty('companies', 'domain', 'ACME.IO')[0].properties.numberofemployees).toBe('55');
    expect(sandbox.records('companies')).toHaveLength(3);
  });

  it('matches EQ case-insensitively but IN only with lower-case values', async () => {
    const { sandbox, client } = await openSandbox();
    sandbox.seedRecord('companies', { name: 'Acme', domain: 'acme.io' });
    const search = (operator: FilterOperatorEnum, value: string) =>
      client.crm.companies.searchApi.doSearch({
        filterGroups: [{ filters: operator === FilterOperatorEnum.In ? [{ propertyName: 'domain', operator, values: [value] }] : [{ propertyName: 'domain', operator, value }] }],
      });
    expect((await search(FilterOperatorEnum.Eq, 'ACME.io')).total).toBe(1);
    expect((await search(FilterOperatorEnum.In, 'acme.io')).total).toBe(1);
    expect((await search(FilterOperatorEnum.In, 'ACME.io')).total).toBe(0);
  });

  it('refuses to upsert or update by domain, which is not unique', async () => {
    const { sandbox, client } = await openSandbox();
    const upsert = await catchFailure(
      client.crm.companies.batchApi.upsert({ inputs: [{ id: 'acme.io', idProperty: 'domain', properties: { name: 'Acme' } }] }),
    );
    expect(upsert.code).toBe(400);
    expect(upsert.body).toMatchObject({
      category: 'VALIDATION_ERROR',
      message: `Unable to perform update/upsert by non-unique 0-2 property domain in portal ID ${SANDBOX_PORTAL_ID}`,
    });

    const company = sandbox.seedRecord('companies', { domain: 'acme.io' });
    const update = await catchFailure(
      client.crm.companies.batchApi.update({ inputs: [{ id: company.id, idProperty: 'hs_object_id', properties: { name: 'Acme' } }] }),
    );
    expect(update.body.message).toBe(`Unable to perform update/upsert by non-unique 0-2 property hs_object_id in portal ID ${SANDBOX_PORTAL_ID}`);
    expect(sandbox.records('companies')[0].properties.name).toBeUndefined();
  });

  it('reads companies by id in a batch, with a 207 for missing ids', async () => {
    const { sandbox, client } = await openSandbox();
    const acme = sandbox.seedRecord('companies', { name: 'Acme', domain: 'acme.io' });
    const response = await client.crm.companies.batchApi.read({
      inputs: [{ id: acme.id }, { id: '424242' }],
      properties: ['domain'],
      propertiesWithHistory: [],
    });
    expect(response.results[0].properties).toMatchObject({ domain: 'acme.io', hs_object_id: acme.id });
    expect((response as any).errors[0]).toMatchObject({ category: 'OBJECT_NOT_FOUND', context: { ids: ['424242'] } });
  });

  it('gets and patches a single company', async () => {
    const { sandbox, client } = await openSandbox();
    const created = await client.crm.companies.basicApi.create({ properties: { name: 'Initech', domain: 'initech.com' }, associations: [] });
    const patched = await client.crm.companies.basicApi.update(created.id, { properties: { city: 'Austin' } });
    expect(patched.properties.city).toBe('Austin');
    const read = await client.crm.companies.basicApi.getById(created.id, ['city', 'name']);
    expect(read.properties).toMatchObject({ city: 'Austin', name: 'Initech' });
    const missing = await catchFailure(client.crm.companies.basicApi.getById('31337'));
    expect(missing.code).toBe(404);
    expect(sandbox.stats.recordsWritten).toBe(2);
  });
});
