import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

describe('associations v4', () => {
  it('creates labelled associations in a batch and reads them from both ends', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'a@acme.io' });
    const deal = (
      await client.crm.deals.basicApi.create({ properties: { dealname: 'Acme trial', pipeline: 'default', dealstage: 'appointmentscheduled' }, associations: [] })
    ).id;

    const response = await client.crm.associations.v4.batchApi.create('deals', 'contacts', {
      inputs: [{ _from: { id: deal }, to: { id: contact.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 3 }] }],
    });
    expect(response.status).toBe('COMPLETE');
    expect(response.results[0]).toMatchObject({ fromObjectTypeId: '0-3', toObjectTypeId: '0-1' });

    expect(sandbox.associations('deals', deal)).toEqual([
      { toObjectType: 'contacts', toObjectId: contact.id, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 3 }] },
    ]);
    expect(sandbox.associations('contacts', contact.id)).toEqual([
      { toObjectType: 'deals', toObjectId: deal, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 4 }] },
    ]);
  });

  it('answers a 207 naming inputs whose records do not exist', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'a@acme.io' });
    const company = sandbox.seedRecord('companies', { domain: 'acme.io' });
    const types = [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 279 }];
    const response = await client.crm.associations.v4.batchApi.create('contacts', 'companies', {
      inputs: [
        { _from: { id: contact.id }, to: { id: company.id }, types },
        { _from: { id: contact.id }, to: { id: '999999' }, types },
      ],
    });
    expect(response.results).toHaveLength(1);
    // HubSpot's current schema: ids as strings; a 207 with its status, numErrors and errors[].
    expect(response.results[0]).toMatchObject({ fromObjectId: contact.id, toObjectId: company.id });
    expect(typeof response.results[0].fromObjectId).toBe('string');
    expect(response.status).toBe('COMPLETE');
    expect((response as any).numErrors).toBe(1);
    expect((response as any).errors[0]).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR', context: { toId: ['999999'] } });
  });

  it('associates with the default type, 200, accepting type ids in the path', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'a@acme.io' });
    const company = sandbox.seedRecord('companies', { domain: 'acme.io' });
    const response = await client.crm.associations.v4.batchApi.createDefault('0-1', '0-2', {
      inputs: [{ _from: { id: contact.id }, to: { id: company.id } }],
    });
    expect(response.results[0].associationSpec).toEqual({ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 279 });
    expect(sandbox.associations('companies', company.id)[0]).toMatchObject({ toObjectId: contact.id, types: [{ associationTypeId: 280 }] });

    const page = await client.crm.associations.v4.basicApi.getPage('contacts', contact.id, 'companies');
    expect(page.results[0].toObjectId).toBe(company.id);

    const missing = await catchFailure(
      client.crm.associations.v4.batchApi.createDefault('contacts', 'companies', { inputs: [{ _from: { id: contact.id }, to: { id: '1' } }] }),
    );
    expect(missing.code).toBe(400);
  });

  it('stores associations sent with a batch create', async () => {
    const { sandbox, client } = await openSandbox();
    const company = sandbox.seedRecord('companies', { domain: 'acme.io' });
    const response = await client.crm.deals.batchApi.create({
      inputs: [
        {
          properties: { dealname: 'Trial', amount: '1200', pipeline: 'default', dealstage: 'qualifiedtobuy' },
          associations: [{ to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 341 }] }],
        },
      ],
    });
    expect(sandbox.associations('companies', company.id)).toEqual([
      { toObjectType: 'deals', toObjectId: response.results[0].id, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 342 }] },
    ]);
  });
});
