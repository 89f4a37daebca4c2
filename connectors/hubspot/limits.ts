/**
 * HubSpot API versions and limits, in one place. Sources: docs/hubspot.md, "Limits".
 * Everything the connector sizes, paces or validates against reads these.
 */

export const HUBSPOT_LIMITS = {
  /** Inputs per batch create / update / upsert / read request. */
  batchSize: 100,
  /** Inputs per property batch create request. */
  propertyBatchSize: 100,
  /** Default length of the rolling rate-limit window (x-hubspot-ratelimit-interval-milliseconds). */
  windowMs: 10_000,
  /**
   * Search has its own limit, about 5 requests a second per account (older pages say 4),
   * outside the 10-second window. We stay at 4.
   */
  searchPerSecond: 4,
  searchWindowMs: 1_000,
  /** Results per search page (max 200) and the most a query can page through. */
  searchPageSize: 200,
  searchMaxResults: 10_000,
  /** Values we put in one `IN` filter. HubSpot documents 5 groups / 6 filters / 18 filters per search, not a value cap: 100 is a safe, common size. */
  searchMaxInValues: 100,
  /** Filter groups (ORed) in one search request. */
  searchMaxFilterGroups: 5,
  /** Longest string property value. */
  stringMaxLength: 65_536,
  /** 423 Locked (heavy upserts): HubSpot asks to wait at least this long. */
  lockedWaitMs: 2_000,
} as const;

/**
 * Requests kept in reserve below the window's max by default: 1% (100 → 1, 190 → 1, 20 → 0).
 * Small, because the pacer is already conservative in time (a slot's window starts when
 * its answer arrives), books requests other processes made (from the headers), and widens
 * the margin itself after a 429.
 */
export function defaultMargin(requestsPerWindow: number): number {
  return Math.floor(requestsPerWindow * 0.01);
}

/** Retry defaults: total attempts for transient failures, backoff base and cap (full jitter). */
export const RETRY_DEFAULTS = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  /** 429s waited out (ten-secondly / secondly) before they start to count as failed attempts. */
  freeRateLimitWaits: 5,
  timeoutMs: 30_000,
  /** Batches in flight at once; the pacer, not this, sets the rate (190 per 10 s at ~0.4 s a batch needs ~8). */
  concurrency: 10,
} as const;
