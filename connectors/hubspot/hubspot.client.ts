/**
 * The official client (`@hubspot/api-client` 13.5), set up the way pqlsync needs it.
 *
 * - Its retry decorator and Bottleneck limiter live in a process-wide singleton that every
 *   `new Client()` overwrites, and are applied when an API object is first built. We leave
 *   both off (`numberOfApiCallRetries: 0`, no `limiterOptions`) and build our API objects at
 *   once, so that a client created later elsewhere in the process cannot decorate ours.
 * - The generated code sends through `node-fetch` without a timeout or an abort signal. Each
 *   call takes call-time options, `httpApi` among them: we hand it our own transport (global
 *   `fetch` with `AbortSignal.timeout`), which also keeps the raw status, headers and body of
 *   every attempt for the pacer and for classifying failures the client cannot parse.
 *   `middlewareMergeStrategy: 'append'` keeps the client's own middleware (User-Agent).
 */
import { Client } from '@hubspot/api-client';
import type { HttpCapture } from './errors.ts';

/**
 * Call-time options handed to a generated method. Each generated module declares its own
 * (structurally identical) option types, so one value serves them all.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type CallOptions = any;

/** What the generated `...WithHttpInfo` methods resolve to. */
export interface HttpInfoLike<T> {
  httpStatusCode: number;
  data: T;
}

export interface HubSpotApis {
  contacts: Client['crm']['contacts'];
  companies: Client['crm']['companies'];
  properties: Client['crm']['properties'];
}

export function createHubSpotApis(options: { accessToken: string; basePath?: string }): HubSpotApis {
  const client = new Client({
    accessToken: options.accessToken,
    ...(options.basePath ? { basePath: options.basePath.replace(/\/+$/, '') } : {}),
    numberOfApiCallRetries: 0,
  });
  // Built now, while the singleton holds our (empty) decorator list.
  return { contacts: client.crm.contacts, companies: client.crm.companies, properties: client.crm.properties };
}

/** The subset of the generated RequestContext our transport reads. */
interface RequestLike {
  getUrl(): string;
  getHttpMethod(): string;
  getHeaders(): Record<string, string>;
  getBody(): unknown;
}

/** The generated code's minimal Observable: `toPromise` and `pipe`. */
class PromiseObservable<T> {
  constructor(private readonly promise: Promise<T>) {}
  toPromise(): Promise<T> {
    return this.promise;
  }
  pipe<S>(callback: (value: T) => S | Promise<S>): PromiseObservable<S> {
    return new PromiseObservable(this.promise.then(callback));
  }
}

function responseContext(status: number, headers: Record<string, string>, text: string) {
  return {
    httpStatusCode: status,
    headers,
    body: { text: async () => text, binary: async () => Buffer.from(text) },
    getParsedHeader: () => ({}),
    getBodyAsAny: async () => text,
    getBodyAsFile: async () => ({ data: Buffer.from(text), name: '' }),
  };
}

/** One attempt: the options to pass to the generated method, and what the transport saw. */
export interface Attempt {
  options: CallOptions;
  response?: HttpCapture;
}

export class HubSpotTransport {
  constructor(
    private readonly timeoutMs: number,
    /** Called once per HTTP attempt, before it is sent. */
    private readonly onSend: () => void,
  ) {}

  attempt(): Attempt {
    const attempt: Attempt = { options: undefined };
    const httpApi = {
      send: (request: RequestLike) => new PromiseObservable(this.send(request, attempt)),
    };
    attempt.options = { httpApi, middleware: [], middlewareMergeStrategy: 'append' };
    return attempt;
  }

  private async send(request: RequestLike, attempt: Attempt) {
    this.onSend();
    const body = request.getBody();
    const response = await fetch(request.getUrl(), {
      method: request.getHttpMethod(),
      headers: request.getHeaders(),
      body: body === undefined || body === null || body === '' ? undefined : (body as string),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await response.text();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name.toLowerCase()] = value;
    });
    attempt.response = { status: response.status, headers, text };
    return responseContext(response.status, headers, text);
  }
}
