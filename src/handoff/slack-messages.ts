/**
 * A Slack message about each new sales-ready contact or account and each hot trigger, once per
 * episode (pqlsync.yml handoff.slack; docs/slack.md): to the contact's routed owner (their
 * HubSpot email → Slack user with users.lookupByEmail, then their direct-message channel) or to
 * a channel. Who, the score and the reasons in words (the episode's task text), links to the
 * contact, company and deal in HubSpot. Up to ten episodes share one message per recipient;
 * chat.postMessage is paced to one message a second per channel (connectors/slack).
 *
 * chat.postMessage is not idempotent, so every message carries its episode keys in Slack's
 * message metadata, and is recorded `pending` before it is posted. A post whose answer was lost,
 * and every message a killed run left pending, is looked for in the channel's history before
 * anything is posted again: found, it is recorded as sent; not found, it is posted.
 */
import type { SlackClient } from '../../connectors/slack/slack.client.ts';
import type { HandoffConfig } from '../config/schema.ts';
import type { ActionCandidate, ActionRecord, CandidateQuery, HandoffActionStore } from '../state/handoff-actions-state.ts';

export interface SlackResult {
  sent: number;
  /** Episodes whose message was found in Slack after a lost answer or a kill. */
  recovered: number;
  /** Refused (no Slack user for the owner, a channel that refused): row errors. */
  refused: number;
  /** No owner yet and no channel to fall back to: tried next run. */
  waiting: number;
  /** Posted without an answer and not found: tried again next run. */
  unanswered: number;
}

export interface SlackContext {
  store: HandoffActionStore;
  slack: SlackClient;
  /** The HubSpot portal id for record links, asked for only when a message is composed. */
  portalId: () => Promise<string | undefined>;
  query: Omit<CandidateQuery, 'action' | 'signals' | 'routeGroups'>;
  runId: string;
}

const PER_MESSAGE = 10;
export const SLACK_EVENT_TYPE = 'pqlsync_handoff';
/** How far before a pending message's record its post may have landed (clocks differ). */
const HISTORY_SLACK_S = 120;

type SlackConfig = NonNullable<HandoffConfig['slack']>;

export async function postSlackMessages(ctx: SlackContext, config: SlackConfig): Promise<SlackResult> {
  const result: SlackResult = { sent: 0, recovered: 0, refused: 0, waiting: 0, unanswered: 0 };
  result.recovered = await recoverPending(ctx);
  const channels = new Map<string, { channel: string } | { error: string; message: string }>();
  for await (const page of ctx.store.candidates({ ...ctx.query, action: 'slack', signals: config.signals })) {
    const byRecipient = new Map<string, ActionCandidate[]>();
    for (const c of page) {
      const recipient = config.to === 'owner' && c.ownerEmail ? c.ownerEmail : config.channel;
      if (!recipient) {
        result.waiting++;
        continue;
      }
      byRecipient.set(recipient, [...(byRecipient.get(recipient) ?? []), c]);
    }
    for (const [recipient, episodes] of byRecipient) {
      if (!channels.has(recipient)) channels.set(recipient, await resolveChannel(ctx.slack, recipient));
      const resolved = channels.get(recipient)!;
      if ('error' in resolved) {
        await ctx.store.record('slack', episodes.map((c) => record(c, recipient, 'error', null, null, resolved.error, resolved.message)), ctx.runId);
        result.refused += episodes.length;
        continue;
      }
      for (let i = 0; i < episodes.length; i += PER_MESSAGE) {
        const batch = episodes.slice(i, i + PER_MESSAGE);
        const outcome = await postOnce(ctx, resolved.channel, recipient, batch);
        result[outcome] += batch.length;
      }
    }
  }
  return result;
}

function record(c: ActionCandidate, recipient: string, status: ActionRecord['status'], channel: string | null, ts: string | null, category: string | null = null, message: string | null = null): ActionRecord {
  return { episodeKey: c.episodeKey, recordKey: c.recordKey, signal: c.signal, target: recipient, ownerId: c.ownerId, ownerEmail: c.ownerEmail, status, externalId: ts, channel, category, message };
}

/** A recipient's channel: a channel id as is; an owner's email → their Slack user → their DM channel. */
async function resolveChannel(slack: SlackClient, recipient: string): Promise<{ channel: string } | { error: string; message: string }> {
  if (!recipient.includes('@')) return { channel: recipient };
  const user = await slack.call<{ ok: boolean; user?: { id: string } }>('users.lookupByEmail', { email: recipient }, { safe: true });
  if (!user.ok) {
    const notFound = user.error === 'users_not_found';
    return {
      error: notFound ? 'SLACK_USER_NOT_FOUND' : `SLACK_${user.error.toUpperCase()}`,
      message: notFound
        ? `owner ${recipient} has no Slack user with that email (users.lookupByEmail: users_not_found): invite them to Slack or set handoff.slack.channel`
        : `owner ${recipient}: ${user.message}`,
    };
  }
  const dm = await slack.call<{ ok: boolean; channel?: { id: string } }>('conversations.open', { users: user.data.user!.id }, { safe: true });
  if (!dm.ok) return { error: `SLACK_${dm.error.toUpperCase()}`, message: `owner ${recipient}: ${dm.message}` };
  return { channel: dm.data.channel!.id };
}

