/**
 * Classifies what went wrong with one HTTP attempt, by shape: the generated client throws
 * a different `ApiException` class per module, and plain `Error`s when a body is not JSON,
 * so `instanceof` cannot be trusted. We also keep the raw response our transport saw.
 */
import type { Outcome } from '../destination.ts';
import { DestinationError } from '../../contracts/errors.ts';
import { HUBSPOT_LIMITS } from './limits.ts';

/** The raw answer to one attempt, as our transport received it. */
export interface HttpCapture {
  status: number;
  headers: Record<string, string>;
  text: string;
}

/** HubSpot's error envelope (top level, or one entry of a 207's `errors`). */
export interface HubSpotErrorBody {
  status?: string;
  message?: string;
  category?: string;
  policyName?: string;
  correlationId?: string;
  context?: Record<string, unknown>;
  errors?: Array<{ message?: string; code?: string; context?: Record<string, unknown> }>;
}

export type Failure =
  /** 401/403: stop at once. */
  | { kind: 'auth'; status: number; message: string }
  /** 429 DAILY: nothing more today. */
  | { kind: 'daily'; message: string }
  /** 429 ten-secondly (or search's secondly): wait and try again. */
  | { kind: 'rate'; retryAfterMs: number | null; message: string }
  /** 5xx, 423, 477, network errors, timeouts, unreadable bodies: back off and retry, bounded. */
  | { kind: 'transient'; status: number | null; minDelayMs: number; message: string }
  /** Another 4xx: HubSpot refused the request; splitting may isolate the records at fault. */
  | { kind: 'rejected'; status: number; body: HubSpotErrorBody | null; message: string };

interface ApiExceptionShape {
  code: number;
  body: unknown;
  headers: Record<string, string>;
}

export function isApiExceptionShape(err: unknown): err is ApiExceptionShape {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as Record<string, unknown>;
  return typeof e.code === 'number' && 'body' in e && typeof e.headers === 'object' && e.headers !== null;
}

function parseBody(body: unknown): HubSpotErrorBody | null {
  if (typeof body === 'string') {
    try {
      const parsed: unknown = JSON.parse(body);
      return typeof parsed === 'object' && parsed !== null ? (parsed as HubSpotErrorBody) : null;
    } catch {
      return null;
    }
  }
  return typeof body === 'object' && body !== null ? (body as HubSpotErrorBody) : null;
}

