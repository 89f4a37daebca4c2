import { describe, expect, it } from 'vitest';
import { createSearchPacer, DailyBudget, RollingWindowPacer, type Clock } from '../../connectors/hubspot/pacer.ts';

/** A clock whose sleep advances time at once. */
function fakeClock(start = 0): Clock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += Math.max(0, ms);
    },
  };
  return clock;
}

/** Send times of `n` requests taken one after another. */
async function sendTimes(pacer: RollingWindowPacer, clock: { t: number }, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    await pacer.acquire();
    times.push(clock.t);
  }
  return times;
}

/** The most requests in any window of `windowMs`. */
function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j] < times[i] + windowMs) j++;
    best = Math.max(best, j - i);
  }
  return best;
}

describe('rolling-window pacer', () => {
  it('never lets more than max - margin through in any window, and runs close to it', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 100, windowMs: 10_000, clock });
    expect(pacer.limit).toBe(99);
    const times = await sendTimes(pacer, clock, 1000);
    expect(maxInWindow(times, 10_000)).toBeLessThanOrEqual(99);
    // Sustained rate: requests sent before the last one's time, over that time: 99 per (10 s + slack).
    const last = times.at(-1)!;
    const rate = times.filter((t) => t < last).length / (last / 1000);
    expect(rate / 10).toBeGreaterThan(0.97);
  });

  it('takes the window and max from the headers', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 100, windowMs: 10_000, clock });
    pacer.observe({ 'x-hubspot-ratelimit-max': '20', 'x-hubspot-ratelimit-interval-milliseconds': '200', 'x-hubspot-ratelimit-remaining': '20' });
    expect(pacer.window).toEqual({ max: 20, windowMs: 200, margin: 0 });
    const times = await sendTimes(pacer, clock, 200);
    expect(maxInWindow(times, 200)).toBeLessThanOrEqual(20);
    // 200 requests at 20 per 200 ms take about 10 windows (2 s), not 10 × 10 s.
    expect(times.at(-1)!).toBeLessThan(10 * 200 * 1.02);
    expect(times.at(-1)!).toBeGreaterThanOrEqual(9 * 200);
  });

  it('keeps an explicit margin when the server states another max', () => {
    const pacer = new RollingWindowPacer({ max: 100, windowMs: 10_000, margin: 5, clock: fakeClock() });
    pacer.observe({ 'x-hubspot-ratelimit-max': '190' });
    expect(pacer.limit).toBe(185);
  });

  it('books requests another process made on the same app', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 20, windowMs: 1000, margin: 0, clock });
    await sendTimes(pacer, clock, 2);
    // The server counts 15 used in its window; we sent 2.
    pacer.observe({ 'x-hubspot-ratelimit-max': '20', 'x-hubspot-ratelimit-remaining': '5', 'x-hubspot-ratelimit-interval-milliseconds': '1000' });
    const times = await sendTimes(pacer, clock, 10);
    // Only a few more fit in the current window; the rest wait for it to roll.
    expect(times.filter((t) => t < 1000).length).toBeLessThanOrEqual(7);
  });

  it('does not over-correct for the few requests the server counts later than we do', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 20, windowMs: 1000, margin: 0, clock });
    await sendTimes(pacer, clock, 5);
    pacer.observe({ 'x-hubspot-ratelimit-max': '20', 'x-hubspot-ratelimit-remaining': '14', 'x-hubspot-ratelimit-interval-milliseconds': '1000' });
    const times = await sendTimes(pacer, clock, 15);
    expect(times.every((t) => t < 1000)).toBe(true);
  });

  it('spreads a burst: at least a quarter of the fair interval between requests', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 20, windowMs: 1000, margin: 0, clock });
    const times = await sendTimes(pacer, clock, 5);
    expect(times).toEqual([0, 12.5, 25, 37.5, 50]);
  });

  it('a slot is held until the answer arrives: restamp moves it', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 2, windowMs: 1000, margin: 0, clock });
    const first = await pacer.acquire();
    clock.t = 300;
    first.restamp(); // the answer came 300 ms later
    await pacer.acquire();
    await pacer.acquire();
    // The third request waits for the first to leave the window counted from its answer.
    expect(clock.t).toBeGreaterThanOrEqual(1300);
  });

  it('pauses everyone after a 429 and widens its margin', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 20, windowMs: 1000, margin: 0, clock });
    pacer.pauseFor(300);
    await pacer.acquire();
    expect(clock.t).toBe(300);
    pacer.widenMargin();
    pacer.widenMargin();
    pacer.widenMargin();
    expect(pacer.limit).toBe(18); // capped at 10% of 20
  });

  it('serves concurrent callers first come, first served, within the limit', async () => {
    const clock = fakeClock();
    const pacer = new RollingWindowPacer({ max: 5, windowMs: 100, margin: 0, clock });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 12 }, (_, i) => pacer.acquire().then(() => order.push(i))));
    expect(order).toEqual([...Array(12).keys()]);
    expect(clock.t).toBeGreaterThanOrEqual(200);
  });

  it('search has its own lane: 4 per second by default', async () => {
    const clock = fakeClock();
    const search = createSearchPacer(undefined, clock);
    const times = await sendTimes(search, clock, 12);
    expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(4);
  });
});

describe('daily budget', () => {
  it('uses the configured budget until the server says how much is left', () => {
    const daily = new DailyBudget(2);
    daily.take();
    expect(daily.available).toBe(true);
    daily.take();
    expect(daily.available).toBe(false);
    daily.observe({ 'x-hubspot-ratelimit-daily-remaining': '10' });
    expect(daily.available).toBe(true);
    daily.observe({ 'x-hubspot-ratelimit-daily-remaining': '0' });
    expect(daily.available).toBe(false);
  });
  it('stays exhausted once the server said DAILY', () => {
    const daily = new DailyBudget(1000);
    daily.markExhausted();
    daily.observe({ 'x-hubspot-ratelimit-daily-remaining': '5' });
    expect(daily.available).toBe(false);
  });
});
