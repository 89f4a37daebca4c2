import type { SyncPlan } from '../run/sync.ts';
import { describeDeferred, type BudgetPlan } from '../run/budget-plan.ts';
import { changeStart, excerpt, valueText } from './value-text.ts';

/**
 * A plan as a short Markdown report for a pull-request comment: one table of counts per
 * sync, the properties that change most, and a few rows before → after. Pure: plans in,
 * text out. Values are escaped for table cells (pipes, newlines) and cut at 40 characters.
 */
export function renderPlanMarkdown(plans: SyncPlan[], options: { title?: string; asOf?: string; budget?: BudgetPlan } = {}): string {
  const lines: string[] = [];
  const total = plans.reduce((sum, p) => sum + p.toSend, 0);
  lines.push(`### ${options.title ?? 'pqlsync plan'}`, '');
  lines.push(
    total === 0
      ? 'No HubSpot record would change.'
      : `This change would send **${total}** record${total === 1 ? '' : 's'} to HubSpot` +
          (options.asOf ? ` (models as of ${options.asOf})` : '') +
          '.',
  );
  lines.push('');
  const budget = options.budget;
  lines.push(`| sync | object | new | changed | retrying | unchanged | removed | would send |${budget ? ' requests |' : ''}`);
  lines.push(`| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |${budget ? ' ---: |' : ''}`);
  for (const p of plans) {
    const d = p.diff;
    const removed = d.removed > 0 ? `${d.removed} (${p.onRemoved})` : '0';
    const requests = budget ? ` ~${budget.syncs.find((s) => s.sync === p.sync)?.estimate.total ?? 0} |` : '';
    lines.push(`| ${cell(p.sync)} | ${p.object} | ${d.new} | ${d.changed} | ${d.retrying} | ${d.unchanged} | ${removed} | **${p.toSend}** |${requests}`);
  }
  if (budget) lines.push('', ...budgetLines(budget));
  for (const p of plans) {
    const details: string[] = [];
    for (const v of p.guardrails.violations) details.push(`> [!WARNING]\n> Guardrail: ${v}. A scheduled sync would stop; \`--force\` sends anyway.`, '');
    for (const m of p.mappingChanges) details.push(`Mapping changed: ${m.reason}: ${m.rows} rows sent again`, '');
    if (p.changedProperties.length > 0) {
      details.push(`Properties that change most: ${p.changedProperties.slice(0, 8).map((c) => `\`${c.property}\` (${c.rows})`).join(', ')}`, '');
    }
    const changed = p.sample.filter((s) => s.before && s.changed.length > 0);
    if (changed.length > 0) {
      details.push('| key | property | before | after |', '| --- | --- | --- | --- |');
      for (const s of changed) {
        for (const column of s.changed) {
          const [before, after] = [s.before![column], s.values[column]];
          // Long texts (reasons) from just before where they differ, so the change is in view.
          const from = before === null || before === undefined || after === null || after === undefined ? 0 : changeStart(valueText(before), valueText(after));
          details.push(`| ${cell(s.key)} | ${cell(propertyOf(p, column))} | ${cell(before, from)} | ${cell(after, from)} |`);
        }
      }
      details.push('');
    }
    const fresh = p.sample.filter((s) => !s.before);
    if (fresh.length > 0) details.push(`New or retried, e.g.: ${fresh.map((s) => `\`${code(s.key)}\``).join(', ')}`, '');
    if (p.onRemoved === 'clear' && p.removedSample.length > 0) {
      details.push(`Properties cleared for rows that left the model, e.g.: ${p.removedSample.map((k) => `\`${code(k)}\``).join(', ')}`, '');
    }
    if (details.length > 0) lines.push('', `#### ${cell(p.sync)}`, '', ...details);
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The estimate beside the portal's daily budget, and what a run would defer. */
function budgetLines(budget: BudgetPlan): string[] {
  const lines = [
    `About **${budget.requests}** HubSpot requests. ` +
      (budget.budget
        ? `The portal had ${budget.budget.remaining} of its ${budget.budget.limit} daily requests left at ${budget.budget.observedAt.toISOString()} (the last run's reading); ` +
          `${Math.round(budget.reserve * 100)}% (${budget.reserveRequests}) stays for its other apps.`
        : "The portal's remaining daily budget is unknown until a sync has read it."),
  ];
  for (const s of budget.syncs) {
    const words = describeDeferred(s.deferred);
    if (words) lines.push('', `> [!NOTE]\n> ${cell(s.sync)}: the daily budget would defer ${words} to the next run (exit 11).`);
  }
  return lines;
}

/** The HubSpot property a column goes to (the column's name when the plan does not say). */
function propertyOf(plan: SyncPlan, column: string): string {
  return plan.changedProperties.find((c) => c.column === column)?.property ?? column;
}

function cell(value: unknown, from = 0): string {
  if (value === null || value === undefined || value === '') return '∅';
  const e = excerpt(valueText(value), from, 39);
  const short = `${e.cutBefore ? '…' : ''}${e.text}${e.cutAfter ? '…' : ''}`;
  return short.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function code(value: string): string {
  return value.replace(/`/g, "'");
}
