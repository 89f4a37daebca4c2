/**
 * Doctor's HubSpot checks: the token (a 401 fails it, whatever there is to send), its scopes,
 * the mapped property names HubSpot would refuse to create, and whether the token reaches the
 * portal the sync state was delivered to. Only reads; the token never reaches a message.
 */
import { reservedPropertyProblems } from '../../connectors/hubspot/properties.ts';
import { describeCreateMode, identityProperty, isObjectTypeName, OBJECT_TYPES, ownsIdentity } from '../../connectors/hubspot/objects/object-types.ts';
import type { Project } from '../config/load-project.ts';
import { accountMismatchMessage } from '../state/state-store.ts';
import type { DoctorCheck } from './doctor.ts';

const HUBSPOT_ORIGIN = 'https://api.hubapi.com';
const TIMEOUT_MS = 15_000;

/** The scopes pqlsync needs for HubSpot objects: each type's folder lists its own (read and write its records and its property schema). */
export function requiredScopes(objects: string[]): string[] {
  return [...new Set([...new Set(objects)].flatMap((o) => (isObjectTypeName(o) ? OBJECT_TYPES[o].scopes : [])))];
}

/** The scope a read of an object type's records or property schema needs (from its folder's scopes). */
function readScope(object: string, what: 'objects' | 'schemas'): string {
  const scopes = isObjectTypeName(object) ? OBJECT_TYPES[object].scopes : [];
  return scopes.find((s) => s.includes(`.${what}.`) && s.endsWith('.read')) ?? scopes[0] ?? `crm.${what}.${object}.read`;
}

