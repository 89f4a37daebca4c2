/**
 * The handoff's actions outside the CRM records, run after the handoff syncs (src/run/steps.ts),
 * under a lock of their own: sequence enrolments (./sequences.ts) and Slack messages
 * (./slack-messages.ts), each once per episode, for episodes true at the run's as-of.
 */
import type { Destination } from '../../connectors/destination.ts';
import { slackFromEnv, type SlackClient } from '../../connectors/slack/slack.client.ts';
import { ConfigError } from '../../contracts/errors.ts';
import type { Session } from '../run/session.ts';
import { HandoffActionStore, type CandidateQuery } from '../state/handoff-actions-state.ts';
import { personColumn } from '../state/handoff-state.ts';
import { enrolSequences, type SequenceResult } from './sequences.ts';
import { postSlackMessages, type SlackResult } from './slack-messages.ts';

const LOCK = '__handoff_actions';

export interface HandoffActionsResult {
  sequences: SequenceResult | null;
  slack: SlackResult | null;
  /** Requests made to Slack. */
  slackRequests: number;
}

/** What the next sync's handoff actions would do, for the episodes as the last handoff left them. */
export interface HandoffActionsPlan {
  asOf: string;
  sequences: { toEnrol: number; waiting: number } | null;
  slack: { toMessage: number; waiting: number } | null;
}

/**
 * Plans the handoff's actions without a request and without writing anything a sync reads: the
 * episodes true at the last handoff's as-of that are not done yet. `null` without sequences or
 * Slack in pqlsync.yml, or before the first handoff (a plan never advances episodes).
 */
export async function planHandoffActions(session: Session): Promise<HandoffActionsPlan | null> {
  const config = session.project.config.handoff;
  if (!config || (!config.sequences && !config.slack)) return null;
  const store = new HandoffActionStore(session.warehouse, session.project.config.state_schema);
  const asOf = await store.lastHandoffAt();
  if (!asOf) return null;
  const query = { ...(await candidateQuery(session)), asOf };
  const plan: HandoffActionsPlan = { asOf, sequences: null, slack: null };
  if (config.sequences) {
    plan.sequences = { toEnrol: 0, waiting: 0 };
    const seen = new Set<string>();
    for (const rule of config.sequences) {
      for await (const page of store.candidates({ ...query, action: 'sequence', signals: rule.signals, routeGroups: rule.motions })) {
        for (const c of page) {
          if (seen.has(c.episodeKey)) continue;
          seen.add(c.episodeKey);
          if (c.contactId && c.ownerId) plan.sequences.toEnrol++;
          else plan.sequences.waiting++;
        }
      }
    }
  }
  if (config.slack) {
    plan.slack = { toMessage: 0, waiting: 0 };
    for await (const page of store.candidates({ ...query, action: 'slack', signals: config.slack.signals })) {
      for (const c of page) {
        if ((config.slack.to === 'owner' && c.ownerEmail) || config.slack.channel) plan.slack.toMessage++;
        else plan.slack.waiting++;
      }
    }
  }
  return plan;
}

export function reportHandoffActionsPlan(log: Session['log'], plan: HandoffActionsPlan | null): void {
  if (!plan) return;
  const parts = [
    plan.sequences ? `${plan.sequences.toEnrol} sequence enrolments to try${plan.sequences.waiting ? ` (${plan.sequences.waiting} more waiting for an owner or a contact id)` : ''}` : null,
    plan.slack ? `${plan.slack.toMessage} episodes to message in Slack${plan.slack.waiting ? ` (${plan.slack.waiting} more waiting for an owner)` : ''}` : null,
  ].filter(Boolean);
  log.info(`Plan for handoff actions (episodes as of the last handoff, ${plan.asOf}): ${parts.join('; ')}`, { event: 'handoff_actions_plan', ...plan });
}

async function candidateQuery(session: Session): Promise<Omit<CandidateQuery, 'action' | 'signals' | 'routeGroups'>> {
  const config = session.project.config;
  const signals = config.handoff ? { schema: config.schema, name: config.handoff.signals_model } : null;
  const names = (object: string) => config.syncs.filter((s) => s.object === object).map((s) => s.name);
  return {
    asOf: session.asOf,
    skipFirstRun: config.handoff?.first_run === 'skip',
    people: signals && (await personColumn(session.warehouse, signals)) === 'user_id' ? signals : undefined,
    recordSyncs: { contacts: names('contacts'), companies: names('companies'), deals: names('deals') },
  };
}

export async function runHandoffActions(
  session: Session,
  destination: Destination,
  options: { lockTtlMs?: number; slack?: SlackClient } = {},
): Promise<HandoffActionsResult | null> {
  const config = session.project.config.handoff;
  if (!config || (!config.sequences && !config.slack)) return null;
  const slack = config.slack ? (options.slack ?? slackFromEnv(session.env)) : null;
  if (config.slack && !slack) throw new ConfigError('pqlsync.yml handoff.slack: SLACK_BOT_TOKEN is not set (a Slack bot token with chat:write, users:read.email, im:write, im:history)');
  const store = new HandoffActionStore(session.warehouse, session.project.config.state_schema);
  await store.ensureTables();
  const query = await candidateQuery(session);
  await session.state.acquireLock(LOCK, session.runId, options.lockTtlMs ?? 10 * 60_000);
  const result: HandoffActionsResult = { sequences: null, slack: null, slackRequests: 0 };
  const slackBefore = slack?.stats.requests ?? 0;
  try {
    if (config.sequences) result.sequences = await enrolSequences({ store, destination, query, runId: session.runId }, config.sequences);
    if (config.slack && slack) {
      const configured = config.slack.portal_id;
      let portal: Promise<string | undefined> | undefined;
      // The portal the token reaches (one request, only when a message is composed), unless pqlsync.yml names it.
      const portalId = () => (portal ??= configured ? Promise.resolve(configured) : destination.accountId().catch(() => undefined));
      result.slack = await postSlackMessages({ store, slack, query, runId: session.runId, portalId }, config.slack);
    }
  } finally {
    result.slackRequests = (slack?.stats.requests ?? 0) - slackBefore;
    await session.state.releaseLock(LOCK, session.runId).catch(() => undefined);
  }
  const s = result.sequences;
  const m = result.slack;
  session.log.info(
    `  handoff actions:${s ? ` sequences ${s.enrolled} enrolled, ${s.alreadyEnrolled} already in a sequence, ${s.refused} refused${s.waiting ? `, ${s.waiting} waiting` : ''}${s.unanswered ? `, ${s.unanswered} unanswered` : ''};` : ''}` +
      `${m ? ` Slack ${m.sent} episodes messaged${m.recovered ? ` (${m.recovered} found already posted)` : ''}, ${m.refused} refused${m.waiting ? `, ${m.waiting} waiting` : ''}${m.unanswered ? `, ${m.unanswered} unanswered` : ''}` : ''}`,
    { event: 'handoff_actions', sequences: s, slack: m, slack_requests: result.slackRequests },
  );
  return result;
}
