import { describe, expect, it } from 'vitest';
import type { FaultConfig } from '../../connectors/hubspot/sandbox/index.ts';
import { catchFailure, openSandbox, sleep } from './sandbox-harness.ts';

const upsertOne = (email: string) => ({ inputs: [{ id: email, idProperty: 'email', properties: { firstname: 'F' } }] });

describe('fault injection', () => {
  it('reset: the client sees a network error and nothing was written', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'reset' }, onRequests: [1] }] } });
    const failure = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    expect(typeof failure.code).not.toBe('number');
    expect(failure.name).toBe('FetchError');
    expect(sandbox.records('contacts')).toHaveLength(0);
    expect(sandbox.stats.faultsInjected).toBe(1);
    // Only the first request was chosen; the retry goes through.
    await client.crm.contacts.batchApi.upsert(upsertOne('a@x.io'));
    expect(sandbox.records('contacts')).toHaveLength(1);
  });

  it('lost-response: the client sees a network error, but the write was applied', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'lost-response' }, maxTimes: 1 }] } });
    const failure = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    expect(typeof failure.code).not.toBe('number');
    expect(failure.name).toBe('FetchError');
    expect(sandbox.findByProperty('contacts', 'email', 'a@x.io')).toHaveLength(1);
    expect(sandbox.stats.recordsWritten).toBe(1);
    // The retry is an idempotent upsert: it updates rather than duplicates.
    const retried = await client.crm.contacts.batchApi.upsert(upsertOne('a@x.io'));
    expect(retried.results[0]._new).toBe(false);
    expect(sandbox.records('contacts')).toHaveLength(1);
  });

  it('slow: the write lands at once, the answer only after the delay', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'slow', delayMs: 300 } }] } });
    const call = client.crm.contacts.batchApi.upsert(upsertOne('a@x.io'));
    const clientTimeout = sleep(100).then(() => 'timed out');
    expect(await Promise.race([call, clientTimeout])).toBe('timed out');
    expect(sandbox.records('contacts')).toHaveLength(1);
    const response = await call;
    expect(response.results[0]._new).toBe(true);
  });

  it('applied-late: a 504 or a dropped connection goes out, and the write lands only later (or at finishApplying())', async () => {
    const { sandbox, client } = await openSandbox({
      faults: {
        rules: [
          { fault: { type: 'applied-late', answer: 504, afterMs: 60_000 }, onRequests: [1] },
          { fault: { type: 'applied-late', answer: 'reset', afterMs: 60_000 }, onRequests: [2] },
          { fault: { type: 'applied-late', answer: 502, afterMs: 50 }, onRequests: [3] },
        ],
      },
    });
    expect((await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')))).code).toBe(504);
    expect(typeof (await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('b@x.io')))).code).not.toBe('number');
    // Answered, counted by the limits, and not applied yet: a read now does not see them.
    expect(sandbox.records('contacts')).toHaveLength(0);
    expect(sandbox.stats.requests).toBe(2);
    expect(sandbox.finishApplying()).toBe(2);
    expect(sandbox.records('contacts').map((c) => c.properties.email).sort()).toEqual(['a@x.io', 'b@x.io']);
    expect(sandbox.finishApplying()).toBe(0);
    // Its time comes without finishApplying() too.
    expect((await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('c@x.io')))).code).toBe(502);
    expect(sandbox.findByProperty('contacts', 'email', 'c@x.io')).toHaveLength(0);
    await sleep(150);
    expect(sandbox.findByProperty('contacts', 'email', 'c@x.io')).toHaveLength(1);
  });

  it('502 with an HTML body: the client throws an ApiException whose body is the HTML, not a HubSpot envelope', async () => {
    const { client } = await openSandbox({ faults: { rules: [{ fault: { type: 'status', status: 502, htmlBody: true } }] } });
    const failure = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    // @hubspot/api-client 13.5 parses any text/* body as a string, so this is still an ApiException with the code.
    expect(failure.code).toBe(502);
    expect(failure.headers?.['content-type']).toBe('text/html');
    expect(typeof failure.body).toBe('string');
    expect(failure.body).toContain('502 Bad Gateway');
  });

  it('504 with no body and no Content-Type makes the client throw a plain Error, not an ApiException', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'status', status: 504, emptyBody: true } }] } });
    const failure = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    expect(failure.code).toBeUndefined();
    expect(failure.message).toBe('Cannot parse content. No Content-Type defined.');
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it.each([500, 502, 503, 504, 423] as const)('status %i answers HubSpot JSON, with Retry-After when asked, and applies nothing', async (status) => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'status', status, retryAfterSeconds: 2 } }] } });
    const failure = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    expect(failure.code).toBe(status);
    expect(failure.body).toMatchObject({ status: 'error' });
    expect(failure.headers?.['retry-after']).toBe('2');
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it('status 429 answers the ten-secondly body without counting as a rate limit', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'status', status: 429 } }] } });
    const failure = await catchFailure(client.crm.properties.coreApi.getAll('contacts'));
    expect(failure.code).toBe(429);
    expect(failure.body.policyName).toBe('TEN_SECONDLY_ROLLING');
    expect(sandbox.stats).toMatchObject({ rateLimited: 0, faultsInjected: 1 });
  });

  it('auth 401 and 403 answer HubSpot envelopes', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'auth', status: 401 }, onRequests: [1] }, { fault: { type: 'auth', status: 403 }, onRequests: [2] }] } });
    const expired = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    expect(expired.code).toBe(401);
    expect(expired.body).toMatchObject({ status: 'error', category: 'EXPIRED_AUTHENTICATION' });
    const scopes = await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')));
    expect(scopes.code).toBe(403);
    expect(scopes.body).toMatchObject({ status: 'error', category: 'MISSING_SCOPES' });
    expect(sandbox.records('contacts')).toHaveLength(0);
  });

  it('daily-exhausted: 429 DAILY from then on, until resetDaily()', async () => {
    const { sandbox, client } = await openSandbox({ faults: { rules: [{ fault: { type: 'daily-exhausted' }, onRequests: [2] }] } });
    await client.crm.properties.coreApi.getAll('contacts');
    for (let attempt = 0; attempt < 2; attempt++) {
      const failure = await catchFailure(client.crm.properties.coreApi.getAll('contacts'));
      expect(failure.body).toMatchObject({ policyName: 'DAILY', message: 'You have reached your daily limit.' });
    }
    sandbox.resetDaily();
    await client.crm.properties.coreApi.getAll('contacts');
  });

  it('applies rules only to paths containing pathIncludes, at most maxTimes', async () => {
    const { sandbox, client } = await openSandbox({
      faults: { rules: [{ fault: { type: 'status', status: 503 }, pathIncludes: '/batch/upsert', maxTimes: 2 }] },
    });
    await client.crm.properties.coreApi.getAll('contacts');
    expect((await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')))).code).toBe(503);
    expect((await catchFailure(client.crm.contacts.batchApi.upsert(upsertOne('a@x.io')))).code).toBe(503);
    await client.crm.contacts.batchApi.upsert(upsertOne('a@x.io'));
    expect(sandbox.stats.faultsInjected).toBe(2);
  });

  it('draws probabilistic faults from the seed: the same seed gives the same run', async () => {
    const config = (seed: number): FaultConfig => ({ seed, rules: [{ fault: { type: 'status', status: 500 }, probability: 0.3 }] });
    const runOnce = async (seed: number) => {
      const { client } = await openSandbox({ faults: config(seed) });
      const outcomes: string[] = [];
      for (let index = 0; index < 30; index++) {
        outcomes.push(await client.crm.properties.coreApi.getAll('contacts').then(() => 'ok', (error) => String(error.code)));
      }
      return outcomes.join(',');
    };
    const first = await runOnce(42);
    expect(await runOnce(42)).toBe(first);
    expect(first).toContain('500');
    expect(first).toContain('ok');
    expect(await runOnce(7)).not.toBe(first);
  });

  it('setFaults() replaces the rules at once; faults never touch non-/crm/ paths', async () => {
    const { sandbox, client } = await openSandbox();
    await client.crm.properties.coreApi.getAll('contacts');
    sandbox.setFaults({ rules: [{ fault: { type: 'status', status: 500 } }] });
    expect((await catchFailure(client.crm.properties.coreApi.getAll('contacts'))).code).toBe(500);
    const outside = await fetch(`${sandbox.url}/health`, { headers: { Authorization: 'Bearer x' } });
    expect(outside.status).toBe(404);
    sandbox.setFaults(undefined);
    await client.crm.properties.coreApi.getAll('contacts');
  });
});
