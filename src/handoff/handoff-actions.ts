/**
 * The handoff's actions outside the CRM records, run after the handoff syncs (src/run/steps.ts),
 * under a lock of their own: sequence enrolments (./sequences.ts) and Slack messages
 * (./slack-messages.ts), each once per episode, for episodes true at the run's as-of.
 */
import type { Destination } from '../../connectors/destination.ts';
import { slackFromEnv, type SlackClient } from '../../connectors/slack/slack.client.ts';
import { ConfigError } from '../errors.ts';
import type { Session } from '../run/session.ts';
import { HandoffActionStore, type CandidateQuery } from '../state/handoff-actions-state.ts';
import { enrolSequences, type SequenceResult } from './sequences.ts';
import { postSlackMessages, type SlackResult } from './slack-messages.ts';

const LOCK = '__handoff_actions';

export interface HandoffActionsResult {
  sequences: SequenceResult | null;
  slack: SlackResult | null;
  /** Requests made to Slack. */
  slackRequests: number;
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
  const syncs = session.project.config.syncs;
  const names = (object: string) => syncs.filter((s) => s.object === object).map((s) => s.name);
  const query: Omit<CandidateQuery, 'action' | 'signals' | 'routeGroups'> = {
    asOf: session.asOf,
    skipFirstRun: config.first_run === 'skip',
    recordSyncs: { contacts: names('contacts'), companies: names('companies'), deals: names('deals') },
  };
  await session.state.acquireLock(LOCK, session.runId, options.lockTtlMs ?? 10 * 60_000);
  const result: HandoffActionsResult = { sequences: null, slack: null, slackRequests: 0 };
  const slackBefore = slack?.stats.requests ?? 0;
  try {
    if (config.sequences) result.sequences = await enrolSequences({ store, destination, query, runId: session.runId }, config.sequences);
    if (config.slack && slack) result.slack = await postSlackMessages({ store, slack, query, runId: session.runId }, config.slack);
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