export interface HubSpotCheckInput {
  project: Project | undefined;
  env: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
  /** The portal the sync state is bound to (null: never synced), when the warehouse could say. */
  state?: { schema: string; boundAccount: string | null };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- HubSpot's JSON, read with optional chaining
type Answer = { status: number; body?: any } | { error: string };

export async function checkHubSpot(input: HubSpotCheckInput): Promise<DoctorCheck[]> {
  const token = input.env.HUBSPOT_ACCESS_TOKEN?.trim();
  const skipLater = (why: string): DoctorCheck[] => [
    { check: 'properties', status: 'skipped', detail: why },
    { check: 'portal', status: 'skipped', detail: why },
  ];
  if (!token) {
    return [
      {
        check: 'hubspot token',
        status: 'failed',
        detail: 'HUBSPOT_ACCESS_TOKEN is not set',
        fix: 'create a private app in HubSpot (Settings → Integrations → Private apps) and export HUBSPOT_ACCESS_TOKEN=<its token>; never put it in pqlsync.yml',
      },
      { check: 'hubspot scopes', status: 'skipped', detail: 'no token' },
      ...skipLater('no token'),
    ];
  }
  const origin = (input.env.HUBSPOT_BASE_PATH || HUBSPOT_ORIGIN).replace(/\/+$/, '');
  const where = origin === HUBSPOT_ORIGIN ? 'HubSpot' : `HubSpot at ${origin}`;
  const http = input.fetch ?? fetch;
  const get = async (path: string): Promise<Answer> => {
    try {
      const answer = await http(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      const body = answer.ok ? await answer.json().catch(() => undefined) : await answer.body?.cancel();
      return { status: answer.status, body };
    } catch (error) {
      return { error: error instanceof Error ? error.message : String(error) };
    }
  };
  const objects = input.project ? [...new Set(input.project.config.syncs.map((s) => s.object as string))] : ['contacts', 'companies'];

  const access = await checkAccess({ token, origin, where, http, get, objects });
  if (access[0].status !== 'ok') return [...access, ...skipLater('the token was not accepted')];
  return [...access, await checkReservedNames(input.project, objects, get), ...(await checkCreateModes(input.project, get)), await checkPortal(input.state, get, where)];
}

/**
 * 'task keys', for syncs whose key HubSpot may refuse unique values for (tasks): how each record
 * is made once in this portal, upserted by a unique key or journaled and reconciled
 * (docs/hubspot.md, "Tasks and unique values"). One line per sync; none without such a sync.
 */
async function checkCreateModes(project: Project | undefined, get: (path: string) => Promise<Answer>): Promise<DoctorCheck[]> {
  const syncs = (project?.config.syncs ?? []).filter((s) => OBJECT_TYPES[s.object].identity.uniqueMayBeRefused && ownsIdentity(s));
  if (syncs.length === 0) return [];
  const lines: string[] = [];
  for (const sync of syncs) {
    const answer = await get(`/crm/v3/properties/${sync.object}`);
    if ('error' in answer || answer.status !== 200) {
      return [{ check: 'task keys', status: 'skipped', detail: `the ${sync.object} properties could not be read (${'error' in answer ? answer.error : answer.status})` }];
    }
    const name = identityProperty(sync);
    const key = ((answer.body?.results ?? []) as Array<{ name: string; hasUniqueValue?: boolean }>).find((p) => p.name === name);
    const through = OBJECT_TYPES[sync.object].identity.uniqueMayBeRefused!.foundThrough;
    lines.push(
      key
        ? `${sync.name}: ${describeCreateMode(sync, key.hasUniqueValue ? null : through)}`
        : `${sync.name}: ${name} does not exist yet; the first sync asks for it with unique values and, if the portal refuses them, journals and reconciles each ${sync.object.replace(/s$/, '')} instead`,
    );
  }
  return [{ check: 'task keys', status: 'ok', detail: lines.join('; ') }];
}

interface AccessContext {
  token: string;
  origin: string;
  where: string;
  http: typeof fetch;
  get: (path: string) => Promise<Answer>;
  objects: string[];
}

/** 'hubspot token' and 'hubspot scopes'. */
async function checkAccess({ token, origin, where, http, get, objects }: AccessContext): Promise<[DoctorCheck, DoctorCheck]> {
  const needed = requiredScopes(objects);
  // A private app's token says which scopes it has (POST /oauth/v2/private-apps/get/access-token-info).
  let granted: string[] | undefined;
  let portal: unknown;
  try {
    const answer = await http(`${origin}/oauth/v2/private-apps/get/access-token-info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tokenKey: token }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (answer.ok) {
      const info = (await answer.json()) as { scopes?: unknown; hubId?: unknown };
      if (Array.isArray(info.scopes)) granted = info.scopes.map(String);
      portal = info.hubId;
    }
  } catch {
    // Not answered: the probes below reach the same endpoints a sync does.
  }

  if (granted) {
    const missing = needed.filter((s) => !granted!.includes(s));
    const known: DoctorCheck = { check: 'hubspot token', status: 'ok', detail: `${where} knows the token (private app${portal ? ` in portal ${portal}` : ''})` };
    if (missing.length > 0) {
      return [
        known,
        {
          check: 'hubspot scopes',
          status: 'failed',
          detail: `the token lacks ${missing.join(', ')} (the syncs write ${objects.join(', ')})`,
          fix: "add those scopes to the private app (Settings → Integrations → Private apps → your app → Scopes), commit the change, and use the app's token",
        },
      ];
    }
    return [known, { check: 'hubspot scopes', status: 'ok', detail: `the token has every scope the syncs need: ${needed.join(', ')}` }];
  }

  // No token info (an OAuth token, an older portal, the sandbox): read what a sync reads first.
  const probes = objects.flatMap((o) => [
    { path: `/crm/v3/properties/${o}`, scope: readScope(o, 'schemas') },
    { path: `/crm/v3/objects/${o}?limit=1`, scope: readScope(o, 'objects') },
  ]);
  const missing: string[] = [];
  for (const probe of probes) {
    const answer = await get(probe.path);
    if ('error' in answer) {
      return [
        { check: 'hubspot token', status: 'failed', detail: `${where} did not answer: ${answer.error}`, fix: 'check the network (and HUBSPOT_BASE_PATH, if you set it)' },
        { check: 'hubspot scopes', status: 'skipped', detail: 'HubSpot unreachable' },
      ];
    }
    if (answer.status === 401) {
      return [
        {
          check: 'hubspot token',
          status: 'failed',
          detail: `${where} rejected the token (401: unknown, revoked or expired)`,
          fix: "copy the token again from the private app's Auth tab (or rotate it) and export HUBSPOT_ACCESS_TOKEN",
        },
        { check: 'hubspot scopes', status: 'skipped', detail: 'the token was rejected' },
      ];
    }
    if (answer.status === 403) missing.push(probe.scope);
    else if (answer.status >= 400) {
      return [
        { check: 'hubspot token', status: 'failed', detail: `${where} answered ${answer.status} to GET ${probe.path.split('?')[0]}`, fix: 'retry later; if it persists, check status.hubspot.com' },
        { check: 'hubspot scopes', status: 'skipped', detail: `HubSpot answered ${answer.status}` },
      ];
    }
  }
  const accepted: DoctorCheck = { check: 'hubspot token', status: 'ok', detail: `${where} accepts the token` };
  if (missing.length > 0) {
    return [
      accepted,
      { check: 'hubspot scopes', status: 'failed', detail: `HubSpot refused reads that need ${missing.join(', ')} (403)`, fix: `give the private app the scopes ${needed.join(', ')}` },
    ];
  }
  return [
    accepted,
    {
      check: 'hubspot scopes',
      status: 'ok',
      detail: `reads of ${objects.join(', ')} and their properties are allowed; write scopes (${needed.filter((s) => s.endsWith('.write')).join(', ')}) cannot be checked without writing: HubSpot gave no token info`,
    },
  ];
}

/** 'properties': no mapping needs a property HubSpot refuses to create (docs/hubspot.md, "Reserved property names"). */
async function checkReservedNames(project: Project | undefined, objects: string[], get: (path: string) => Promise<Answer>): Promise<DoctorCheck> {
  if (!project) return { check: 'properties', status: 'skipped', detail: 'no config' };
  const existing = new Map<string, Set<string>>();
  for (const object of objects) {
    const answer = await get(`/crm/v3/properties/${object}`);
    if ('error' in answer || answer.status !== 200) {
      return { check: 'properties', status: 'skipped', detail: `the ${object} properties could not be read (${'error' in answer ? answer.error : answer.status})` };
    }
    existing.set(object, new Set(((answer.body?.results ?? []) as Array<{ name: string }>).map((p) => p.name)));
  }
  const problems = reservedPropertyProblems(project.config.syncs, (object, name) => existing.get(object)?.has(name) ?? false);
  if (problems.length > 0) {
    return { check: 'properties', status: 'failed', detail: problems.join('; '), fix: 'rename the property in pqlsync.yml: names starting with hs_ are HubSpot\'s own' };
  }
  const mapped = project.config.syncs.reduce((n, s) => n + s.properties.length, 0);
  return { check: 'properties', status: 'ok', detail: `${mapped} mapped properties: each exists or can be created (no new hs_ name)` };
}

/** 'portal': the token reaches the portal the sync state describes (docs/delivery.md, "One portal per state"). */
async function checkPortal(state: HubSpotCheckInput['state'], get: (path: string) => Promise<Answer>, where: string): Promise<DoctorCheck> {
  const answer = await get('/account-info/v3/details');
  if ('error' in answer || answer.status !== 200 || answer.body?.portalId === undefined) {
    const why = 'error' in answer ? answer.error : `answer ${answer.status}`;
    return { check: 'portal', status: 'failed', detail: `${where} did not say which portal the token reaches (GET /account-info/v3/details: ${why})`, fix: 'a sync reads it before sending; retry later, or check HUBSPOT_BASE_PATH' };
  }
  const portal = String(answer.body.portalId);
  if (!state) return { check: 'portal', status: 'skipped', detail: `the token reaches portal ${portal}; the sync state could not be read` };
  if (state.boundAccount === null) return { check: 'portal', status: 'ok', detail: `the token reaches portal ${portal}; the state in schema '${state.schema}' has not been delivered anywhere yet (the next run is a first sync)` };
  if (state.boundAccount === portal) return { check: 'portal', status: 'ok', detail: `the token reaches portal ${portal}, the one the state in schema '${state.schema}' was delivered to` };
  return {
    check: 'portal',
    status: 'failed',
    detail: `the token reaches portal ${portal}, but the state in schema '${state.schema}' was delivered to portal ${state.boundAccount}: pqlsync run would stop (exit 2)`,
    fix: accountMismatchMessage(state.schema, state.boundAccount, portal),
  };
}
