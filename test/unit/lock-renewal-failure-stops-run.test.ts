/**
 * A lock renewal that fails is not swallowed: the held lock's `lost` signal aborts (a sync stops
 * after its current page and checkpoint) and `check()` throws a LockHeldError that says why.
 * The heartbeat runs on fake timers: nothing here waits.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LockHeldError } from '../../contracts/errors.ts';
import type { Session } from '../../src/run/session.ts';
import { holdLock } from '../../src/run/steps.ts';

function fakeSession(renew: () => Promise<void>) {
  const warnings: string[] = [];
  const calls = { renew: 0, release: 0 };
  const state = {
    acquireLock: async () => [],
    renewLock: async () => {
      calls.renew++;
      await renew();
    },
    releaseLock: async () => {
      calls.release++;
    },
  };
  const log = { warn: (message: string) => warnings.push(message), info: () => undefined };
  const session = { state, log, runId: 'run-1', lockWaitMs: 0 } as unknown as Session;
  return { session, warnings, calls };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the lock heartbeat', () => {
  it('keeps the lock while renewals succeed', async () => {
    const { session, calls } = fakeSession(async () => undefined);
    const lock = await holdLock(session, 'contacts', 60_000);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.renew).toBe(3);
    expect(lock.lost.aborted).toBe(false);
    expect(() => lock.check()).not.toThrow();
    await lock.release();
    expect(calls.release).toBe(1);
  });

  it('a failed renewal aborts `lost`, warns once, stops renewing, and check() throws a LockHeldError naming the cause', async () => {
    const { session, warnings, calls } = fakeSession(async () => {
      throw new Error('connection reset by peer\nstack…');
    });
    const lock = await holdLock(session, 'contacts', 60_000);
    expect(lock.lost.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(lock.lost.aborted).toBe(true);
    expect(() => lock.check()).toThrow(LockHeldError);
    expect(() => lock.check()).toThrow(/lock of 'contacts' could not be renewed \(connection reset by peer\).*stopped after its last checkpoint/);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls.renew).toBe(1);
    expect(warnings).toHaveLength(1);
    await lock.release();
  });
});
