/**
 * Rate limiting. HubSpot counts requests per app in a rolling window (10 s in production;
 * the sandbox may compress it) and per account per day; search has its own per-second
 * limit. The pacer keeps the send times of the current window and lets a request go only
 * while fewer than `max - margin` were sent in the last `windowMs`. It starts from the
 * configured limits and corrects itself from the `x-hubspot-ratelimit-*` headers of every
 * response: the interval and max the server states win over the configuration.
 */
import { HUBSPOT_LIMITS, defaultMargin } from './limits.ts';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

export interface PacerOptions {
  /** Requests allowed per window. */
  max: number;
  windowMs: number;
  /** Requests kept in reserve below `max`; default 1% of max, recomputed when the server states another max. */
  margin?: number;
  clock?: Clock;
}

const header = (headers: Record<string, string> | undefined, name: string): number | null => {
  const raw = headers?.[name];
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) ? n : null;
};

/**
 * A slot taken in the window, stamped when taken. `restamp()` moves the stamp to now: the
 * executor calls it when the request leaves and again when its answer arrives. The server
 * counts a request when it admits it, somewhere between the two (after reading the body,
 * behind whatever else it is processing), so the answer's time is the earliest moment we
 * can be sure the slot's window started: our window never ends before the server's.
 */
export interface PacerTicket {
  restamp(): void;
}

export class RollingWindowPacer {
  /** Send times in the current window, ascending. */
  private sent: number[] = [];
  private max: number;
  private windowMs: number;
  private margin: number;
  private readonly explicitMargin: boolean;
  private pausedUntil = 0;
  /** When the last slot was taken (for spacing). */
  private lastTaken: number | null = null;
  private queue: Promise<void> = Promise.resolve();
  private readonly clock: Clock;

  constructor(options: PacerOptions) {
    this.max = options.max;
    this.windowMs = options.windowMs;
    this.explicitMargin = options.margin !== undefined;
    this.margin = options.margin ?? defaultMargin(options.max);
    this.clock = options.clock ?? systemClock;
  }

  /** Requests the pacer lets through per window. */
  get limit(): number {
    return Math.max(1, this.max - this.margin);
  }

  get window(): { max: number; windowMs: number; margin: number } {
    return { max: this.max, windowMs: this.windowMs, margin: this.margin };
  }

  /**
   * Stamps are taken when the answer arrives, after the server counted the request, so
   * little slack is needed: 0.1% of the window against timer and clock granularity.
   */
  private get slackMs(): number {
    return Math.ceil(this.windowMs * 0.001);
  }

  private prune(now: number): void {
    const horizon = now - this.windowMs - this.slackMs;
    let drop = 0;
    while (drop < this.sent.length && this.sent[drop] <= horizon) drop++;
    if (drop > 0) this.sent.splice(0, drop);
  }

  /**
   * Milliseconds until the next request may go (0: now). Two rules: at most `limit` stamps
   * in the window, and consecutive requests at least a quarter of the fair interval
   * (`windowMs / max / 4`) apart. Spreading a burst a little keeps the server from queueing
   * it, which would delay the answers, hence the stamps, hence the next window.
   */
  delayUntilSlot(now = this.clock.now()): number {
    if (now < this.pausedUntil) return this.pausedUntil - now;
    this.prune(now);
    const spacing = this.lastTaken === null ? 0 : this.lastTaken + this.windowMs / this.max / 4 - now;
    if (this.sent.length < this.limit) return spacing > 0 ? spacing : 0;
    const oldestThatMustLeave = this.sent[this.sent.length - this.limit];
    return Math.max(1, spacing, oldestThatMustLeave + this.windowMs + this.slackMs - now);
  }

  /** Milliseconds until the oldest request of the current window leaves it (a slot frees). */
  msUntilSlotFrees(now = this.clock.now()): number {
    this.prune(now);
    if (this.sent.length === 0) return 0;
    return Math.max(0, this.sent[0] + this.windowMs + this.slackMs - now);
  }

  /** Milliseconds until every request of the current window has left it. */
  msUntilWindowClears(now = this.clock.now()): number {
    this.prune(now);
    if (this.sent.length === 0) return 0;
    return Math.max(0, this.sent[this.sent.length - 1] + this.windowMs + this.slackMs - now);
  }

