/**
 * Doctor's checks of the handoff's actions and the alerts: the Slack bot token and its scopes
 * (`auth.test`; the scopes come back in `x-oauth-scopes`, docs/slack.md), and each sequence of
 * `handoff.sequences` as each owner who may send it sees it (docs/hubspot.md, "Sequences"): an
 * unknown sequence id, or an owner HubSpot does not let use it (no Sales Hub seat), fails, naming
 * both. Only reads; no token reaches a message.
 */
import { slackFromEnv } from '../../connectors/slack/slack.client.ts';
import { SEQUENCES_PATH } from '../../connectors/hubspot/sequences.ts';
import type { Project } from '../config/load-project.ts';
import type { DoctorCheck } from './doctor.ts';

const HUBSPOT_ORIGIN = 'https://api.hubapi.com';
const TIMEOUT_MS = 15_000;

/** The Slack scopes each use needs. */
export function slackScopesNeeded(project: Project): string[] {
  const needed = new Set<string>();
  const slack = project.config.handoff?.slack;
  if (slack) {
    needed.add('chat:write');
    if (slack.to === 'owner') ['users:read', 'users:read.email', 'im:write', 'im:history'].forEach((s) => needed.add(s));
    if (slack.channel) needed.add('channels:history');
  }
  if (project.config.alerts?.slack_channel) needed.add('chat:write');
  return [...needed].sort();
}

export async function checkHandoffActions(input: { project: Project | undefined; env: NodeJS.ProcessEnv; fetch?: typeof fetch }): Promise<DoctorCheck[]> {
  const { project } = input;
  if (!project) return [];
  const checks: DoctorCheck[] = [];
  const needed = slackScopesNeeded(project);
  if (needed.length > 0) checks.push(await checkSlack(input.env, needed));
  if (project.config.handoff?.sequences) checks.push(await checkSequences(project, input.env, input.fetch ?? fetch));
  return checks;
}

async function checkSlack(env: NodeJS.ProcessEnv, needed: string[]): Promise<DoctorCheck> {
  const slack = slackFromEnv(env, { maxAttempts: 2, maxRateLimitWaits: 2, timeoutMs: TIMEOUT_MS });
  if (!slack) {
    return {
      check: 'slack token',
      status: 'failed',
      detail: `SLACK_BOT_TOKEN is not set (handoff.slack or alerts.slack_channel post to Slack)`,
      fix: `create a Slack app with a bot token and the scopes ${needed.join(', ')}, install it, and export SLACK_BOT_TOKEN=<its xoxb- token>`,
    };
  }
  try {
    const auth = await slack.authTest();
    const missing = needed.filter((s) => !auth.scopes.includes(s));
    if (missing.length > 0) {
      return {
        check: 'slack token',
        status: 'failed',
        detail: `the Slack token of ${auth.user} in ${auth.team} lacks the scope(s) ${missing.join(', ')} (it has: ${auth.scopes.join(', ') || 'none'})`,
        fix: `add ${missing.join(', ')} under OAuth & Permissions → Bot Token Scopes, reinstall the app, and export the new SLACK_BOT_TOKEN`,
      };
    }
    return { check: 'slack token', status: 'ok', detail: `Slack accepts the token (${auth.user} in ${auth.team}) with the scopes pqlsync needs: ${needed.join(', ')}` };
  } catch (error) {
    return {
      check: 'slack token',
      status: 'failed',
      detail: error instanceof Error ? error.message : String(error),
      fix: 'check SLACK_BOT_TOKEN (a bot token, xoxb-…) and that the app is installed in the workspace',
    };
  }
}

/** Each sequence, read as each active owner of the groups (motions) it is sent for. */
async function checkSequences(project: Project, env: NodeJS.ProcessEnv, http: typeof fetch): Promise<DoctorCheck> {
  const token = env.HUBSPOT_ACCESS_TOKEN?.trim();
  if (!token) return { check: 'sequences', status: 'skipped', detail: 'no HubSpot token' };
  const origin = (env.HUBSPOT_BASE_PATH || HUBSPOT_ORIGIN).replace(/\/+$/, '');
  const get = async (path: string) => {
    try {
      const answer = await http(`${origin}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- HubSpot's JSON, read with optional chaining
      return { status: answer.status, body: (await answer.json().catch(() => undefined)) as any };
    } catch (error) {
      return { status: 0, body: { message: error instanceof Error ? error.message : String(error) } };
    }
  };
  const owners = new Map<string, string>();
  let after: string | undefined;
  do {
    const page = await get(`/crm/v3/owners?limit=500${after ? `&after=${after}` : ''}`);
    if (page.status !== 200) return { check: 'sequences', status: 'failed', detail: `reading the portal's owners: HTTP ${page.status} ${page.body?.message ?? ''}`.trim(), fix: 'the token needs crm.objects.owners.read' };
    for (const o of page.body?.results ?? []) if (o.email && o.userId !== undefined) owners.set(String(o.email).toLowerCase(), String(o.userId));
    after = page.body?.paging?.next?.after;
  } while (after);
  const groups = project.config.handoff?.routing?.groups ?? {};
  const problems: string[] = [];
  const seen: string[] = [];
  for (const [i, rule] of project.config.handoff!.sequences!.entries()) {
    const senders = Object.entries(groups)
      .filter(([group]) => !rule.motions || rule.motions.includes(group))
      .flatMap(([, g]) => g.owners ?? []);
    for (const email of senders) {
      const userId = owners.get(email.toLowerCase());
      if (!userId) {
        problems.push(`handoff.sequences.${i}: ${email} is not an active HubSpot user`);
        continue;
      }
      const answer = await get(`${SEQUENCES_PATH}/${encodeURIComponent(rule.sequence_id)}?userId=${userId}`);
      if (answer.status === 200) seen.push(`${rule.sequence_id} "${answer.body?.name ?? ''}" as ${email}`);
      else problems.push(`handoff.sequences.${i}: sequence ${rule.sequence_id} as ${email} (user ${userId}): HTTP ${answer.status} ${answer.body?.message ?? ''}`.trim());
    }
  }
  if (problems.length > 0) {
    return {
      check: 'sequences',
      status: 'failed',
      detail: problems.join('; '),
      fix: 'check the sequence id (its URL in HubSpot) and give each sending owner a Sales Hub or Service Hub Professional/Enterprise seat; the token needs automation.sequences.read and automation.sequences.enrollments.write',
    };
  }
  return { check: 'sequences', status: 'ok', detail: `each sender can use its sequence: ${seen.join(', ') || 'no owners listed (team groups are checked when the run routes)'}` };
}
