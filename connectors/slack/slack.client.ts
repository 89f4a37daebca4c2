/**
 * Slack through its official client (`@slack/web-api` 8, Node >= 20), with the client's own
 * retries and rate-limit queueing off: pqlsync paces and retries itself (docs/slack.md).
 *
 * - chat.postMessage: at most one message per second per channel (Slack's limit); the other
 *   methods at their tier's per-minute rate.
 * - 429: wait `Retry-After` seconds, a bounded number of times, then DestinationError.
 * - A refusal (`{ ok: false, error }`) is returned to the caller, except the token's own
 *   (`invalid_auth`, `not_authed`, `missing_scope`, ...): AuthError, the run cannot go on.
 * - A network error or a 5xx is retried with backoff when the call is safe to repeat (reads);
 *   for chat.postMessage it is returned as `ambiguous`: the message may have been posted, and
 *   the caller looks for it before posting again (src/handoff/slack-messages.ts).
 *
 * The token is never put in a message or a log line.
 */
import { ErrorCode, LogLevel, WebClient, type WebAPICallResult } from '@slack/web-api';
import { AuthError, DestinationError } from '../../contracts/errors.ts';

const AUTH_ERRORS = new Set(['not_authed', 'invalid_auth', 'token_revoked', 'token_expired', 'account_inactive', 'missing_scope', 'not_allowed_token_type']);

/** Per-minute limits of Slack's tiers (api.slack.com/apis/rate-limits), for the methods pqlsync calls. */
const PER_MINUTE: Record<string, number> = {
  'auth.test': 100,
  'users.lookupByEmail': 100,
  'conversations.open': 50,
  'conversations.history': 50,
};

export const SLACK_DEFAULTS = { secondMs: 1000, timeoutMs: 30_000, maxAttempts: 4, maxRateLimitWaits: 20, baseDelayMs: 500 } as const;

export interface SlackClientOptions {
  token: string;
  /** Another Web API root, e.g. the sandbox's `http://127.0.0.1:PORT/api/` (env SLACK_API_URL). */
  apiUrl?: string;
  /** The length of Slack's second in ms: 1000, shorter only against the sandbox in tests. */
  secondMs?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  maxRateLimitWaits?: number;
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export type SlackResult<T> = { ok: true; data: T } | { ok: false; error: string; ambiguous: boolean; message: string };

export interface SlackStats {
  requests: number;
  rateLimited: number;
}

export class SlackClient {
  readonly stats: SlackStats = { requests: 0, rateLimited: 0 };
  private readonly web: WebClient;
  private readonly secondMs: number;
  private readonly nextAt = new Map<string, number>();
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: SlackClientOptions) {
    if (!options.token) throw new DestinationError('Slack needs a bot token (SLACK_BOT_TOKEN)');
    this.secondMs = options.secondMs ?? SLACK_DEFAULTS.secondMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.web = new WebClient(options.token, {
      ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs ?? SLACK_DEFAULTS.timeoutMs,
      logLevel: LogLevel.ERROR,
      logger: silentLogger(),
    });
  }

