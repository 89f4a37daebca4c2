/** The terminal form of an evaluation: a summary and the conversion tables per target. */
import { crossesZero, TOP_SHARE, type Comparison, type Difference } from './compare.ts';
import type { EvaluationReport, ScoringReport } from './evaluate.ts';
import type { GroupStats } from './metrics.ts';

export const pct = (x: number, digits = 1): string => `${(x * 100).toFixed(digits)}%`;
export const num = (x: number): string => x.toLocaleString('en-US');
export const fixed = (x: number | null, digits = 3): string => (x === null ? 'n/a' : x.toFixed(digits));

export function renderEvaluationText(report: EvaluationReport): string {
  const lines: string[] = [];
  const first = report.dates[0]?.slice(0, 10);
  const last = report.dates[report.dates.length - 1]?.slice(0, 10);
  lines.push(`Backtest: ${report.dates.length} dates from ${first} to ${last}, conversions within ${report.horizonDays} days after each (data to ${report.asOf.slice(0, 10)})`);
  if (report.candidate) lines.push(`Candidate scoring: ${report.candidate}`);
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  for (const [name, t] of Object.entries(report.targets)) if (t.comparison) lines.push(`Verdict (${name}): ${verdict(t.comparison)}`);
  lines.push(AUC_IN_ONE_LINE);
  if (report.suggestion) lines.push(...suggestionLines(report));
  for (const [name, t] of Object.entries(report.targets)) {
    lines.push('');
    lines.push(...summary(name, 'current', t.current));
    if (t.candidate) lines.push(...summary(name, 'candidate', t.candidate));
    if (t.comparison) {
      const c = t.comparison;
      lines.push(`  candidate vs current (${num(c.records)} record-dates, ${c.replicates} bootstrap replicates):`);
      lines.push(`    AUC ${diff(c.auc, 3)}`);
      lines.push(`    ${c.topTier} lift ${diff(c.topTierLift, 2)}`);
      lines.push(`    converters in the top ${pct(TOP_SHARE, 0)} ${diff(c.topCapture, 3)}`);
    }
    lines.push(...table('tier', t.current.tiers, t.candidate?.tiers));
    lines.push(...table('score band', t.current.bands, t.candidate?.bands));
  }
  return `${lines.join('\n')}\n`;
}

export const AUC_IN_ONE_LINE = 'AUC: the chance that a record that converted scored higher than one that did not (0.5 is a coin, 1 is perfect).';

/**
 * The comparison in words for the person who decides: how many more (or fewer) converters the
 * candidate puts in the top 5 % of records, the AUC of both, and whether the intervals (records
 * resampled, 95 %) leave room for no difference at all.
 */
export function verdict(c: Comparison): string {
  const top = c.topCapture;
  const parts: string[] = [];
  if (top.current !== null && top.candidate !== null && top.current > 0) {
    const change = top.candidate / top.current - 1;
    const more = Math.abs(change) < 0.005 ? 'as many converters' : `${pct(Math.abs(change), 0)} ${change > 0 ? 'more' : 'fewer'} converters`;
    parts.push(`the candidate finds ${more} in the top ${pct(TOP_SHARE, 0)} of records (${pct(top.candidate)} of all converters vs ${pct(top.current)}${intervalWords(top, 3)})`);
  }
  parts.push(`AUC ${fixed(c.auc.candidate)} vs ${fixed(c.auc.current)}${intervalWords(c.auc, 3)}`);
  const unsure = [top, c.auc].filter(crossesZero).length > 0;
  return `${parts.join('; ')}.${unsure ? ' An interval that includes 0 means the backtest cannot tell the two apart on that figure.' : ''}`;
}

function intervalWords(d: Difference, digits: number): string {
  if (!d.interval) return '';
  const range = `95% interval of the difference ${signed(d.interval[0], digits)} to ${signed(d.interval[1], digits)}`;
  return `, ${range}${crossesZero(d) ? ': includes 0, not shown to differ' : ''}`;
}

function summary(name: string, label: string, s: ScoringReport): string[] {
  const median = s.medianDaysToConvert === null ? 'n/a' : `${s.medianDaysToConvert} days`;
  return [
    `${name} (${label} scoring): ${num(s.records)} record-dates, ${num(s.conversions)} converted (baseline ${pct(s.baselineRate, 2)})`,
    `  AUC ${fixed(s.auc)} · PQL (${s.pql.tiers.join(', ')}): precision ${pct(s.pql.precision)}, recall ${pct(s.pql.recall)}, lift ${s.pql.lift.toFixed(2)}× · median PQL → conversion ${median}`,
    `  ${s.distinctScores} distinct scores; ${pct(s.zeroShare)} score exactly 0`,
  ];
}

function diff(d: Difference, digits: number): string {
  const interval = d.interval ? ` (95% interval ${signed(d.interval[0], digits)} to ${signed(d.interval[1], digits)}${crossesZero(d) ? ', includes 0' : ''})` : '';
  return `${fixed(d.current, digits)} → ${fixed(d.candidate, digits)}: ${d.difference === null ? 'n/a' : signed(d.difference, digits)}${interval}`;
}

function signed(x: number, digits: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

function table(title: string, rows: GroupStats[], candidate?: GroupStats[]): string[] {
  const header = [title.padEnd(12), 'records'.padStart(9), 'conv'.padStart(7), 'rate'.padStart(7), 'lift'.padStart(7), 'captured'.padStart(9)];
  const cells = (g: GroupStats) => [num(g.records).padStart(9), num(g.conversions).padStart(7), pct(g.rate).padStart(7), `${g.lift.toFixed(2)}×`.padStart(7), pct(g.captured).padStart(9)];
  const out = [`  ${header.join(' ')}${candidate ? `   │ candidate: ${header.slice(1).join(' ')}` : ''}`];
  rows.forEach((g, i) => {
    const right = candidate?.[i] ? `   │            ${cells(candidate[i]).join(' ')}` : '';
    out.push(`  ${g.label.padEnd(12)} ${cells(g).join(' ')}${right}`);
  });
  return out;
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : value.toFixed(3);
}

function suggestionLines(report: EvaluationReport): string[] {
  const s = report.suggestion!;
  const lines = [
    `Suggested on ${s.fittedOn.length} earlier dates (${s.fittedOn[0].slice(0, 10)} to ${s.fittedOn[s.fittedOn.length - 1].slice(0, 10)}); reported below on the ${report.dates.length} later ones only. Written to ${s.file}`,
  ];
  for (const t of s.targets) {
    const o = t.outOfTime;
    if (o) {
      lines.push(
        `  ${t.target}, out of time (${o.records.toLocaleString('en-US')} record-dates, ${o.conversions.toLocaleString('en-US')} converted): AUC current ${fmt(o.current)}, suggested ${fmt(o.suggested)}, reference (unconstrained logistic regression on the same rules: what the data allows) ${fmt(o.reference)}`,
      );
    }
    const changed = [...t.points, ...t.caps, ...t.thresholds].filter((v) => v.to !== v.from);
    lines.push(`    ${changed.length === 0 ? 'no value changes' : changed.map((v) => `${v.name} ${v.from} → ${v.to}`).join(', ')}`);
    for (const note of t.notes) lines.push(`    note: ${note}`);
  }
  lines.push(`  fit: ${s.fitMs.toFixed(0)} ms in process`);
  return lines;
}
