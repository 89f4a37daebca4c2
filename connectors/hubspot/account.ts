/**
 * Which portal a token reaches: `GET /account-info/v3/details` answers its `portalId`
 * (docs/hubspot.md, "Which portal"). The official client 13.5 has no API object for it, so it
 * goes through `fetch`, paced and retried like every other call by the request executor.
 */
import { DestinationError } from '../../contracts/errors.ts';
import type { RequestExecutor } from './retry.ts';

export interface AccountContext {
  exec: RequestExecutor;
  accessToken: string;
  basePath: string;
  /** The answer's headers (lower-case names): the daily budget's are read from them. */
  onHeaders?: (headers: Record<string, string>) => void;
  /** Called as each attempt is sent (the destination's request count; the client's calls count in its transport). */
  onRequest?: () => void;
}

/** The portal id the token belongs to, as a string. Throws AuthError for a bad token. */
export async function readPortalId(ctx: AccountContext): Promise<string> {
  const result = await ctx.exec.run<{ portalId?: number | string }>('crm', 'account info', () => getJson(ctx, '/account-info/v3/details'));
  if (!result.ok) throw new DestinationError(`reading the portal's account info: ${result.kind === 'exhausted' ? result.message : result.failure.message}`);
  const id = result.data?.portalId;
  if (id === undefined || id === null || String(id) === '') throw new DestinationError('HubSpot answered account info without a portalId');
  return String(id);
}

/** A GET that resolves like the client's `...WithHttpInfo` methods and rejects like their ApiException. */
async function getJson(ctx: AccountContext, path: string): Promise<{ httpStatusCode: number; data: unknown }> {
  ctx.onRequest?.();
  const response = await fetch(`${ctx.basePath.replace(/\/+$/, '')}${path}`, {
    headers: { authorization: `Bearer ${ctx.accessToken}`, accept: 'application/json' },
  });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name.toLowerCase()] = value;
  });
  ctx.onHeaders?.(headers);
  const text = await response.text();
  if (!response.ok) throw Object.assign(new Error(`HTTP ${response.status}`), { code: response.status, body: text, headers });
  return { httpStatusCode: response.status, data: text ? JSON.parse(text) : {} };
}
