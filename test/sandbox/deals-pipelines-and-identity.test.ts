/**
 * The sandbox as HubSpot behaves for deals, pipelines, unique-value identities, search lag,
 * automatic companies and associations v4 archive, through the real @hubspot/api-client.
 */
import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox } from './sandbox-harness.ts';

const stages = [
  { label: 'Trial (self-served)', displayOrder: 0, metadata: { probability: '0.2', isClosed: 'false' } },
  { label: 'Closed won', displayOrder: 1, metadata: { probability: '1', isClosed: 'true' } },
];

describe('deal pipelines', () => {
  it('creates a pipeline with ids HubSpot assigns, lists it, and refuses a second with the same label', async () => {
    const { client } = await openSandbox();
    const created = await client.crm.pipelines.pipelinesApi.create('deals', { label: 'PLG trials', displayOrder: 0, stages });
    expect(created.id).toMatch(/^\d+$/);
    expect(created.stages.map((s) => s.label)).toEqual(['Trial (self-served)', 'Closed won']);
    const all = await client.crm.pipelines.pipelinesApi.getAll('deals');
    expect(all.results.map((p) => p.label)).toEqual(['Sales Pipeline', 'PLG trials']);
    expect((await catchFailure(client.crm.pipelines.pipelinesApi.create('deals', { label: 'plg trials', displayOrder: 1, stages }))).code).toBe(409);
    const noProbability = await catchFailure(client.crm.pipelines.pipelinesApi.create('deals', { label: 'Other', displayOrder: 1, stages: [{ label: 'A', displayOrder: 0 }] }));
    expect(noProbability.code).toBe(400);
  });

  it('a deal needs a stage of its own pipeline', async () => {
    const { client } = await openSandbox();
    const pipeline = await client.crm.pipelines.pipelinesApi.create('deals', { label: 'PLG trials', displayOrder: 0, stages });
    const stage = pipeline.stages[0].id;
    const ok = await client.crm.deals.basicApi.create({ properties: { dealname: 'ok', pipeline: pipeline.id, dealstage: stage }, associations: [] });
    expect(ok.properties.dealstage).toBe(stage);
    const wrongPipeline = await catchFailure(client.crm.deals.basicApi.create({ properties: { dealname: 'x', pipeline: 'default', dealstage: stage }, associations: [] }));
    expect(wrongPipeline.code).toBe(400);
    expect(JSON.stringify(wrongPipeline.body)).toContain('is not a valid stage of pipeline default');
    const noStage = await catchFailure(client.crm.deals.basicApi.create({ properties: { dealname: 'x' }, associations: [] }));
    expect(noStage.code).toBe(400);
    expect(JSON.stringify(noStage.body)).toContain('dealstage is required');
  });
});

describe('unique-value identities', () => {
  it('upsert by a unique property updates the record it created; a second record with the value is refused; a non-unique idProperty fails', async () => {
    const { sandbox, client } = await openSandbox();
    await client.crm.properties.coreApi.create('deals', { name: 'pqlsync_trial_id', label: 'Trial id', type: 'string' as any, fieldType: 'text' as any, groupName: 'dealinformation', hasUniqueValue: true });
    const input = (name: string) => ({ id: 'trial_1', idProperty: 'pqlsync_trial_id', properties: { dealname: name, pipeline: 'default', dealstage: 'qualifiedtobuy' } });
    const first = await client.crm.deals.batchApi.upsert({ inputs: [input('first')] });
    const second = await client.crm.deals.batchApi.upsert({ inputs: [input('second')] });
    expect(second.results[0].id).toBe(first.results[0].id);
    expect(sandbox.records('deals')).toHaveLength(1);
    expect(sandbox.records('deals')[0].properties).toMatchObject({ dealname: 'second', pqlsync_trial_id: 'trial_1' });

    const duplicate = await client.crm.deals.batchApi.create({
      inputs: [{ properties: { dealname: 'dup', pqlsync_trial_id: 'trial_1', pipeline: 'default', dealstage: 'qualifiedtobuy' }, objectWriteTraceId: 't1', associations: [] } as any],
    });
    expect((duplicate as any).numErrors).toBe(1);
    expect((duplicate as any).errors[0].category).toBe('CONFLICT');
    expect(sandbox.records('deals')).toHaveLength(1);

    const nonUnique = await catchFailure(client.crm.deals.batchApi.upsert({ inputs: [{ id: 'x', idProperty: 'dealname', properties: {} }] }));
    expect(nonUnique.code).toBe(400);
    expect(nonUnique.body.message).toContain('non-unique 0-3 property dealname');
  });
});

