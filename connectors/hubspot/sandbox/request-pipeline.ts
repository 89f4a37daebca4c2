/**
 * One request, in the order HubSpot's edge would see it: count it, let a fault
 * rule (the network, a gateway) have it first, then authentication, then the
 * rate limits, then the route. Unauthenticated requests cannot be attributed
 * to an app, so they never reach the rate limiter.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, buildErrorBody, createCorrelationId } from './api-error.ts';
import type { FaultInjector } from './faults.ts';
import { readBody, sendBare, sendHtml, sendJson, type Sleeper } from './http-io.ts';
import { buildRateLimitBody, type RateLimiter } from './rate-limit.ts';
import { describeRoute, hasPathMatch, matchRoute, type Route, type RouteMatch, type RouteResult } from './router.ts';
import type { PortalStore } from './store.ts';
import type { FaultKind, SandboxStats } from './types.ts';

export interface PipelineDeps {
  routes: Route[];
  store: PortalStore;
  limiter: RateLimiter;
  stats: SandboxStats;
  sleeper: Sleeper;
  /** Read per request, so setFaults() takes effect at once. */
  currentFaults(): FaultInjector;
  accessToken?: string;
  latencyMs: number;
  /** Writes admitted and answered, not yet applied (`applied-late` faults). */
  lateWrites: LateWrites;
}

/** Writes HubSpot is still applying after their answer went out: each applied when its time comes, or all at once by `finish()`. */
export class LateWrites {
  private readonly pending = new Map<NodeJS.Timeout, () => void>();

  schedule(afterMs: number, apply: () => void): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      apply();
    }, afterMs);
    this.pending.set(timer, apply);
  }

  finish(): number {
    const applies = [...this.pending];
    this.pending.clear();
    for (const [timer, apply] of applies) {
      clearTimeout(timer);
      apply();
    }
    return applies.length;
  }

  /** Drops the writes still pending (the portal stops). */
  cancel(): void {
    for (const timer of this.pending.keys()) clearTimeout(timer);
    this.pending.clear();
  }
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  html?: string;
  /** No body and no Content-Type at all (a bare gateway answer). */
  empty?: boolean;
}

const MISSING_AUTH_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

export function createRequestHandler(deps: PipelineDeps): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    handleRequest(deps, request, response).catch((error: unknown) => {
      // A bug in the sandbox should read as HubSpot's 500, not hang the client.
      const message = error instanceof Error ? error.message : String(error);
      sendJson(response, 500, { status: 'error', message: `Sandbox internal error: ${message}`, correlationId: createCorrelationId(), category: 'INTERNAL_ERROR' });
    });
  };
}

async function handleRequest(deps: PipelineDeps, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const { stats } = deps;
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const match = matchRoute(deps.routes, method, url.pathname);
  const routeKey = match ? describeRoute(match) : `${method} ${url.pathname}`;
  stats.requests++;
  stats.requestsByRoute[routeKey] = (stats.requestsByRoute[routeKey] ?? 0) + 1;

  const fault = url.pathname.startsWith('/crm/') || url.pathname.startsWith('/automation/') ? deps.currentFaults().pick(url.pathname) : undefined;
  if (fault) stats.faultsInjected++;
  if (fault?.type === 'reset') {
    request.socket.destroy();
    return;
  }
  if (fault?.type === 'daily-exhausted') deps.limiter.exhaustDaily();

  const bodyText = await readBody(request);
  if (fault?.type === 'applied-late') {
    await answerAppliedLate(deps, fault, request, response, match, method, url, bodyText);
    return;
  }
  // An `applied` status fault lets the request through first: a gateway answering 5xx (or 429) for a write that landed.
  const applied = fault?.type === 'status' && fault.applied ? answerRequest(deps, request, match, method, url, bodyText) : undefined;
  const reply = answerFault(fault) ?? applied ?? answerRequest(deps, request, match, method, url, bodyText);

  if (fault?.type === 'slow') await deps.sleeper.sleep(fault.delayMs);
  await deps.sleeper.sleep(deps.latencyMs);
  if (fault?.type === 'lost-response') {
    // The write above has been applied; the client only ever sees the connection drop.
    request.socket.destroy();
    return;
  }
  if (reply.empty) sendBare(response, reply.status, reply.headers);
  else if (reply.html !== undefined) sendHtml(response, reply.status, reply.html, reply.headers);
  else sendJson(response, reply.status, reply.body, reply.headers);
}

/**
 * An `applied-late` fault: the request is authenticated and admitted (counted by the limits) now,
 * answered with the gateway's status or a dropped connection, and applied later. A request that
 * would have been refused (401, 429, no route) is answered as such and never applied.
 */
async function answerAppliedLate(
  deps: PipelineDeps,
  fault: Extract<FaultKind, { type: 'applied-late' }>,
  request: IncomingMessage,
  response: ServerResponse,
  match: RouteMatch | undefined,
  method: string,
  url: URL,
  bodyText: string,
): Promise<void> {
  const admission = admitRequest(deps, request, match, method, url);
  if (!admission.admitted) {
    sendJson(response, admission.reply.status, admission.reply.body, admission.reply.headers);
    return;
  }
  deps.lateWrites.schedule(fault.afterMs, () => {
    answerRequest(deps, request, match, method, url, bodyText, admission);
  });
  await deps.sleeper.sleep(deps.latencyMs);
  if (fault.answer === 'reset') {
    request.socket.destroy();
    return;
  }
  const reply = answerStatusFault({ type: 'status', status: fault.answer });
  sendJson(response, reply.status, reply.body, reply.headers);
}

