import type { SyncStepResult } from '../run/steps.ts';
import type { AssociationResult } from '../run/associations.ts';
import type { PreparedBackfill } from '../run/backfill.ts';
import type { SyncPlan } from '../run/sync.ts';
import { describeDeferred, type BudgetPlan } from '../run/budget-plan.ts';
import type { Logger } from '../util/logger.ts';
import type { PipelineOptions, PlanResult } from '../run/pipeline.ts';
import { reportHandoffActionsPlan } from '../handoff/handoff-actions.ts';
import { sendProgress } from './progress.ts';
import { changeStart, excerpt, valueText } from './value-text.ts';

/** Human lines and JSON events for what a stage did; the numbers are the same in both. */

/** The pipeline's observers that print: progress while sending, and each sync's result as it finishes. */
export function printing(log: Logger): Pick<PipelineOptions, 'onProgress' | 'onSyncDone'> {
  return {
    onProgress: sendProgress(log),
    onSyncDone: (result) => {
      log.progressDone();
      reportSync(log, result);
    },
  };
}

/** A dry run or `plan`: each sync's plan with its associations', then the handoff actions'. */
export function reportPlanResult(log: Logger, result: PlanResult): void {
  for (const plan of result.plans) {
    reportPlan(log, plan);
    reportAssociationPlan(log, plan.sync, result.associations.get(plan.sync) ?? []);
  }
  reportBudgetPlan(log, result.budget);
  reportHandoffActionsPlan(log, result.handoffActions);
}

export function reportPlan(log: Logger, plan: SyncPlan): void {
  const d = plan.diff;
  const removed = d.removed > 0 ? ` (${plan.onRemoved === 'clear' ? 'their properties are cleared' : 'kept in HubSpot'})` : '';
  log.info(
    `Plan ${plan.sync} → HubSpot ${plan.object}: ${d.rows} rows; ${d.new} new, ${d.changed} changed, ` +
      `${d.retrying} retrying, ${d.unchanged} unchanged${heldBack(d)}, ${d.removed} removed${removed}; would send ${plan.toSend}`,
    {
      event: 'plan',
      sync: plan.sync,
      object: plan.object,
      ...d,
      to_send: plan.toSend,
      on_removed: plan.onRemoved,
      guardrails: plan.guardrails,
      changed_properties: plan.changedProperties,
      mapping_changes: plan.mappingChanges,
      sample: plan.sample,
      removed_sample: plan.removedSample,
    },
  );
  reportPlanDetails(log, plan);
  if (plan.unconfirmedCreates !== undefined) {
    // How an event sync makes each record once is the portal's call, read when a sync checks the properties.
    log.info(
      `  ${plan.sync}: each ${plan.object.replace(/s$/, '')} is made once, upserted by its unique key, or, in a portal that keeps no unique values on ${plan.object}, created journaled and reconciled (\`pqlsync doctor\` says which); ${plan.unconfirmedCreates} journaled creates unconfirmed, each looked for in HubSpot before it is created again`,
      { event: 'create_journal', sync: plan.sync, unconfirmed: plan.unconfirmedCreates },
    );
  }
}

/** The human part of a plan: warnings, the properties that change most, sample rows before → after. */
function reportPlanDetails(log: Logger, plan: SyncPlan, resent?: string): void {
  const d = plan.diff;
  if (d.nullKeys > 0) log.warn(`${plan.sync}: ${d.nullKeys} model rows have no key and are not sent`, { event: 'null_keys', sync: plan.sync, rows: d.nullKeys });
  for (const v of plan.guardrails.violations) log.warn(`${plan.sync}: guardrail: ${v}`, { event: 'guardrail', sync: plan.sync, violation: v });
  for (const m of plan.mappingChanges) log.info(`  ${m.reason}: ${m.rows} rows (sent again, to where the mapping now says)`, { event: 'mapping_changed', sync: plan.sync, reason: m.reason, rows: m.rows });
  if (log.json) return;
  if (plan.changedProperties.length > 0) {
    log.info(`  changed most: ${plan.changedProperties.slice(0, 5).map((p) => `${p.property} (${p.rows})`).join(', ')}`);
  }
  // A row whose values did not change is sent for another reason: a mapping change (above) or a retry.
  const sameValues = resent ?? (plan.mappingChanges.length > 0 ? '(same values, sent under the new mapping)' : '(same values)');
  for (const s of plan.sample) {
    // A row HubSpot has had shows only what changes, before → after; a new row shows every value.
    const values = s.before
      ? s.changed.map((k) => `${k}: ${formatChange(s.before![k], s.values[k])}`)
      : Object.entries(s.values).map(([k, v]) => `${k}=${formatValue(v)}`);
    log.info(`    ${s.kind.padEnd(8)} ${s.key}  ${values.join('  ') || sameValues}`);
  }
  if (plan.onRemoved === 'clear') for (const key of plan.removedSample) log.info(`    ${'clear'.padEnd(8)} ${key}`);
}

/** What a backfill will send, before it asks. */
export function reportBackfillPlan(log: Logger, prepared: PreparedBackfill, plan: SyncPlan): void {
  const d = plan.diff;
  log.info(
    `Backfill ${plan.sync} → HubSpot ${plan.object} (${prepared.selection}): ${prepared.total} rows selected` +
      (prepared.resumed ? `, ${prepared.sent} sent before` : '') +
      `; will send ${plan.toSend} (${d.new} new to HubSpot, ${d.changed} already there)`,
    {
      event: 'backfill_plan',
      sync: plan.sync,
      object: plan.object,
      selection: prepared.selection,
      selected: prepared.total,
      sent_before: prepared.sent,
      resumed: prepared.resumed,
      to_send: plan.toSend,
      new: d.new,
      changed: d.changed,
      sample: plan.sample,
    },
  );
  if (prepared.unknownKeys > 0) {
    log.warn(`${prepared.unknownKeys} listed keys are not in model rows of ${plan.sync} and are not sent`, {
      event: 'unknown_keys',
      sync: plan.sync,
      keys: prepared.unknownKeys,
    });
  }
  // A backfill is not guarded (docs/cli.md) and re-sends rows whatever HubSpot holds.
  reportPlanDetails(log, { ...plan, changedProperties: [], guardrails: { ...plan.guardrails, violations: [] } }, '(same values, sent again by the backfill)');
}

