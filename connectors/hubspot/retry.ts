/**
 * Runs one logical request: pace it, send it, classify a failure, and retry what can be
 * retried. 429 (ten-secondly or search's secondly) → wait `Retry-After` or until the window
 * clears, a few times for free; 5xx, 423, 477, network errors and timeouts → exponential
 * backoff with full jitter, bounded; 401/403 → AuthError at once; 429 DAILY → DailyLimitError.
 * A request HubSpot refuses (another 4xx) is returned to the caller, which may split the batch.
 */
import { AuthError } from '../../contracts/errors.ts';
import { classifyFailure, DailyLimitError, redact, type Failure } from './errors.ts';
import type { Attempt, CallOptions, HttpInfoLike, HubSpotTransport } from './hubspot.client.ts';
import { HUBSPOT_LIMITS, RETRY_DEFAULTS } from './limits.ts';
import { systemClock, type Clock, type DailyBudget, type RollingWindowPacer } from './pacer.ts';

export type Lane = 'crm' | 'search';

export type LogEvent = { level: 'info' | 'warn' | 'error'; msg: string; [k: string]: unknown };
export type Log = (event: LogEvent) => void;

export type CallResult<T> =
  | { ok: true; status: number; data: T }
  | { ok: false; kind: 'rejected'; failure: Extract<Failure, { kind: 'rejected' }> }
  | { ok: false; kind: 'exhausted'; message: string; attempts: number };

export interface RetryPolicy {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 429s waited out before each further one counts as a failed attempt. */
  freeRateLimitWaits: number;
  /** The least wait after a 423 Locked. */
  lockedWaitMs: number;
}

export interface ExecutorOptions {
  transport: HubSpotTransport;
  pacers: Record<Lane, RollingWindowPacer>;
  daily: DailyBudget;
  policy?: Partial<RetryPolicy>;
  clock?: Clock;
  random?: () => number;
  log?: Log;
  /** Never shown in a message. */
  secret?: string;
  onRateLimited?: () => void;
}

/** Full jitter: a uniform delay in [0, min(cap, base·2^(n-1))], at least `floor`. */
export function backoffDelay(failedAttempts: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number, floor = 0): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.max(floor, Math.floor(random() * ceiling));
}

export interface RunHooks {
  /** Awaited before each retry after a transient failure (e.g. re-resolve before re-creating). */
  beforeRetry?: (failure: Failure) => Promise<void>;
  /**
   * Take a 429 as uncertain too: `beforeRetry` also runs before the retry that follows one. HubSpot
   * answers 429 before applying a request, but a create that cannot be repeated does not rest on it.
   */
  rateLimitIsUncertain?: boolean;
}

