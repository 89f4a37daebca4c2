import { describe, expect, it } from 'vitest';
import { catchFailure, openSandbox, sendRaw, sleep } from './sandbox-harness.ts';

describe('the ten-secondly rolling window', () => {
  it('answers the 11th request in a 10-request window with HubSpot 429, and admits again once the window has passed', async () => {
    // Warm the client up elsewhere first: its lazy module loading would otherwise eat into the 200 ms window.
    const warmup = await openSandbox();
    await Promise.all(Array.from({ length: 10 }, () => warmup.client.crm.properties.coreApi.getAll('contacts')));

    const { sandbox, client } = await openSandbox({ requestsPer10s: 10, windowMs: 200 });
    const started = Date.now();
    const calls = Array.from({ length: 10 }, () => client.crm.properties.coreApi.getAll('contacts'));
    await Promise.all(calls);

    const limited = await catchFailure(client.crm.properties.coreApi.getAll('contacts'));
    expect(Date.now() - started).toBeLessThan(200);
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({
      status: 'error',
      message: 'You have reached your ten secondly limit.',
      errorType: 'RATE_LIMIT',
      category: 'RATE_LIMITS',
      policyName: 'TEN_SECONDLY_ROLLING',
    });
    expect(typeof limited.body.correlationId).toBe('string');
    expect(limited.headers).toMatchObject({
      'x-hubspot-ratelimit-max': '10',
      'x-hubspot-ratelimit-remaining': '0',
      'x-hubspot-ratelimit-interval-milliseconds': '200',
      'x-hubspot-ratelimit-daily': '250000',
    });
    expect(limited.headers?.['content-type']).toContain('application/json');
    expect(sandbox.stats.rateLimited).toBe(1);

    await sleep(220);
    await client.crm.properties.coreApi.getAll('contacts');
  });

  it('takes a new window size and length while it runs (setRateLimit), keeping the requests already counted', async () => {
    const { sandbox } = await openSandbox({ requestsPer10s: 2, windowMs: 60_000 });
    await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts');
    await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts');
    expect((await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts')).status).toBe(429);

    sandbox.setRateLimit({ requestsPer10s: 3, windowMs: 10_000 });
    const admitted = await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts');
    expect(admitted.status).toBe(200);
    expect(admitted.headers.get('x-hubspot-ratelimit-max')).toBe('3');
    expect(admitted.headers.get('x-hubspot-ratelimit-remaining')).toBe('0');
    expect(admitted.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect((await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts')).status).toBe(429);
  });

  it('reports the remaining budget on every non-search response', async () => {
    const { sandbox } = await openSandbox({ requestsPer10s: 190, windowMs: 300, dailyLimit: 1000 });
    const first = await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts');
    const second = await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts');
    expect(first.headers.get('x-hubspot-ratelimit-remaining')).toBe('189');
    expect(second.headers.get('x-hubspot-ratelimit-remaining')).toBe('188');
    expect(second.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('998');
    const invalid = await sendRaw(sandbox, 'POST', '/crm/v3/objects/contacts/batch/create', { inputs: 'nope' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('x-hubspot-ratelimit-remaining')).toBe('187');
  });

  it('keeps search out of the window, without rate headers, under its own per-second limit', async () => {
    const { sandbox, client } = await openSandbox({ requestsPer10s: 2, windowMs: 4000, searchPerSecond: 3 });
    await client.crm.properties.coreApi.getAll('contacts');
    await client.crm.properties.coreApi.getAll('contacts');

    const searched = await sendRaw(sandbox, 'POST', '/crm/v3/objects/contacts/search', {});
    expect(searched.status).toBe(200);
    expect(searched.headers.get('x-hubspot-ratelimit-max')).toBeNull();
    await client.crm.contacts.searchApi.doSearch({});
    await client.crm.contacts.searchApi.doSearch({});

    const limited = await catchFailure(client.crm.contacts.searchApi.doSearch({}));
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ message: 'You have reached your secondly limit.', errorType: 'RATE_LIMIT' });
    expect(limited.headers?.['x-hubspot-ratelimit-max']).toBeUndefined();
    // Search's second is compressed with the window: 4,000 ms window → 400 ms second.
    await sleep(420);
    await client.crm.contacts.searchApi.doSearch({});
  });

  it('does not count associations v4 against the window', async () => {
    const { sandbox, client } = await openSandbox({ requestsPer10s: 1, windowMs: 1000 });
    const contact = sandbox.seedRecord('contacts', { email: 'a@x.io' });
    const company = sandbox.seedRecord('companies', { domain: 'x.io' });
    await client.crm.properties.coreApi.getAll('contacts');
    await client.crm.associations.v4.batchApi.createDefault('contacts', 'companies', {
      inputs: [{ _from: { id: contact.id }, to: { id: company.id } }],
    });
    expect(sandbox.associations('contacts', contact.id)).toHaveLength(1);
  });
});

describe('the daily limit', () => {
  it('answers 429 DAILY once the day is used up, until resetDaily()', async () => {
    const { sandbox, client } = await openSandbox({ dailyLimit: 3 });
    for (let index = 0; index < 3; index++) await client.crm.properties.coreApi.getAll('contacts');

    const limited = await catchFailure(client.crm.properties.coreApi.getAll('contacts'));
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ message: 'You have reached your daily limit.', policyName: 'DAILY', category: 'RATE_LIMITS' });
    expect(limited.headers?.['x-hubspot-ratelimit-daily-remaining']).toBe('0');
    const search = await catchFailure(client.crm.contacts.searchApi.doSearch({}));
    expect(search.body.policyName).toBe('DAILY');

    sandbox.resetDaily();
    await client.crm.properties.coreApi.getAll('contacts');
  });
});
