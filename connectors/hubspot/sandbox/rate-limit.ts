/**
 * HubSpot's rate limits: a rolling window per app (100 or 190 requests per
 * 10 s), a daily quota per account, and search's own few-per-second limit.
 *
 * A request answered 429 is not admitted: it takes no slot in the rolling
 * window (a window that counted rejections would never reopen under steady
 * retries, and HubSpot's guidance is simply to wait the window out). It does
 * count toward the daily total, as every authenticated call shows in
 * HubSpot's API usage, which is why HubSpot asks that errors stay under 5 %.
 */
import type { LimitClass } from './router.ts';

export interface RateLimitConfig {
  requestsPerWindow: number;
  windowMs: number;
  dailyLimit: number;
  /** Search requests per (compressed) second. */
  searchPerSecond: number;
}

export type RateDecision =
  | { admitted: true; headers: Record<string, string> }
  | { admitted: false; policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY'; body: Record<string, unknown>; headers: Record<string, string> };

/** The full window length the tiers are defined over; search's second is compressed by the same factor. */
const HUBSPOT_WINDOW_MS = 10_000;

export class RateLimiter {
  private windowHits: number[] = [];
  private searchHits: number[] = [];
  private dailyUsed = 0;
  private dailyExhausted = false;

  constructor(private config: RateLimitConfig) {}

  /** A new window length or size from now on (unset fields keep theirs). */
  reconfigure(change: { requestsPerWindow?: number; windowMs?: number }): void {
    this.config = {
      ...this.config,
      ...(change.requestsPerWindow !== undefined ? { requestsPerWindow: change.requestsPerWindow } : {}),
      ...(change.windowMs !== undefined ? { windowMs: change.windowMs } : {}),
    };
  }

  /** Decides one authenticated request; records it when admitted. */
  admit(limit: LimitClass, now = Date.now()): RateDecision {
    const { config } = this;
    if (this.dailyExhausted || this.dailyUsed >= config.dailyLimit) {
      this.dailyUsed++;
      return this.reject('DAILY', limit === 'search' ? {} : this.buildHeaders(now));
    }
    if (limit === 'search') {
      const searchWindowMs = (1000 * config.windowMs) / HUBSPOT_WINDOW_MS;
      this.searchHits = this.searchHits.filter((time) => time > now - searchWindowMs);
      this.dailyUsed++;
      // Search answers carry no rate-limit headers, 429s included.
      if (this.searchHits.length >= config.searchPerSecond) return this.reject('SECONDLY', {});
      this.searchHits.push(now);
      return { admitted: true, headers: {} };
    }
    this.pruneWindow(now);
    this.dailyUsed++;
    if (limit === 'window') {
      if (this.windowHits.length >= config.requestsPerWindow) return this.reject('TEN_SECONDLY_ROLLING', this.buildHeaders(now));
      this.windowHits.push(now);
    }
    return { admitted: true, headers: this.buildHeaders(now) };
  }

  /** Counts requests the portal's other apps made today (the daily limit is the portal's). */
  spendDaily(requests: number): void {
    this.dailyUsed += requests;
  }

  /** From now on every request is a 429 DAILY, until resetDaily(). */
  exhaustDaily(): void {
    this.dailyExhausted = true;
  }

  /** What midnight in the account's time zone does. */
  resetDaily(): void {
    this.dailyUsed = 0;
    this.dailyExhausted = false;
  }

  private pruneWindow(now: number): void {
    const start = now - this.config.windowMs;
    let expired = 0;
    while (expired < this.windowHits.length && this.windowHits[expired] <= start) expired++;
    if (expired > 0) this.windowHits = this.windowHits.slice(expired);
  }

  private buildHeaders(now: number): Record<string, string> {
    this.pruneWindow(now);
    const { requestsPerWindow, windowMs, dailyLimit } = this.config;
    const dailyRemaining = this.dailyExhausted ? 0 : Math.max(0, dailyLimit - this.dailyUsed);
    return {
      'X-HubSpot-RateLimit-Max': String(requestsPerWindow),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, requestsPerWindow - this.windowHits.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(windowMs),
      'X-HubSpot-RateLimit-Daily': String(dailyLimit),
      'X-HubSpot-RateLimit-Daily-Remaining': String(dailyRemaining),
    };
  }

  private reject(policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY', headers: Record<string, string>): RateDecision {
    return { admitted: false, policy, body: buildRateLimitBody(policy), headers };
  }
}

/** HubSpot's 429 body; `correlationId` is added by the caller's envelope. */
export function buildRateLimitBody(policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY'): Record<string, unknown> {
  const message = {
    TEN_SECONDLY_ROLLING: 'You have reached your ten secondly limit.',
    DAILY: 'You have reached your daily limit.',
    // The client's own retry logic recognises search's 429 by exactly this message.
    SECONDLY: 'You have reached your secondly limit.',
  }[policy];
  return { status: 'error', message, errorType: 'RATE_LIMIT', category: 'RATE_LIMITS', policyName: policy };
}
