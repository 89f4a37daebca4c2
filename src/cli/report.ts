import type { BuiltModel } from '../run/build-models.ts';
import type { SyncStepResult } from '../run/steps.ts';
import type { SyncPlan } from '../run/sync.ts';
import type { Logger } from '../util/logger.ts';

/** Human lines and JSON events for what a stage did; the numbers are the same in both. */

export function reportBuild(log: Logger, built: BuiltModel[], ms: number): void {
  const rows = built.reduce((sum, b) => sum + b.rows, 0);
  log.info(`Built ${built.length} models (${rows} rows) in ${ms} ms`, { event: 'build_done', models: built.length, rows, ms });
}

export function reportPlan(log: Logger, plan: SyncPlan): void {
  const d = plan.diff;
  log.info(
    `Plan ${plan.sync} → HubSpot ${plan.object}: ${d.rows} rows; ${d.new} new, ${d.changed} changed, ` +
      `${d.retrying} retrying, ${d.unchanged} unchanged, ${d.removed} removed; would send ${plan.toSend}`,
    { event: 'plan', sync: plan.sync, object: plan.object, ...d, to_send: plan.toSend, guardrails: plan.guardrails, sample: plan.sample },
  );
  if (d.nullKeys > 0) log.warn(`${plan.sync}: ${d.nullKeys} model rows have no key and are not sent`, { event: 'null_keys', sync: plan.sync, rows: d.nullKeys });
  for (const v of plan.guardrails.violations) log.warn(`${plan.sync}: guardrail: ${v}`, { event: 'guardrail', sync: plan.sync, violation: v });
  if (!log.json) {
    for (const s of plan.sample) {
      log.info(`    ${s.kind.padEnd(8)} ${s.key}  ${Object.entries(s.values).map(([k, v]) => `${k}=${formatValue(v)}`).join(' ')}`);
    }
  }
}

export function reportSync(log: Logger, result: SyncStepResult): void {
  const d = result.plan.diff;
  log.info(
    `Synced ${result.plan.sync} → HubSpot ${result.plan.object}: ${d.new} new, ${d.changed + d.retrying} changed, ` +
      `${d.unchanged} unchanged, ${d.removed} removed; sent ${result.sent}, delivered ${result.delivered}, ` +
      `failed ${result.failed}; ${result.requests} requests in ${(result.ms / 1000).toFixed(1)} s` +
      (result.stopped ? ' (stopped early; the rest goes next run)' : ''),
    {
      event: 'sync_done',
      sync: result.plan.sync,
      object: result.plan.object,
      new: d.new,
      changed: d.changed + d.retrying,
      unchanged: d.unchanged,
      removed: d.removed,
      sent: result.sent,
      delivered: result.delivered,
      failed: result.failed,
      requests: result.requests,
      ms: result.ms,
      stopped: result.stopped,
    },
  );
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '∅';
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  return s.length > 60 ? `${JSON.stringify(s.slice(0, 57))}…` : JSON.stringify(s);
}