/** `Retry-After` in seconds or as an HTTP date; null when absent or unreadable. */
export function retryAfterMs(headers: Record<string, string> | undefined, now = Date.now()): number | null {
  const raw = headers?.['retry-after'];
  if (!raw) return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

function networkMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = (err as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  const detail = cause instanceof Error && cause.message !== err.message ? `: ${cause.message}` : '';
  return `${err.name === 'TimeoutError' ? 'request timed out' : err.message}${detail}${typeof code === 'string' ? ` (${code})` : ''}`;
}

export function classifyFailure(err: unknown, response?: HttpCapture, options: { lockedWaitMs?: number } = {}): Failure {
  const api = isApiExceptionShape(err) ? err : null;
  const status = api?.code ?? response?.status ?? null;
  const headers = api?.headers ?? response?.headers ?? {};
  if (status === null || status === 0) {
    return { kind: 'transient', status: null, minDelayMs: 0, message: `network error: ${networkMessage(err)}` };
  }
  const body = parseBody(api?.body) ?? (response ? parseBody(response.text) : null);
  const hubspotMessage = body?.message ?? (api ? undefined : networkMessage(err));
  const describe = (what: string) => `HTTP ${status} ${what}${hubspotMessage ? `: ${hubspotMessage}` : ''}`;

  if (status >= 200 && status < 300) {
    // The client could not read a success response (not JSON, or an unexpected 2xx).
    return { kind: 'transient', status, minDelayMs: 0, message: describe('with an unreadable body') };
  }
  if (status === 401 || status === 403) return { kind: 'auth', status, message: describe(status === 401 ? 'unauthorized' : 'forbidden') };
  if (status === 429) {
    const daily = body?.policyName === 'DAILY' || /daily/i.test(body?.message ?? '');
    if (daily) return { kind: 'daily', message: describe('daily limit') };
    return { kind: 'rate', retryAfterMs: retryAfterMs(headers), message: describe('rate limited') };
  }
  if (status === 423) {
    return { kind: 'transient', status, minDelayMs: Math.max(options.lockedWaitMs ?? HUBSPOT_LIMITS.lockedWaitMs, retryAfterMs(headers) ?? 0), message: describe('locked') };
  }
  if (status >= 500 || status === 477 || status === 408) {
    return { kind: 'transient', status, minDelayMs: retryAfterMs(headers) ?? 0, message: describe('server error') };
  }
  return { kind: 'rejected', status, body, message: describe('rejected') };
}

/** Codes that fail every record of a batch alike: splitting the batch cannot isolate anything. */
const BATCH_WIDE_CODES = new Set(['PROPERTY_DOESNT_EXIST', 'READ_ONLY_VALUE']);

/** Whether a rejected batch may be split to isolate the records at fault. */
export function isSplittable(failure: Extract<Failure, { kind: 'rejected' }>): boolean {
  if (failure.status !== 400 && failure.status !== 404 && failure.status !== 409 && failure.status !== 422) return false;
  const codes = (failure.body?.errors ?? []).map((e) => e.code).filter((c): c is string => typeof c === 'string');
  return !(codes.length > 0 && codes.every((c) => BATCH_WIDE_CODES.has(c)));
}

const CATEGORY_ALIASES: Record<string, string> = {
  INVALID_INTEGER: 'INVALID_NUMBER',
  INVALID_LONG: 'INVALID_NUMBER',
  INVALID_DOUBLE: 'INVALID_NUMBER',
  OBJECT_NOT_FOUND: 'NOT_FOUND',
  INVALID_DATE_OR_DATETIME: 'INVALID_DATE',
};

const first = (v: unknown): string | null => {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return null;
};

/**
 * A record's failure from HubSpot's error envelope: the detail code (or category) as the
 * outcome category, the property from `context.propertyName`. HubSpot sometimes only
 * embeds the detail as JSON inside the message (`"error":"INVALID_OPTION","name":"tier"`).
 */
export function recordFailure(
  body: HubSpotErrorBody | null,
  status: number | null,
  fallbackMessage: string,
): { category: string; property: string | null; message: string } {
  const detail = body?.errors?.find((e) => e.code || e.context) ?? body?.errors?.[0];
  const message = body?.message ?? detail?.message ?? fallbackMessage;
  let code = detail?.code ?? null;
  let property = first(detail?.context?.propertyName) ?? first(body?.context?.propertyName);
  if (!code) code = /"error"\s*:\s*"([A-Z_]+)"/.exec(message)?.[1] ?? null;
  if (!property) property = /"name"\s*:\s*"([a-z0-9_]+)"/.exec(message)?.[1] ?? null;
  let category = code ?? body?.category ?? (status === 404 ? 'NOT_FOUND' : 'VALIDATION_ERROR');
  if (body?.category === 'OBJECT_NOT_FOUND' || (status === 404 && !code)) category = 'NOT_FOUND';
  return { category: CATEGORY_ALIASES[category] ?? category, property, message };
}

/** Removes a secret wherever it appears in a message. */
export function redact(message: string, secret: string | undefined): string {
  if (!secret || secret.length < 4) return message;
  return message.split(secret).join('[redacted]');
}

/**
 * The daily limit stopped a send. `outcomes` holds what this call had already delivered
 * (or refused) before the limit hit, so that a runner that knows this class can still
 * commit them; the rest is sent again next run.
 */
export class DailyLimitError extends DestinationError {
  override name = 'DailyLimitError';
  constructor(message: string, readonly outcomes: Outcome[] = []) {
    super(message);
  }
}
