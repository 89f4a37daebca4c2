/**
 * A local Slack Web API for the demo and the tests, as strict as Slack where pqlsync relies on
 * it (docs/slack.md): a bot token in `Authorization: Bearer`, the token's scopes in
 * `x-oauth-scopes` on every answer and `missing_scope` (with `needed` and `provided`) for a
 * method the token may not call; HTTP 200 with `{ ok: false, error }` for every refusal;
 * chat.postMessage about one message per second per channel and the other methods under their
 * tier's per-minute limit, each answered past the limit with HTTP 429 and `Retry-After` in
 * seconds. `secondMs` shortens Slack's second (tests, never the demo).
 *
 * Methods: auth.test, users.lookupByEmail, conversations.open, chat.postMessage (text, blocks,
 * metadata), conversations.history (oldest, include_all_metadata). Faults, by method and call
 * number or probability: `lost-response` (applied, then the connection drops), `slow` (applied,
 * then answered after a delay), `status` (5xx, or 429 with Retry-After), `reset` (dropped before
 * anything is applied).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPrng } from '../../shared/prng.ts';

/** Per-minute limits of Slack's tiers for the methods served (api.slack.com/apis/rate-limits). */
const TIER_PER_MINUTE: Record<string, number> = {
  'auth.test': 100,
  'users.lookupByEmail': 100,
  'conversations.open': 50,
  'conversations.history': 50,
};

/** The scope each method needs (any one of them for history, by channel kind). */
const SCOPES: Record<string, (channel: string) => string[]> = {
  'auth.test': () => [],
  'users.lookupByEmail': () => ['users:read.email'],
  'conversations.open': () => ['im:write'],
  'chat.postMessage': () => ['chat:write'],
  'conversations.history': (channel) => [channel.startsWith('D') ? 'im:history' : 'channels:history'],
};

export type SlackFault = { type: 'lost-response' } | { type: 'reset' } | { type: 'slow'; delayMs: number } | { type: 'status'; status: number; retryAfterSeconds?: number };

export interface SlackFaultRule {
  /** The Web API method, e.g. chat.postMessage; all when absent. */
  method?: string;
  /** 1-based numbers of the matching calls that fail. */
  onCalls?: number[];
  probability?: number;
  maxTimes?: number;
  fault: SlackFault;
}

export interface SlackSandboxOptions {
  /** The bot token the sandbox accepts; any other is `invalid_auth`. */
  token: string;
  /** The token's scopes (default: every scope pqlsync needs). */
  scopes?: string[];
  /** Length of Slack's second in ms (default 1000). */
  secondMs?: number;
  faults?: SlackFaultRule[];
  seed?: number;
}

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface SlackSandbox {
  url: string;
  /** The URL to give `@slack/web-api` as `slackApiUrl`. */
  apiUrl: string;
  addUser(email: string, name?: string): string;
  addChannel(name: string, options?: { member?: boolean }): string;
  messages(channel?: string): SlackMessage[];
  /** The DM channel of a user, once opened. */
  dmOf(userId: string): string | undefined;
  setFaults(rules: SlackFaultRule[]): void;
  stats: { requests: number; byMethod: Record<string, number>; rateLimited: number };
  stop(): Promise<void>;
}

export const SLACK_SCOPES_ALL = ['chat:write', 'users:read', 'users:read.email', 'im:write', 'im:history', 'channels:history'];

const FOREVER_AGO = 0;