export function reportSync(log: Logger, result: SyncStepResult): void {
  const d = result.plan.diff;
  log.info(
    `Synced ${result.plan.sync} → HubSpot ${result.plan.object}: ${d.new} new, ${d.changed + d.retrying} changed, ` +
      `${d.unchanged} unchanged${heldBack(d)}, ${d.removed} removed; sent ${result.sent}, delivered ${result.delivered}, ` +
      `failed ${result.failed}; ${result.requests} requests in ${(result.ms / 1000).toFixed(1)} s` +
      (result.stopped ? ' (stopped early; the rest goes next run)' : '') +
      (result.deferred > 0 ? `; ${result.deferred} deferred under the daily budget (new PQLs and tier changes went first, then score moves)` : ''),
    {
      event: 'sync_done',
      sync: result.plan.sync,
      object: result.plan.object,
      new: d.new,
      changed: d.changed + d.retrying,
      unchanged: d.unchanged,
      held_back: d.heldBack,
      removed: d.removed,
      sent: result.sent,
      delivered: result.delivered,
      failed: result.failed,
      requests: result.requests,
      ms: result.ms,
      diff_ms: result.plan.ms,
      stopped: result.stopped,
      deferred: result.deferred,
    },
  );
  for (const a of result.associations ?? []) {
    log.info(
      `  associated ${result.plan.sync} → ${a.to}: ${a.pairs} pairs, ${a.written} written, ${a.failed} failed, ${a.waiting} waiting for a record id, ${a.removed} removed` +
        (a.firstError ? ` (${a.firstError})` : ''),
      { event: 'associations_done', sync: result.plan.sync, to: a.to, pairs: a.pairs, sent: a.sent, written: a.written, failed: a.failed, waiting: a.waiting, removed: a.removed },
    );
  }
}

/** ' (N of them moved too little to send)' when significance (state/significance.ts) held rows back. */
function heldBack(d: SyncPlan['diff']): string {
  return d.heldBack > 0 ? ` (${d.heldBack} of them moved too little to send)` : '';
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  return quoted(valueText(v), 0);
}

/** Up to 57 characters of `text` from `from`, quoted, with … where it was cut. */
function quoted(text: string, from: number): string {
  const e = excerpt(text, from, 57);
  return `${e.cutBefore ? '…' : ''}${JSON.stringify(e.text)}${e.cutAfter ? '…' : ''}`;
}

/** before → after; a long text (reasons) from just before where it changed, so the change is in view. */
function formatChange(before: unknown, after: unknown): string {
  if (before === null || before === undefined || after === null || after === undefined) return `${formatValue(before)} → ${formatValue(after)}`;
  const [a, b] = [valueText(before), valueText(after)];
  const from = changeStart(a, b);
  return `${quoted(a, from)} → ${quoted(b, from)}`;
}

/** What the association step would write for a sync (plan, --dry-run). */
export function reportAssociationPlan(log: Logger, sync: string, results: readonly AssociationResult[]): void {
  for (const a of results) {
    log.info(`  associations ${sync} → ${a.to}: ${a.pairs} pairs, ${a.sent} to write, ${a.waiting} waiting for a record id, ${a.removed} left the model`, {
      event: 'associations_plan',
      sync,
      to: a.to,
      pairs: a.pairs,
      to_write: a.sent,
      waiting: a.waiting,
      removed: a.removed,
    });
  }
}

/** The run's request estimate beside the portal's daily budget, and what it would defer. */
export function reportBudgetPlan(log: Logger, plan: BudgetPlan): void {
  const perSync = plan.syncs.filter((s) => s.estimate.total > 0).map((s) => `${s.sync} ${s.estimate.total}`);
  const budget = plan.budget
    ? `the portal had ${plan.budget.remaining} of ${plan.budget.limit} left at ${plan.budget.observedAt.toISOString()} (the last run's reading), ` +
      `${Math.round(plan.reserve * 100)}% (${plan.reserveRequests}) kept for its other apps`
    : 'the portal\'s daily budget is unknown until a sync has read it';
  const verdict = plan.fits === null ? '' : plan.fits ? ': fits' : ': would not fit';
  log.info(`Requests: about ${plan.requests} for this run${perSync.length ? ` (${perSync.join(', ')})` : ''}; ${budget}${verdict}`, {
    event: 'budget_plan',
    requests: plan.requests,
    budget: plan.budget ? { remaining: plan.budget.remaining, limit: plan.budget.limit, observed_at: plan.budget.observedAt.toISOString() } : null,
    reserve: plan.reserve,
    reserve_requests: plan.reserveRequests,
    fits: plan.fits,
    syncs: plan.syncs.map((s) => ({ sync: s.sync, ...s.estimate, deferred: s.deferred })),
  });
  for (const s of plan.syncs) {
    const words = describeDeferred(s.deferred);
    if (words) log.warn(`  ${s.sync}: would defer ${words} to the next run (exit 11)`, { event: 'budget_defer', sync: s.sync, deferred: s.deferred });
  }
}
