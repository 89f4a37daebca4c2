import { describe, expect, it } from 'vitest';
import { startSandbox } from '../../connectors/hubspot/sandbox/index.ts';
import { catchFailure, createClient, openSandbox, sendRaw } from './sandbox-harness.ts';

describe('the sandbox itself', () => {
  it('adds latencyMs to every response', async () => {
    const { client } = await openSandbox({ latencyMs: 80 });
    const started = Date.now();
    await client.crm.properties.coreApi.getAll('contacts');
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('counts requests per route and resets its stats', async () => {
    const { sandbox, client } = await openSandbox();
    await client.crm.properties.coreApi.getAll('0-2');
    await client.crm.properties.coreApi.getByName('companies', 'domain');
    expect(sandbox.stats.requestsByRoute).toEqual({
      'GET /crm/v3/properties/companies': 1,
      'GET /crm/v3/properties/companies/{name}': 1,
    });
    sandbox.resetStats();
    expect(sandbox.stats).toEqual({ requests: 0, requestsByRoute: {}, recordsWritten: 0, rateLimited: 0, faultsInjected: 0 });
  });

  it('answers unknown routes, wrong methods and broken JSON with JSON errors', async () => {
    const { sandbox } = await openSandbox();
    const unknown = await sendRaw(sandbox, 'GET', '/crm/v3/nothing/here');
    expect(unknown.status).toBe(404);
    expect(unknown.body.status).toBe('error');
    const wrongMethod = await sendRaw(sandbox, 'PUT', '/crm/v3/objects/contacts/batch/upsert', {});
    expect(wrongMethod.status).toBe(405);
    const response = await fetch(`${sandbox.url}/crm/v3/objects/contacts/batch/upsert`, {
      method: 'POST',
      headers: { Authorization: 'Bearer x', 'Content-Type': 'application/json' },
      body: '{"inputs": [',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/json');
    const unknownType = await sendRaw(sandbox, 'GET', '/crm/v3/properties/widgets');
    expect(unknownType.body.message).toBe('Unable to infer object type from: widgets');
  });

  it('lists records a page at a time', async () => {
    const { sandbox, client } = await openSandbox();
    for (let index = 0; index < 3; index++) sandbox.seedRecord('deals', { dealname: `Deal ${index}` });
    const first = await client.crm.deals.basicApi.getPage(2, undefined, ['dealname']);
    expect(first.results.map((deal) => deal.properties.dealname)).toEqual(['Deal 0', 'Deal 1']);
    const second = await client.crm.deals.basicApi.getPage(2, first.paging?.next?.after, ['dealname']);
    expect(second.results.map((deal) => deal.properties.dealname)).toEqual(['Deal 2']);
    expect(second.paging).toBeUndefined();
  });

  it('archives records in a batch with a 204', async () => {
    const { sandbox, client } = await openSandbox();
    const contact = sandbox.seedRecord('contacts', { email: 'gone@x.io' });
    await client.crm.contacts.batchApi.archive({ inputs: [{ id: contact.id }, { id: '777' }] });
    expect(sandbox.records('contacts')).toHaveLength(0);
    const missing = await catchFailure(client.crm.contacts.basicApi.getById(contact.id));
    expect(missing.code).toBe(404);
  });

  it('stops promptly even with a slow request in flight', async () => {
    const sandbox = await startSandbox({ faults: { rules: [{ fault: { type: 'slow', delayMs: 30_000 } }] } });
    const pending = createClient(sandbox).crm.properties.coreApi.getAll('contacts').catch((error: Error) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = Date.now();
    await sandbox.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('refuses seeds with invalid values', async () => {
    const { sandbox } = await openSandbox();
    expect(() => sandbox.seedRecord('contacts', { email: 'nope' })).toThrow(/INVALID_EMAIL/);
    sandbox.seedRecord('contacts', { email: 'a@x.io' });
    expect(() => sandbox.seedRecord('contacts', { email: 'A@x.io' })).toThrow(/already belongs/);
    expect(() => sandbox.records('widgets')).toThrow(/Unknown object type/);
  });
});
