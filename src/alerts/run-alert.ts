/**
 * One alert when a run goes wrong (pqlsync.yml `alerts:`; docs/cli.md, "Alerts"): the run failed
 * (any exit code but 0, 7 and 8), a guardrail stopped it (9), or more rows failed than
 * `max_failed_rows` (7). Nothing for a clean run, nor for a run that found another one holding
 * the lock (8: that one is working). The message names the project, the command, the run, the
 * syncs, the exit code, the reason and the command to look closer; it goes to a Slack channel
 * (SLACK_BOT_TOKEN) and/or a webhook (PQLSYNC_ALERT_WEBHOOK_URL, a JSON POST). The same failure
 * again within `dedupe_minutes` (a scheduler's retry) is not sent twice (src/state/alert-state.ts).
 * Sending an alert never changes the run's exit code; a failure to send is a warning.
 */
import { createHash } from 'node:crypto';
import { slackFromEnv, type SlackClient } from '../../connectors/slack/slack.client.ts';
import { EXIT } from '../cli/exit-codes.ts';
import type { Session } from '../run/session.ts';
import { AlertStore } from '../state/alert-state.ts';
import { HandoffActionStore } from '../state/handoff-actions-state.ts';
import { redact, secretsFrom } from '../util/logger.ts';


/** How a run that did not fail outright ended, in the alert's words. */
const HOW_IT_ENDED: Record<number, string> = {
  [EXIT.guardrail]: 'was stopped by a guardrail',
  [EXIT.deferred]: 'deferred rows under the daily budget',
  [EXIT.interrupted]: 'was interrupted with rows unsent',
};

export interface RunEnd {
  command: string;
  exitCode: number;
  /** The error's message, when the run ended with one. */
  reason: string | null;
}

export interface Alert {
  fingerprint: string;
  text: string;
  payload: Record<string, unknown>;
}

const EXIT_NAMES: Record<number, string> = Object.fromEntries(Object.entries(EXIT).map(([name, code]) => [code, name]));

/** The alert a run's end calls for, or null (a clean run, a lock held, few failed rows). */
export async function alertFor(session: Session, end: RunEnd): Promise<Alert | null> {
  const config = session.project.config.alerts;
  if (!config || end.exitCode === EXIT.ok || end.exitCode === EXIT.lockHeld) return null;
  const secrets = secretsFrom(session.env);
  let reason = end.reason ? redact(end.reason, secrets) : null;
  const runs = await session.state.syncRunsOf([session.runId]).catch(() => []);
  const syncs = [...new Set(runs.map((r) => String(r.sync_name)))];
  if (end.exitCode === EXIT.rowsFailed) {
    const handoff = await new HandoffActionStore(session.warehouse, session.project.config.state_schema).runCounts(session.runId).catch(() => []);
    const failed = runs.reduce((n, r) => n + Number(r.n_failed ?? 0), 0) + handoff.filter((c) => c.status === 'error').reduce((n, c) => n + c.n, 0);
    if (failed <= config.max_failed_rows) return null;
    reason = `${failed} rows failed (more than alerts.max_failed_rows, ${config.max_failed_rows}); they are in row errors and retried next run`;
  }
  reason ??= `exit code ${end.exitCode}`;
  const name = session.project.config.name;
  const look = `pqlsync status --config ${session.project.configFile}`;
  const kind = EXIT_NAMES[end.exitCode] ?? 'error';
  const text =
    `:rotating_light: pqlsync ${name}: \`${end.command}\` ${HOW_IT_ENDED[end.exitCode] ?? 'failed'} (exit ${end.exitCode}, ${kind})\n` +
    `Run ${session.runId}${syncs.length ? `, syncs ${syncs.join(', ')}` : ''}\nReason: ${reason}\nLook closer: \`${look}\``;
  // The same failure: same project, command, exit code and reason, numbers aside (counts, ids, times move between retries).
  const fingerprint = createHash('sha256').update([name, end.command, end.exitCode, reason.replace(/\d+/g, '#')].join('\n')).digest('hex');
  return { fingerprint, text, payload: { project: name, command: end.command, run_id: session.runId, syncs, exit_code: end.exitCode, exit_kind: kind, reason, look_closer: look } };
}

/**
 * Sends the alert a run's end calls for, once per failure within the dedupe window. Returns
 * whether one was sent. Never throws: a failure to alert is logged as a warning.
 */
export async function alertRunEnd(session: Session, end: RunEnd, options: { slack?: SlackClient; fetch?: typeof fetch; now?: Date } = {}): Promise<boolean> {
  const config = session.project.config.alerts;
  const secrets = secretsFrom(session.env);
  try {
    const alert = await alertFor(session, end);
    if (!config || !alert) return false;
    const store = new AlertStore(session.warehouse, session.project.config.state_schema);
    await store.ensureTable();
    const now = options.now ?? new Date();
    if (await store.sentSince(alert.fingerprint, new Date(now.getTime() - config.dedupe_minutes * 60_000))) {
      session.log.info(`alert not sent again: the same failure was alerted within ${config.dedupe_minutes} minutes`, { event: 'alert_deduplicated' });
      return false;
    }
    const sentTo: string[] = [];
    if (config.slack_channel) {
      const slack = options.slack ?? slackFromEnv(session.env);
      if (!slack) throw new Error('alerts.slack_channel: SLACK_BOT_TOKEN is not set');
      const posted = await slack.call('chat.postMessage', { channel: config.slack_channel, text: alert.text, unfurl_links: false }, { safe: false });
      if (!posted.ok && !posted.ambiguous) throw new Error(`Slack refused the alert: ${posted.message}`);
      sentTo.push('slack');
    }
    if (config.webhook) {
      const url = session.env.PQLSYNC_ALERT_WEBHOOK_URL;
      if (!url) throw new Error('alerts.webhook: PQLSYNC_ALERT_WEBHOOK_URL is not set');
      const response = await (options.fetch ?? fetch)(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ text: alert.text, ...alert.payload }), signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`the alert webhook answered HTTP ${response.status}`);
      sentTo.push('webhook');
    }
    await store.recordSent({ fingerprint: alert.fingerprint, runId: session.runId, command: end.command, exitCode: end.exitCode, reason: String(alert.payload.reason) }, now);
    session.log.info(`alert sent (${sentTo.join(', ')}): exit ${end.exitCode}`, { event: 'alert_sent', to: sentTo, exit_code: end.exitCode });
    return true;
  } catch (error) {
    const message = redact(error instanceof Error ? error.message : String(error), [...secrets, ...(session.env.PQLSYNC_ALERT_WEBHOOK_URL ? [session.env.PQLSYNC_ALERT_WEBHOOK_URL] : [])]);
    session.log.warn(`could not send the alert: ${message}`, { event: 'alert_failed' });
    return false;
  }
}
