import { describe, expect, it } from 'vitest';
import { catchFailure, createClient, openSandbox, sendRaw } from './sandbox-harness.ts';

describe('authentication', () => {
  it('answers a wrong bearer token with HubSpot 401 INVALID_AUTHENTICATION', async () => {
    const { sandbox, client } = await openSandbox({ accessToken: 'pat-na1-right' });
    await client.crm.properties.coreApi.getAll('contacts');

    const wrong = await catchFailure(createClient(sandbox, 'pat-na1-wrong').crm.properties.coreApi.getAll('contacts'));
    expect(wrong.code).toBe(401);
    expect(wrong.body).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
    expect(typeof wrong.body.correlationId).toBe('string');
    expect(wrong.headers?.['content-type']).toContain('application/json');
  });

  it('answers a request without an Authorization header with 401', async () => {
    const { sandbox } = await openSandbox();
    const response = await sendRaw(sandbox, 'GET', '/crm/v3/properties/contacts', undefined, {});
    expect(response.status).toBe(401);
    expect(response.body.category).toBe('INVALID_AUTHENTICATION');
  });

  it('does not count unauthenticated requests against the rate limit', async () => {
    const { sandbox, client } = await openSandbox({ accessToken: 'right', requestsPer10s: 1, windowMs: 5000 });
    await catchFailure(createClient(sandbox, 'wrong').crm.properties.coreApi.getAll('contacts'));
    await client.crm.properties.coreApi.getAll('contacts');
    expect(sandbox.stats).toMatchObject({ requests: 2, rateLimited: 0 });
  });
});