export async function startSlackSandbox(options: SlackSandboxOptions): Promise<SlackSandbox> {
  const secondMs = options.secondMs ?? 1000;
  const scopes = options.scopes ?? SLACK_SCOPES_ALL;
  const users = new Map<string, { id: string; email: string; name: string }>();
  const channels = new Map<string, { id: string; name: string; member: boolean; kind: 'channel' | 'im'; user?: string }>();
  const messages: SlackMessage[] = [];
  const lastPost = new Map<string, number>();
  const calls = new Map<string, number[]>();
  const stats = { requests: 0, byMethod: {} as Record<string, number>, rateLimited: 0 };
  let rules = (options.faults ?? []).map((rule) => ({ rule, matched: 0, fired: 0 }));
  const random = createPrng(options.seed ?? 1);
  let lastTs = FOREVER_AGO;

  const pickFault = (method: string): SlackFault | undefined => {
    let chosen: SlackFault | undefined;
    for (const state of rules) {
      if (state.rule.method && state.rule.method !== method) continue;
      state.matched++;
      const candidate = (!state.rule.onCalls || state.rule.onCalls.includes(state.matched)) && (state.rule.maxTimes === undefined || state.fired < state.rule.maxTimes);
      const draw = state.rule.probability === undefined || random() < state.rule.probability;
      if (candidate && draw && !chosen) {
        state.fired++;
        chosen = state.rule.fault;
      }
    }
    return chosen;
  };

  /** Milliseconds until the method may be called again, or 0 (and the call is counted). */
  const admit = (method: string, channel: string | undefined, now: number): number => {
    if (method === 'chat.postMessage' && channel) {
      const last = lastPost.get(channel);
      if (last !== undefined && now - last < secondMs) return secondMs - (now - last);
      lastPost.set(channel, now);
      return 0;
    }
    const perMinute = TIER_PER_MINUTE[method];
    if (!perMinute) return 0;
    const minute = 60 * secondMs;
    const recent = (calls.get(method) ?? []).filter((t) => now - t < minute);
    if (recent.length >= perMinute) return minute - (now - recent[0]);
    recent.push(now);
    calls.set(method, recent);
    return 0;
  };

  const nextTs = () => {
    // Slack's ts: seconds with six decimals, unique per channel and increasing.
    lastTs = Math.max(lastTs + 1, Date.now() * 1000);
    return `${Math.floor(lastTs / 1e6)}.${String(lastTs % 1e6).padStart(6, '0')}`;
  };

  const methods: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
    'auth.test': () => ({ url: 'https://pqlsync-sandbox.slack.com/', team: 'pqlsync sandbox', user: 'pqlsync', team_id: 'T0SANDBOX', user_id: 'U0PQLSYNC', bot_id: 'B0PQLSYNC' }),
    'users.lookupByEmail': (args) => {
      const email = String(args.email ?? '').toLowerCase();
      if (!email) return { ok: false, error: 'invalid_arguments' };
      const user = [...users.values()].find((u) => u.email === email);
      if (!user) return { ok: false, error: 'users_not_found' };
      return { user: { id: user.id, name: user.name, profile: { email: user.email }, deleted: false, is_bot: false } };
    },
    'conversations.open': (args) => {
      const id = String(args.users ?? '');
      if (!users.has(id)) return { ok: false, error: 'user_not_found' };
      let dm = [...channels.values()].find((c) => c.kind === 'im' && c.user === id);
      if (!dm) {
        dm = { id: `D${String(channels.size + 1).padStart(8, '0')}`, name: id, member: true, kind: 'im', user: id };
        channels.set(dm.id, dm);
      }
      return { channel: { id: dm.id } };
    },
    'chat.postMessage': (args) => {
      const channel = channels.get(String(args.channel ?? ''));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      if (!channel.member) return { ok: false, error: 'not_in_channel' };
      const text = typeof args.text === 'string' ? args.text : '';
      const blocks = parseJson(args.blocks, []);
      if (!Array.isArray(blocks)) return { ok: false, error: 'invalid_blocks' };
      if (!text && blocks.length === 0) return { ok: false, error: 'no_text' };
      if (text.length > 40_000) return { ok: false, error: 'msg_too_long' };
      if (blocks.length > 50) return { ok: false, error: 'invalid_blocks' };
      const metadata = parseJson(args.metadata, undefined) as SlackMessage['metadata'] | undefined;
      if (metadata !== undefined && (typeof metadata !== 'object' || !/^[a-z0-9_]+$/.test(String(metadata.event_type ?? '')) || typeof metadata.event_payload !== 'object')) {
        return { ok: false, error: 'invalid_metadata_format' };
      }
      const message: SlackMessage = { channel: channel.id, ts: nextTs(), text, blocks, ...(metadata ? { metadata } : {}) };
      messages.push(message);
      return { channel: channel.id, ts: message.ts, message: { text, ts: message.ts } };
    },
    'conversations.history': (args) => {
      const channel = channels.get(String(args.channel ?? ''));
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const oldest = Number(args.oldest ?? 0);
      const limit = Math.min(999, Number(args.limit ?? 100));
      const withMetadata = args.include_all_metadata === true || args.include_all_metadata === 'true';
      const found = messages
        .filter((m) => m.channel === channel.id && Number(m.ts) > oldest)
        .sort((a, b) => Number(b.ts) - Number(a.ts));
      const page = found.slice(0, limit);
      return {
        messages: page.map((m) => ({ type: 'message', ts: m.ts, text: m.text, ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}) })),
        has_more: found.length > limit,
      };
    },
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = url.pathname.replace(/^\/api\//, '');
    stats.requests++;
    stats.byMethod[method] = (stats.byMethod[method] ?? 0) + 1;
    const fault = pickFault(method);
    if (fault?.type === 'reset') {
      request.socket.destroy();
      return;
    }
    const body = await readForm(request);
    const headers: Record<string, string> = { 'x-oauth-scopes': scopes.join(','), 'x-accepted-oauth-scopes': (SCOPES[method]?.(String(body.channel ?? '')) ?? []).join(',') };
    if (fault?.type === 'status') {
      if (fault.status === 429) stats.rateLimited++;
      return send(response, fault.status, fault.status === 429 ? { ok: false, error: 'ratelimited' } : 'upstream error', {
        ...headers,
        ...(fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {}),
      });
    }
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? (typeof body.token === 'string' ? body.token : undefined);
    const reply = (status: number, payload: Record<string, unknown>, extra: Record<string, string> = {}) => {
      if (fault?.type === 'lost-response') {
        request.socket.destroy();
        return;
      }
      if (fault?.type === 'slow') {
        const timer = setTimeout(() => send(response, status, payload, { ...headers, ...extra }), fault.delayMs);
        response.on('close', () => clearTimeout(timer));
        return;
      }
      send(response, status, payload, { ...headers, ...extra });
    };
    if (!methods[method]) return reply(200, { ok: false, error: 'unknown_method' });
    if (!token) return reply(200, { ok: false, error: 'not_authed' });
    if (token !== options.token) return reply(200, { ok: false, error: 'invalid_auth' });
    const needed = SCOPES[method](String(body.channel ?? ''));
    if (needed.length > 0 && !needed.some((s) => scopes.includes(s))) {
      return reply(200, { ok: false, error: 'missing_scope', needed: needed.join(','), provided: scopes.join(',') });
    }
    const waitMs = admit(method, typeof body.channel === 'string' ? body.channel : undefined, Date.now());
    if (waitMs > 0) {
      stats.rateLimited++;
      // Slack counts Retry-After in whole seconds; here a second lasts secondMs.
      return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(Math.max(1, Math.ceil(waitMs / secondMs))) });
    }
    const result = methods[method](body);
    reply(200, result.ok === false ? result : { ok: true, ...result });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => send(response, 500, { ok: false, error: `sandbox_error: ${String(error)}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    apiUrl: `${url}/api/`,
    stats,
    addUser(email, name) {
      const id = `U${String(users.size + 1).padStart(8, '0')}`;
      users.set(id, { id, email: email.toLowerCase(), name: name ?? email.split('@')[0] });
      return id;
    },
    addChannel(name, { member = true } = {}) {
      const id = `C${String(channels.size + 1).padStart(8, '0')}`;
      channels.set(id, { id, name, member, kind: 'channel' });
      return id;
    },
    messages: (channel) => messages.filter((m) => !channel || m.channel === channel).map((m) => ({ ...m })),
    dmOf: (userId) => [...channels.values()].find((c) => c.kind === 'im' && c.user === userId)?.id,
    setFaults(next) {
      rules = next.map((rule) => ({ rule, matched: 0, fired: 0 }));
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parseJson(value: unknown, fallback: unknown): unknown {
  if (value === undefined || value === null || value === '') return fallback;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return null;
  }
}

/** Slack takes form-encoded or JSON bodies; `@slack/web-api` sends form-encoded. */
async function readForm(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed || response.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { ...headers, 'Content-Type': typeof body === 'string' ? 'text/plain' : 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)) });
  response.end(text);
}