  /**
   * Calls a Web API method. `safe`: repeating it cannot do anything twice (every read); an
   * unsafe call (chat.postMessage) that got no answer comes back `ambiguous` instead of retried.
   */
  async call<T extends WebAPICallResult>(method: string, args: Record<string, unknown>, options: { safe: boolean }): Promise<SlackResult<T>> {
    const paceKey = method === 'chat.postMessage' ? `${method}:${String(args.channel)}` : method;
    const interval = method === 'chat.postMessage' ? this.secondMs : (60 * this.secondMs) / (PER_MINUTE[method] ?? 20);
    let failed = 0;
    let rateWaits = 0;
    for (;;) {
      const wait = (this.nextAt.get(paceKey) ?? 0) - Date.now();
      if (wait > 0) await this.sleep(wait);
      this.nextAt.set(paceKey, Date.now() + interval);
      this.stats.requests++;
      try {
        const data = (await this.web.apiCall(method, args)) as T;
        // Slack counts the call when it arrives: the next one waits a full interval from the answer.
        this.nextAt.set(paceKey, Date.now() + interval);
        return { ok: true, data };
      } catch (error) {
        this.nextAt.set(paceKey, Math.max(this.nextAt.get(paceKey) ?? 0, Date.now() + interval));
        const e = error as { code?: string; data?: { error?: string; needed?: string }; retryAfter?: number; statusCode?: number; message?: string };
        if (e.code === ErrorCode.PlatformError) {
          const code = e.data?.error ?? 'unknown_error';
          if (AUTH_ERRORS.has(code)) {
            throw new AuthError(`Slack refused the bot token for ${method} (${code}${e.data?.needed ? `: needs ${e.data.needed}` : ''}); check SLACK_BOT_TOKEN and its scopes (pqlsync doctor)`);
          }
          return { ok: false, error: code, ambiguous: false, message: `Slack ${method}: ${code}` };
        }
        if (e.code === ErrorCode.RateLimitedError) {
          this.stats.rateLimited++;
          rateWaits++;
          if (rateWaits > (this.options.maxRateLimitWaits ?? SLACK_DEFAULTS.maxRateLimitWaits)) {
            throw new DestinationError(`Slack kept answering ${method} with 429 (rate limited) after ${rateWaits - 1} waits; the rest is sent next run`);
          }
          const retryMs = Math.max(1, e.retryAfter ?? 1) * this.secondMs;
          this.nextAt.set(paceKey, Date.now() + retryMs);
          continue;
        }
        // A 5xx, a network error or a timeout: Slack may or may not have acted.
        const reason = e.code === ErrorCode.HTTPError ? `HTTP ${e.statusCode}` : `network error: ${scrub(e.message ?? String(error), this.options.token)}`;
        if (!options.safe) return { ok: false, error: 'no_answer', ambiguous: true, message: `Slack ${method}: ${reason}` };
        failed++;
        if (failed >= (this.options.maxAttempts ?? SLACK_DEFAULTS.maxAttempts)) {
          throw new DestinationError(`Slack ${method} failed ${failed} times (${reason}); the rest is sent next run`);
        }
        await this.sleep((this.options.baseDelayMs ?? SLACK_DEFAULTS.baseDelayMs) * 2 ** (failed - 1) * Math.random());
      }
    }
  }

  /** The token's scopes and workspace (`auth.test`, scopes from the `x-oauth-scopes` header). */
  async authTest(): Promise<{ team: string; user: string; scopes: string[] }> {
    const result = await this.call<WebAPICallResult & { team?: string; user?: string }>('auth.test', {}, { safe: true });
    if (!result.ok) throw new DestinationError(result.message);
    return { team: result.data.team ?? '', user: result.data.user ?? '', scopes: result.data.response_metadata?.scopes ?? [] };
  }
}

function silentLogger() {
  const quiet = () => undefined;
  return { debug: quiet, info: quiet, warn: quiet, error: quiet, setLevel: quiet, getLevel: () => LogLevel.ERROR, setName: quiet };
}

function scrub(text: string, secret: string): string {
  return secret.length >= 4 ? text.split(secret).join('***') : text;
}

/** The Slack client from the environment: SLACK_BOT_TOKEN, and SLACK_API_URL for a sandbox. */
export function slackFromEnv(env: NodeJS.ProcessEnv, overrides: Partial<SlackClientOptions> = {}): SlackClient | null {
  const token = env.SLACK_BOT_TOKEN;
  if (!token) return null;
  return new SlackClient({ token, apiUrl: env.SLACK_API_URL || undefined, secondMs: env.PQLSYNC_SLACK_SECOND_MS ? Number(env.PQLSYNC_SLACK_SECOND_MS) : undefined, ...overrides });
}
