/**
 * The official client (`@hubspot/api-client` 13.5), set up the way pqlsync needs it.
 *
 * What 13.5 does, read from its source:
 * - Its retry decorator and Bottleneck limiter live in a process-wide singleton that every
 *   `new Client()` overwrites, and are applied when an API object is first built. We leave
 *   both off (`numberOfApiCallRetries: 0`, no `limiterOptions`) and build our API objects at
 *   once, so that a client created later elsewhere in the process cannot decorate ours.
 * - The generated code sends through `node-fetch` with no timeout and no abort signal, and a
 *   call-time `httpApi` option is ignored (the observable API sends through the module's
 *   configured `httpApi`). What it does honour: the `httpAgent` config option and call-time
 *   `middleware` (merged with `middlewareMergeStrategy: 'append'`, keeping its User-Agent).
 * So a per-request timeout is a socket timeout on our own keep-alive agent (a request
 * silent for `timeoutMs` has its socket destroyed: node-fetch rejects, we retry), backed by
 * a deadline on the whole call; and call-time middleware counts every attempt and keeps the
 * status and headers of every response, for the pacer and for failures the client cannot
 * parse (an HTML 502 becomes a plain Error without a status).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
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

/** One object type's generated APIs: every CRM object module of the client has this shape. */
export type ObjectApis = Pick<Client['crm']['deals'], 'basicApi' | 'batchApi' | 'searchApi'>;

export interface HubSpotApis {
  /** The client's module for an object type: `crm.<name>` (contacts, deals, tickets…) or `crm.objects.<name>` (tasks…). */
  object(name: string): ObjectApis;
  owners: Client['crm']['owners'];
  properties: Client['crm']['properties'];
  pipelines: Client['crm']['pipelines'];
  associations: Client['crm']['associations']['v4'];
  /** The client's generic request, for APIs 13.5 has no module for (sequences): same token and base path. */
  request: Client['apiRequest'];
}

/** A keep-alive agent whose sockets are destroyed after `timeoutMs` without traffic. */
export function createTimeoutAgent(protocol: 'http:' | 'https:', timeoutMs: number): http.Agent {
  const Base = protocol === 'https:' ? https.Agent : http.Agent;
  const agent = new Base({ keepAlive: true, timeout: timeoutMs });
  const create = (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection.bind(agent);
  (agent as unknown as { createConnection: (...args: unknown[]) => Socket }).createConnection = (...args: unknown[]) => {
    const socket = create(...args);
    socket.on('timeout', () => {
      socket.destroy(Object.assign(new Error(`no response within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    return socket;
  };
  return agent;
}

export function createHubSpotApis(options: { accessToken: string; basePath?: string; agent?: http.Agent }): HubSpotApis {
  const client = new Client({
    accessToken: options.accessToken,
    ...(options.basePath ? { basePath: options.basePath.replace(/\/+$/, '') } : {}),
    ...(options.agent ? { httpAgent: options.agent } : {}),
    numberOfApiCallRetries: 0,
  });
  // Built now, while the singleton holds our (empty) decorator list.
  const { crm } = client;
  const modules = new Map<string, ObjectApis>();
  const apis: HubSpotApis = {
    object(name) {
      let module = modules.get(name);
      if (!module) {
        const found = (crm as unknown as Record<string, Partial<ObjectApis> | undefined>)[name] ?? (crm.objects as unknown as Record<string, Partial<ObjectApis> | undefined>)[name];
        if (!found?.batchApi || !found.basicApi || !found.searchApi) throw new Error(`@hubspot/api-client has no module for the object type '${name}'`);
        module = found as ObjectApis;
        modules.set(name, module);
      }
      return module;
    },
    owners: crm.owners,
    properties: crm.properties,
    pipelines: crm.pipelines,
    associations: crm.associations.v4,
    request: (options) => client.apiRequest(options),
  };
  return apis;
}

/** One attempt: the options to pass to the generated method, and what came back. */
export interface Attempt {
  options: CallOptions;
  response?: HttpCapture;
}

interface ResponseLike {
  httpStatusCode: number;
  headers: Record<string, string>;
}

export class HubSpotTransport {
  constructor(
    /** The deadline on a whole call; the agent's socket timeout normally fires first. */
    readonly deadlineMs: number,
    /** Called once per HTTP attempt, just before it is sent. */
    private readonly onSend: () => void,
  ) {}

  /** Options for one attempt; `onDispatch` runs as the request leaves, `onResponse` when its status and headers arrive. */
  attempt(onDispatch?: () => void, onResponse?: () => void): Attempt {
    const attempt: Attempt = { options: undefined };
    const middleware = {
      pre: async (request: unknown) => {
        this.onSend();
        onDispatch?.();
        return request;
      },
      post: async (response: ResponseLike) => {
        onResponse?.();
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(response.headers ?? {})) headers[name.toLowerCase()] = value;
        attempt.response = { status: response.httpStatusCode, headers, text: '' };
        return response;
      },
    };
    attempt.options = { middleware: [middleware], middlewareMergeStrategy: 'append' };
    return attempt;
  }

  /** Runs a call under the deadline; past it, the call counts as a timed-out network error. */
  withDeadline<T>(promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DOMException(`no response within ${this.deadlineMs} ms`, 'TimeoutError')), this.deadlineMs);
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  }
}