  /** Waits for a slot and takes it. Callers are served first come, first served. */
  acquire(): Promise<PacerTicket> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async waitForSlot(): Promise<PacerTicket> {
    for (;;) {
      const now = this.clock.now();
      const wait = this.delayUntilSlot(now);
      if (wait <= 0) {
        this.sent.push(now);
        this.lastTaken = now;
        let stamp = now;
        return {
          restamp: () => {
            const at = this.clock.now();
            const index = this.sent.lastIndexOf(stamp);
            if (index < 0 || at <= stamp) return;
            this.sent.splice(index, 1);
            // Keep the list sorted: insert after every stamp not later than `at`.
            let i = this.sent.length;
            while (i > 0 && this.sent[i - 1] > at) i--;
            this.sent.splice(i, 0, at);
            stamp = at;
          },
        };
      }
      await this.clock.sleep(wait);
    }
  }

  /** Holds every request back for `ms` (after a 429). */
  pauseFor(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
  }

  /** A 429 despite pacing: keep one more request in reserve (at most 10% of the window). */
  widenMargin(): void {
    this.margin = Math.min(this.margin + 1, Math.max(1, Math.floor(this.max * 0.1)));
  }

  /**
   * Corrects the window from a response's headers. The server's max and interval replace
   * ours; when the server has counted clearly more requests in its window than we sent
   * (another process on the same app), the difference is booked as sent now.
   */
  observe(headers: Record<string, string> | undefined): void {
    const max = header(headers, 'x-hubspot-ratelimit-max');
    const interval = header(headers, 'x-hubspot-ratelimit-interval-milliseconds');
    const remaining = header(headers, 'x-hubspot-ratelimit-remaining');
    if (max !== null && max > 0 && max !== this.max) {
      this.max = max;
      if (!this.explicitMargin) this.margin = defaultMargin(max);
      this.margin = Math.min(this.margin, max - 1);
    }
    if (interval !== null && interval > 0) this.windowMs = interval;
    if (remaining !== null && max !== null && max > 0) {
      const now = this.clock.now();
      this.prune(now);
      // Our count includes requests still in flight, so it is normally ≥ the server's;
      // tolerance covers requests the server counts a little later than we do.
      const tolerance = Math.max(2, Math.ceil(max * 0.05));
      const unexplained = max - remaining - this.sent.length - tolerance;
      for (let i = 0; i < unexplained; i++) this.sent.push(now);
    }
  }
}

/** The search lane: its own per-second limit, no headers. */
export function createSearchPacer(perSecond: number = HUBSPOT_LIMITS.searchPerSecond, clock?: Clock): RollingWindowPacer {
  return new RollingWindowPacer({ max: perSecond, windowMs: HUBSPOT_LIMITS.searchWindowMs, margin: 0, clock });
}

/**
 * The daily budget: the configured requests per day, replaced by the server's
 * `x-hubspot-ratelimit-daily-remaining` when it sends one (private apps do).
 */
export class DailyBudget {
  private used = 0;
  private serverRemaining: number | null = null;
  private serverLimit: number | null = null;
  private exhausted = false;

  constructor(private readonly perDay: number) {}

  /** False once the day's requests are spent. */
  get available(): boolean {
    if (this.exhausted) return false;
    if (this.serverRemaining !== null) return this.serverRemaining > 0;
    return this.used < this.perDay;
  }

  take(): void {
    this.used++;
    if (this.serverRemaining !== null) this.serverRemaining--;
  }

  markExhausted(): void {
    this.exhausted = true;
  }

  observe(headers: Record<string, string> | undefined): void {
    const remaining = header(headers, 'x-hubspot-ratelimit-daily-remaining');
    if (remaining !== null) this.serverRemaining = remaining;
    const limit = header(headers, 'x-hubspot-ratelimit-daily');
    if (limit !== null) this.serverLimit = limit;
  }

  /** What the portal's answers last said is left of its daily limit (every app's requests count), or null. */
  reported(): { remaining: number; limit: number } | null {
    return this.serverRemaining === null ? null : { remaining: this.serverRemaining, limit: this.serverLimit ?? this.perDay };
  }
}