export class RequestExecutor {
  readonly policy: RetryPolicy;
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly options: ExecutorOptions) {
    this.policy = {
      maxAttempts: options.policy?.maxAttempts ?? RETRY_DEFAULTS.maxAttempts,
      baseDelayMs: options.policy?.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs,
      maxDelayMs: options.policy?.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs,
      freeRateLimitWaits: options.policy?.freeRateLimitWaits ?? RETRY_DEFAULTS.freeRateLimitWaits,
      lockedWaitMs: options.policy?.lockedWaitMs ?? HUBSPOT_LIMITS.lockedWaitMs,
    };
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
  }

  private log(event: LogEvent): void {
    this.options.log?.({ ...event, msg: redact(event.msg, this.options.secret) });
  }

  /**
   * Sends `call` until it succeeds, is refused, or runs out of attempts. `call` may return
   * `null` to say there is nothing left to send (a `beforeRetry` hook emptied it).
   */
  async run<T>(
    lane: Lane,
    label: string,
    call: (options: CallOptions) => Promise<HttpInfoLike<unknown>> | null,
    hooks: RunHooks = {},
  ): Promise<CallResult<T>> {
    const pacer = this.options.pacers[lane];
    let failed = 0;
    let rateWaits = 0;
    for (;;) {
      if (!this.options.daily.available) throw new DailyLimitError(dailyMessage());
      const ticket = await pacer.acquire();
      if (!this.options.daily.available) throw new DailyLimitError(dailyMessage());
      const attempt: Attempt = this.options.transport.attempt(
        () => ticket.restamp(),
        () => ticket.restamp(),
      );
      let failure: Failure;
      try {
        const pending = call(attempt.options);
        if (pending === null) return { ok: true, status: 0, data: null as T };
        this.options.daily.take();
        const info = await this.options.transport.withDeadline(pending);
        this.observe(lane, attempt);
        return { ok: true, status: info.httpStatusCode, data: info.data as T };
      } catch (err) {
        // No answer at all (reset, timeout): the server may have counted it any time until now.
        if (!attempt.response) ticket.restamp();
        this.observe(lane, attempt);
        failure = classifyFailure(err, attempt.response, { lockedWaitMs: this.policy.lockedWaitMs });
      }
      const message = redact(failure.message, this.options.secret);
      switch (failure.kind) {
        case 'auth':
          throw new AuthError(
            `HubSpot refused the access token (${message}). Check that the private app token is valid and has the CRM scopes for contacts, companies and their schemas.`,
          );
        case 'daily':
          this.options.daily.markExhausted();
          throw new DailyLimitError(dailyMessage());
        case 'rejected':
          return { ok: false, kind: 'rejected', failure: { ...failure, message } };
        case 'rate': {
          rateWaits++;
          this.options.onRateLimited?.();
          if (lane === 'crm') pacer.widenMargin();
          // Without Retry-After: until the oldest request we know of leaves the window. The
          // 429's headers (remaining 0) have already booked any requests we did not make.
          const wait = failure.retryAfterMs ?? Math.max(pacer.msUntilSlotFrees(), pacer.window.windowMs / 20);
          pacer.pauseFor(wait);
          this.log({ level: 'warn', msg: `${label}: rate limited, waiting ${Math.round(wait)} ms`, lane, waitMs: wait });
          if (rateWaits > this.policy.freeRateLimitWaits) {
            failed++;
            if (failed >= this.policy.maxAttempts) return this.exhausted(label, message, failed);
          }
          if (hooks.rateLimitIsUncertain && hooks.beforeRetry) {
            const stop = await this.runBeforeRetry(hooks.beforeRetry, failure, label, message, Math.max(failed, 1));
            if (stop) return stop as CallResult<T>;
          }
          continue;
        }
        case 'transient': {
          failed++;
          if (failed >= this.policy.maxAttempts) return this.exhausted(label, message, failed);
          const delay = backoffDelay(failed, this.policy, this.random, failure.minDelayMs);
          this.log({ level: 'warn', msg: `${label}: ${message}; retry ${failed} of ${this.policy.maxAttempts - 1} in ${delay} ms`, lane, attempt: failed, delayMs: delay });
          await this.clock.sleep(delay);
          if (hooks.beforeRetry) {
            const stop = await this.runBeforeRetry(hooks.beforeRetry, failure, label, message, failed);
            if (stop) return stop as CallResult<T>;
          }
          continue;
        }
      }
    }
  }

  /** Runs a beforeRetry hook; a failure of it ends the call (out of attempts), but auth and daily failures end the run. */
  private async runBeforeRetry(hook: NonNullable<RunHooks['beforeRetry']>, failure: Failure, label: string, message: string, failed: number): Promise<CallResult<never> | null> {
    try {
      await hook(failure);
      return null;
    } catch (err) {
      if (err instanceof AuthError || err instanceof DailyLimitError) throw err;
      return this.exhausted(label, `${message}; then: ${err instanceof Error ? err.message : String(err)}`, failed);
    }
  }

  private observe(lane: Lane, attempt: Attempt): void {
    const headers = attempt.response?.headers;
    if (!headers) return;
    this.options.daily.observe(headers);
    // Search answers carry no rate-limit headers in production; if a server sends them
    // they describe the 10-second window, not search's own limit.
    if (lane === 'crm') this.options.pacers.crm.observe(headers);
  }

  private exhausted<T>(label: string, message: string, attempts: number): CallResult<T> {
    this.log({ level: 'error', msg: `${label}: giving up after ${attempts} attempts: ${message}`, attempts });
    return { ok: false, kind: 'exhausted', message: `gave up after ${attempts} attempts: ${message}`, attempts };
  }
}

export function dailyMessage(): string {
  return 'HubSpot daily API limit reached; the next run continues where this one stopped (rows not acknowledged are sent again).';
}