describe('search lag and automatic companies', () => {
  it('a fresh record is invisible to search until the lag has passed; reads by id and unique value see it at once', async () => {
    const { sandbox, client } = await openSandbox({ searchLagMs: 60_000 });
    const company = sandbox.seedRecord('companies', { domain: 'acme.io' });
    const search = () => client.crm.companies.searchApi.doSearch({ filterGroups: [{ filters: [{ propertyName: 'domain', operator: 'EQ' as any, value: 'acme.io' }] }] } as any);
    expect((await search()).total).toBe(0);
    expect((await client.crm.companies.basicApi.getById(company.id)).id).toBe(company.id);
    sandbox.settings.searchLagMs = 0;
    expect((await search()).total).toBe(1);
  });

  it('with the portal setting on, a new contact is associated with its domain\'s company, created when missing, never for free mail', async () => {
    const { sandbox, client } = await openSandbox({ autoCreateCompanies: true });
    const existing = sandbox.seedRecord('companies', { domain: 'www.globex.com' });
    const upsert = await client.crm.contacts.batchApi.upsert({
      inputs: ['a@acme.io', 'b@acme.io', 'c@globex.com', 'd@gmail.com'].map((email) => ({ id: email, idProperty: 'email', properties: {} })),
    });
    const id = (email: string) => upsert.results.find((r) => r.properties.email === email)!.id;
    const companies = sandbox.records('companies');
    expect(companies.map((c) => c.properties.domain).sort()).toEqual(['acme.io', 'www.globex.com']);
    const acme = companies.find((c) => c.properties.domain === 'acme.io')!;
    expect(sandbox.associations('contacts', id('a@acme.io')).map((a) => a.toObjectId)).toEqual([acme.id]);
    expect(sandbox.associations('contacts', id('b@acme.io')).map((a) => a.toObjectId)).toEqual([acme.id]);
    expect(sandbox.associations('contacts', id('c@globex.com')).map((a) => a.toObjectId)).toEqual([existing.id]);
    expect(sandbox.associations('contacts', id('d@gmail.com'))).toEqual([]);
  });
});

describe('association limits', () => {
  it('a pair past the limit an admin set is refused in a 207; the same pair again is fine', async () => {
    const { sandbox, client } = await openSandbox({ associationLimits: { 'deals>companies': 1 } });
    const deal = sandbox.seedRecord('deals', { dealname: 'd', pipeline: 'default', dealstage: 'qualifiedtobuy' });
    const [a, b] = ['a.io', 'b.io'].map((domain) => sandbox.seedRecord('companies', { domain }));
    const types = [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 341 }];
    const first = await client.crm.associations.v4.batchApi.create('deals', 'companies', { inputs: [{ _from: { id: deal.id }, to: { id: a.id }, types }] });
    expect((first as any).numErrors).toBeUndefined();
    const second = await client.crm.associations.v4.batchApi.create('deals', 'companies', {
      inputs: [
        { _from: { id: deal.id }, to: { id: a.id }, types },
        { _from: { id: deal.id }, to: { id: b.id }, types },
      ],
    });
    expect((second as any).numErrors).toBe(1);
    expect((second as any).errors[0].context).toEqual({ fromId: [deal.id], toId: [b.id] });
    expect(sandbox.associations('deals', deal.id).map((x) => x.toObjectId)).toEqual([a.id]);
  });
});

describe('associations v4 archive and labels', () => {
  it('archives pairs both ways (204), ignores pairs that are not associated, and lists the labels', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'a@acme.io' });
    const company = sandbox.seedRecord('companies', { domain: 'acme.io' });
    const other = sandbox.seedRecord('companies', { domain: 'globex.com' });
    await client.crm.associations.v4.batchApi.create('contacts', 'companies', {
      inputs: [{ _from: { id: contact.id }, to: { id: company.id }, types: [{ associationCategory: 'HUBSPOT_DEFINED' as any, associationTypeId: 279 }] }],
    });
    await client.crm.associations.v4.batchApi.archive('contacts', 'companies', { inputs: [{ _from: { id: contact.id }, to: [{ id: company.id }, { id: other.id }] }] });
    expect(sandbox.associations('contacts', contact.id)).toEqual([]);
    expect(sandbox.associations('companies', company.id)).toEqual([]);
    const labels = await client.crm.associations.v4.schema.definitionsApi.getAll('deals', 'companies');
    expect(labels.results.map((l) => [l.typeId, l.label]).sort()).toEqual([[341, null], [5, 'Primary']]);
  });
});