type Admission = { admitted: false; reply: Reply } | { admitted: true; match: RouteMatch; headers: Record<string, string> };

/** Authentication, the route and the rate limits: a refusal's reply, or the route and the limiter's headers. */
function admitRequest(
  deps: PipelineDeps,
  request: IncomingMessage,
  match: RouteMatch | undefined,
  method: string,
  url: URL,
): Admission {
  const authFailure = checkAuthorization(request.headers.authorization, deps.accessToken);
  if (authFailure) return { admitted: false, reply: replyWithError(authFailure) };

  if (!match) {
    const status = hasPathMatch(deps.routes, url.pathname) ? 405 : 404;
    const message = status === 405 ? `Method ${method} is not allowed on ${url.pathname}.` : `No route for ${method} ${url.pathname} in the sandbox.`;
    return { admitted: false, reply: replyWithError(new ApiError(status, status === 405 ? 'VALIDATION_ERROR' : 'OBJECT_NOT_FOUND', message)) };
  }

  const decision = deps.limiter.admit(match.route.limit);
  if (!decision.admitted) {
    deps.stats.rateLimited++;
    return { admitted: false, reply: { status: 429, body: { ...decision.body, correlationId: createCorrelationId() }, headers: decision.headers } };
  }
  return { admitted: true, match, headers: decision.headers };
}

function answerRequest(
  deps: PipelineDeps,
  request: IncomingMessage,
  match: RouteMatch | undefined,
  method: string,
  url: URL,
  bodyText: string,
  /** Given when the request was admitted on arrival (an `applied-late` write). */
  admitted?: Extract<Admission, { admitted: true }>,
): Reply {
  const admission = admitted ?? admitRequest(deps, request, match, method, url);
  if (!admission.admitted) return admission.reply;
  const { route, params } = admission.match;
  try {
    const body = parseJsonBody(bodyText);
    const result: RouteResult = route.handle({ params, query: url.searchParams, body, store: deps.store });
    deps.stats.recordsWritten += result.recordsWritten ?? 0;
    return { status: result.status, body: result.body, headers: admission.headers };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { ...replyWithError(error), headers: admission.headers };
  }
}

function checkAuthorization(header: string | undefined, accessToken: string | undefined): ApiError | undefined {
  const token = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  if (!token) return new ApiError(401, 'INVALID_AUTHENTICATION', MISSING_AUTH_MESSAGE);
  if (accessToken !== undefined && token !== accessToken) {
    return new ApiError(401, 'INVALID_AUTHENTICATION', 'Authentication credentials are invalid: the access token was not recognised.');
  }
  return undefined;
}

function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, 'VALIDATION_ERROR', `Invalid input JSON: ${(error as Error).message}`);
  }
}

function replyWithError(error: ApiError): Reply {
  return { status: error.status, body: buildErrorBody(error) };
}

/** The reply a status or auth fault forces, before anything is applied; undefined for faults that let the request through. */
function answerFault(fault: FaultKind | undefined): Reply | undefined {
  if (!fault) return undefined;
  switch (fault.type) {
    case 'status':
      return answerStatusFault(fault);
    case 'auth':
      return fault.status === 401
        ? replyWithError(new ApiError(401, 'EXPIRED_AUTHENTICATION', 'The OAuth token used to make this call expired 1 hour(s) ago.'))
        : replyWithError(
            new ApiError(
              403,
              'MISSING_SCOPES',
              "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
              {
                errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: ['crm.objects.contacts.write'] } }],
                fields: { links: { scopes: 'https://developers.hubspot.com/scopes' } },
              },
            ),
          );
    default:
      // daily-exhausted has already flipped the limiter; reset, slow and lost-response act around the reply.
      return undefined;
  }
}

const STATUS_FAULTS: Record<number, { category: string; message: string; title: string }> = {
  423: { category: 'LOCKED', message: 'This resource is temporarily locked while other writes complete; retry in a few seconds.', title: '423 Locked' },
  500: { category: 'INTERNAL_ERROR', message: 'internal error', title: '500 Internal Server Error' },
  502: { category: 'BAD_GATEWAY', message: 'Bad Gateway', title: '502 Bad Gateway' },
  503: { category: 'SERVICE_UNAVAILABLE', message: 'Service Unavailable', title: '503 Service Temporarily Unavailable' },
  504: { category: 'GATEWAY_TIMEOUT', message: 'Gateway Timeout', title: '504 Gateway Time-out' },
};

function answerStatusFault(fault: Extract<FaultKind, { type: 'status' }>): Reply {
  const headers: Record<string, string> = fault.retryAfterSeconds !== undefined ? { 'Retry-After': String(fault.retryAfterSeconds) } : {};
  if (fault.status === 429) {
    return { status: 429, body: { ...buildRateLimitBody('TEN_SECONDLY_ROLLING'), correlationId: createCorrelationId() }, headers };
  }
  const known = STATUS_FAULTS[fault.status] ?? { category: 'INTERNAL_ERROR', message: 'error', title: String(fault.status) };
  if (fault.emptyBody) return { status: fault.status, headers, empty: true };
  if (fault.htmlBody) {
    // What a gateway in front of HubSpot sends: an HTML page the client cannot parse.
    const html = `<html>\r\n<head><title>${known.title}</title></head>\r\n<body>\r\n<center><h1>${known.title}</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n`;
    return { status: fault.status, html, headers };
  }
  return { status: fault.status, body: buildErrorBody(new ApiError(fault.status, known.category, known.message)), headers };
}
