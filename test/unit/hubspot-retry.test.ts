import { describe, expect, it } from 'vitest';
import { AuthError } from '../../contracts/errors.ts';
import { DailyLimitError } from '../../connectors/hubspot/errors.ts';
import type { HubSpotTransport } from '../../connectors/hubspot/hubspot.client.ts';
import { DailyBudget, RollingWindowPacer, type Clock } from '../../connectors/hubspot/pacer.ts';
import { backoffDelay, RequestExecutor } from '../../connectors/hubspot/retry.ts';

function setup(policy = {}) {
  const clock: Clock & { t: number; sleeps: number[] } = {
    t: 0,
    sleeps: [],
    now: () => clock.t,
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.t += ms;
    },
  };
  let requests = 0;
  const transport = { attempt: () => ({ options: {} }), withDeadline: <T>(p: Promise<T>) => p } as unknown as HubSpotTransport;
  const crm = new RollingWindowPacer({ max: 100, windowMs: 10_000, clock });
  const exec = new RequestExecutor({
    transport,
    pacers: { crm, search: new RollingWindowPacer({ max: 4, windowMs: 1000, margin: 0, clock }) },
    daily: new DailyBudget(1_000_000),
    policy: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, ...policy },
    clock,
    random: () => 0.5,
    secret: 'pat-secret-token',
  });
  /** A call that fails with the given errors in turn, then succeeds. */
  const failing = (...errors: unknown[]) => () => {
    requests++;
    const e = errors.shift();
    return e ? Promise.reject(e) : Promise.resolve({ httpStatusCode: 200, data: { results: [] } });
  };
  return { exec, clock, crm, failing, requests: () => requests };
}

const ex = (code: number, body: unknown = {}, headers: Record<string, string> = {}) => Object.assign(new Error('An error occurred.'), { code, body, headers });

describe('retrying one request', () => {
  it('retries 5xx, 423 and resets with backoff, then succeeds', async () => {
    const { exec, failing, requests, clock } = setup();
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const result = await exec.run('crm', 'test', failing(ex(503), reset, ex(423)));
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(requests()).toBe(4);
    expect(clock.sleeps).toContain(2000); // 423: at least 2 s
  });

  it('gives up after maxAttempts and says so instead of throwing', async () => {
    const { exec, failing, requests } = setup();
    const result = await exec.run('crm', 'test', failing(ex(502), ex(502), ex(502), ex(502), ex(502), ex(502)));
    expect(result).toMatchObject({ ok: false, kind: 'exhausted', attempts: 5 });
    expect(requests()).toBe(5);
  });

  it('401 throws AuthError at once, without the token', async () => {
    const { exec, failing, requests } = setup();
    const err = await exec.run('crm', 'test', failing(ex(401, { message: 'token pat-secret-token is invalid' }))).catch((e) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).not.toContain('pat-secret-token');
    expect(requests()).toBe(1);
  });

  it('429 DAILY throws DailyLimitError and nothing else is sent', async () => {
    const { exec, failing, requests } = setup();
    await expect(exec.run('crm', 'a', failing(ex(429, { policyName: 'DAILY', message: 'You have reached your daily limit.' })))).rejects.toBeInstanceOf(DailyLimitError);
    await expect(exec.run('crm', 'b', failing())).rejects.toBeInstanceOf(DailyLimitError);
    expect(requests()).toBe(1);
  });

  it('429 ten-secondly waits Retry-After, and a few of them do not count as failed attempts', async () => {
    const { exec, failing, clock } = setup({ maxAttempts: 2 });
    const limited = () => ex(429, { policyName: 'TEN_SECONDLY_ROLLING' }, { 'retry-after': '1' });
    const result = await exec.run('crm', 'test', failing(limited(), limited(), limited()));
    expect(result).toMatchObject({ ok: true });
    expect(clock.t).toBeGreaterThanOrEqual(3000);
  });

  it('429 without Retry-After waits for the window to clear', async () => {
    const { exec, failing, clock } = setup();
    await exec.run('crm', 'test', failing(ex(429, { policyName: 'TEN_SECONDLY_ROLLING' })));
    expect(clock.t).toBeGreaterThanOrEqual(10_000);
  });

  it('a refusal is returned to the caller, not retried', async () => {
    const { exec, failing, requests } = setup();
    const result = await exec.run('crm', 'test', failing(ex(400, { category: 'VALIDATION_ERROR', message: 'bad' })));
    expect(result).toMatchObject({ ok: false, kind: 'rejected', failure: { status: 400 } });
    expect(requests()).toBe(1);
  });

  it('runs the beforeRetry hook after a transient failure, and the call may then send nothing', async () => {
    const { exec, requests } = setup();
    let live = ['a'];
    let calls = 0;
    const result = await exec.run(
      'crm',
      'create',
      () => {
        if (live.length === 0) return null;
        calls++;
        return Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }));
      },
      { beforeRetry: async () => void (live = []) },
    );
    expect(result).toMatchObject({ ok: true, data: null });
    expect(calls).toBe(1);
    expect(requests()).toBe(0);
  });

  it('after a 429, beforeRetry runs only when the call takes a 429 as uncertain (a create that cannot be repeated)', async () => {
    const { exec, failing } = setup();
    const limited = () => ex(429, { policyName: 'TEN_SECONDLY_ROLLING' }, { 'retry-after': '1' });
    let hooked = 0;
    await exec.run('crm', 'upsert', failing(limited(), limited()), { beforeRetry: async () => void hooked++ });
    expect(hooked).toBe(0);
    await exec.run('crm', 'create', failing(limited(), limited()), { beforeRetry: async () => void hooked++, rateLimitIsUncertain: true });
    expect(hooked).toBe(2);
    // A hook that cannot tell (its reads failed) ends the call: nothing is sent blind.
    const result = await exec.run('crm', 'create', failing(limited(), limited()), {
      rateLimitIsUncertain: true,
      beforeRetry: async () => {
        throw new Error('reading the tasks failed');
      },
    });
    expect(result).toMatchObject({ ok: false, kind: 'exhausted' });
    expect((result as { message: string }).message).toContain('reading the tasks failed');
  });
});

it('full jitter stays within [floor, min(cap, base·2^(n-1))]', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  expect(backoffDelay(1, policy, () => 0.999)).toBeLessThan(100);
  expect(backoffDelay(3, policy, () => 0.999)).toBeLessThan(400);
  expect(backoffDelay(10, policy, () => 0.999)).toBeLessThan(1000);
  expect(backoffDelay(10, policy, () => 0, 2000)).toBe(2000);
});