async function postOnce(ctx: SlackContext, channel: string, recipient: string, batch: ActionCandidate[]): Promise<'sent' | 'refused' | 'unanswered'> {
  const keys = batch.map((c) => c.episodeKey);
  const startedAt = Date.now();
  await ctx.store.record('slack', batch.map((c) => record(c, recipient, 'pending', channel, null)), ctx.runId);
  const message = composeMessage(batch, await ctx.portalId());
  for (let attempt = 1; attempt <= 3; attempt++) {
    const posted = await ctx.slack.call<{ ok: boolean; ts?: string }>(
      'chat.postMessage',
      { channel, text: message.text, blocks: message.blocks, metadata: { event_type: SLACK_EVENT_TYPE, event_payload: { episodes: keys } }, unfurl_links: false },
      { safe: false },
    );
    if (posted.ok) {
      await ctx.store.record('slack', batch.map((c) => record(c, recipient, 'sent', channel, posted.data.ts ?? null)), ctx.runId);
      return 'sent';
    }
    if (!posted.ambiguous) {
      await ctx.store.record('slack', batch.map((c) => record(c, recipient, 'error', channel, null, `SLACK_${posted.error.toUpperCase()}`, `${recipient}: ${posted.message}`)), ctx.runId);
      return 'refused';
    }
    // No answer: the message may be in the channel. Look before posting again.
    const found = await findPosted(ctx.slack, channel, startedAt / 1000 - HISTORY_SLACK_S);
    const ts = found.get(keys[0]);
    if (ts) {
      await ctx.store.record('slack', batch.map((c) => record(c, recipient, 'sent', channel, ts)), ctx.runId);
      return 'sent';
    }
  }
  // Left pending: the next run looks for it first.
  return 'unanswered';
}

/** Episode key → ts of pqlsync's messages in a channel since `oldest` (epoch seconds). */
async function findPosted(slack: SlackClient, channel: string, oldest: number): Promise<Map<string, string>> {
  const history = await slack.call<{ ok: boolean; messages?: Array<{ ts: string; metadata?: { event_type?: string; event_payload?: { episodes?: unknown } } }> }>(
    'conversations.history',
    { channel, oldest: Math.max(0, oldest).toFixed(6), include_all_metadata: true, limit: 999 },
    { safe: true },
  );
  const found = new Map<string, string>();
  if (!history.ok) return found;
  for (const m of history.data.messages ?? []) {
    if (m.metadata?.event_type !== SLACK_EVENT_TYPE || !Array.isArray(m.metadata.event_payload?.episodes)) continue;
    for (const key of m.metadata.event_payload.episodes) found.set(String(key), m.ts);
  }
  return found;
}

/** Messages a run left pending (killed, or unanswered): sent if Slack has them, else forgotten and posted again. */
async function recoverPending(ctx: SlackContext): Promise<number> {
  const pending = await ctx.store.pending('slack');
  let recovered = 0;
  const byChannel = new Map<string, typeof pending>();
  for (const p of pending) byChannel.set(p.channel ?? '', [...(byChannel.get(p.channel ?? '') ?? []), p]);
  for (const [channel, rows] of byChannel) {
    const oldest = Math.min(...rows.map((r) => Date.parse(r.updatedAt))) / 1000 - HISTORY_SLACK_S;
    const found = channel ? await findPosted(ctx.slack, channel, oldest) : new Map<string, string>();
    const sent = rows.filter((r) => found.has(r.episodeKey));
    await ctx.store.record('slack', sent.map((r) => ({ ...r, status: 'sent' as const, externalId: found.get(r.episodeKey)! })), ctx.runId);
    await ctx.store.forget('slack', rows.filter((r) => !found.has(r.episodeKey)).map((r) => r.episodeKey));
    recovered += sent.length;
  }
  return recovered;
}

/** The message: a line of text (notifications) and a section per episode with its links. */
export function composeMessage(batch: ActionCandidate[], portalId: string | undefined): { text: string; blocks: unknown[] } {
  const blocks: unknown[] = [];
  for (const c of batch) {
    const title = c.taskSubject ?? `${c.display}: ${c.signal}`;
    // The task notes open with the subject: the message shows it once, as its title.
    const notes = c.taskBody ? htmlToMrkdwn(c.taskBody) : '';
    const body = notes.startsWith(escapeMrkdwn(title)) ? notes.slice(escapeMrkdwn(title).length).replace(/^\.?\n/, '') : notes;
    const links = portalId
      ? [
          c.contactId ? `<https://app.hubspot.com/contacts/${portalId}/record/0-1/${c.contactId}|Contact>` : null,
          c.companyId ? `<https://app.hubspot.com/contacts/${portalId}/record/0-2/${c.companyId}|Company>` : null,
          c.dealId ? `<https://app.hubspot.com/contacts/${portalId}/record/0-3/${c.dealId}|Deal>` : null,
        ].filter(Boolean)
      : [];
    // A section's text holds at most 3,000 characters.
    const text = `*${escapeMrkdwn(title)}*\n${body}${links.length ? `\n${links.join(' · ')}` : ''}`.slice(0, 3000);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text } }, { type: 'divider' });
  }
  const first = batch[0].taskSubject ?? `${batch[0].display}: ${batch[0].signal}`;
  return { text: batch.length === 1 ? first : `${batch.length} new PQL signals, first: ${first}`, blocks };
}

function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The task notes (HTML, as HubSpot shows them) as Slack text: line breaks kept, tags dropped. */
function htmlToMrkdwn(html: string): string {
  return escapeMrkdwn(html.replace(/<br\s*\/?>/gi, '\n').replace(/<[^>]+>/g, ''));
}
