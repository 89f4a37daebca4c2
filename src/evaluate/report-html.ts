/**
 * The evaluation as one self-contained HTML page: no script, font or image is fetched,
 * the plots are inline SVG drawn here. The report's JSON is embedded as is
 * (`<script type="application/json" id="pqlsync-evaluation">`), and every figure in the
 * tables carries the JSON path it comes from (`data-path`), so a test can check that the
 * page shows exactly the JSON's numbers.
 */
import type { EvaluationReport, ScoringReport } from './evaluate.ts';
import type { GroupStats } from './metrics.ts';
import { crossesZero, TOP_SHARE } from './compare.ts';
import type { DateStats } from './metrics.ts';
import { AUC_IN_ONE_LINE, fixed, num, pct, verdict } from './report-text.ts';

const COLORS = { current: '#2563eb', candidate: '#ea580c' } as const;

export function renderEvaluationHtml(report: EvaluationReport): string {
  const sections = Object.entries(report.targets).map(([name, t]) => {
    const scorings = (['current', 'candidate'] as const).filter((s) => t[s]).map((s) => ({ key: s, report: t[s]! }));
    const base = `targets.${name}`;
    const comparison = t.comparison
      ? `<div class="scroll"><table class="summary"><tr><th></th><th>current</th><th>candidate</th><th>difference</th><th>95% interval of the difference</th></tr>
        ${[['AUC', 'auc', 3] as const, [`${t.comparison.topTier} lift`, 'topTierLift', 2] as const, [`converters in the top ${pct(TOP_SHARE, 0)}`, 'topCapture', 3] as const]
          .map(([label, key, digits]) => {
            const d = t.comparison![key];
            const p = `${base}.comparison.${key}`;
            const unsure = crossesZero(d);
            return `<tr${unsure ? ' class="unsure"' : ''}><th>${esc(label)}</th>${cell(fixed(d.current, digits), `${p}.current`)}${cell(fixed(d.candidate, digits), `${p}.candidate`)}${cell(fixed(d.difference, digits), `${p}.difference`)}<td>${d.interval ? `${d.interval[0].toFixed(digits)} to ${d.interval[1].toFixed(digits)}${unsure ? ' (includes 0: not shown to differ)' : ''}` : 'n/a'}</td></tr>`;
          })
          .join('')}</table></div><p class="note">${num(t.comparison.records)} record-dates scored both ways. Intervals: a bootstrap that resamples records (each with all its dates), ${t.comparison.replicates} replicates.</p>`
      : '';
    return `<section><h2>${esc(name)}</h2>
      <div class="side">${scorings.map((s) => summary(s.key, s.report, `${base}.${s.key}`)).join('')}</div>
      ${comparison}
      <div class="plots">
        ${plot('Conversion rate by score band', barChart(scorings.map((s) => ({ key: s.key, values: s.report.bands.map((b) => b.rate) })), scorings[0].report.bands.map((b) => b.label), pct))}
        ${plot('Cumulative gain (records contacted from the top score down)', gainChart(scorings.map((s) => ({ key: s.key, points: s.report.gains }))))}
        ${plot('Calibration: conversion rate by score group (about a tenth of records each)', lineChart(scorings.map((s) => ({ key: s.key, points: s.report.calibration.map((c) => ({ x: c.meanScore, y: c.rate })) })), { xMax: 100, yFormat: pct, xLabel: 'mean score of the group', yLabel: 'conversion rate' }))}
        ${plot('Score distribution (records per score value)', distributionChart(scorings.map((s) => ({ key: s.key, points: s.report.distribution }))))}
        ${plot('AUC per backtest date: is it stable week to week?', dateChart(scorings.map((s) => ({ key: s.key, dates: s.report.byDate }))))}
      </div>
      ${dateTable(scorings.map((s) => ({ key: s.key, dates: s.report.byDate })), base)}
      <div class="side">${scorings.map((s) => groupTable(`Tiers (${s.key})`, s.report.tiers, `${base}.${s.key}.tiers`)).join('')}</div>
      <div class="side">${scorings.map((s) => groupTable(`Score bands (${s.key})`, s.report.bands, `${base}.${s.key}.bands`)).join('')}</div>
    </section>`;
  });
  const first = report.dates[0]?.slice(0, 10);
  const last = report.dates[report.dates.length - 1]?.slice(0, 10);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>pqlsync evaluate</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;background:#fff;max-width:1200px}
p,figcaption{overflow-wrap:anywhere}td,th{white-space:nowrap}caption{text-align:left}
@media (max-width:600px){body{margin:8px;font-size:13px}td,th{padding:2px 4px}}
.scroll{overflow-x:auto;max-width:100%}.side{display:flex;flex-wrap:wrap;gap:0 24px}.side>*{min-width:0;max-width:100%}
svg{max-width:100%;height:auto}figure{max-width:100%;box-sizing:border-box}.verdict{font-size:16px;background:#f6f8fa;padding:8px 12px;border-left:4px solid #2563eb}
.warning{background:#fff7ed;border-left:4px solid #ea580c;padding:6px 10px}tr.unsure td{color:#92400e}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px}td,th{padding:3px 10px;text-align:right;border-bottom:1px solid #eee}
th:first-child,td:first-child{text-align:left}.plots{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid #eee;padding:8px}figcaption{font-weight:600;margin-bottom:4px}
.legend span{margin-right:12px}.note{color:#555}.current{color:${COLORS.current}}.candidate{color:${COLORS.candidate}}
</style></head><body>
<h1>pqlsync evaluate</h1>
<p>${report.dates.length} backtest dates from ${first} to ${last}; a record converts when it does within ${report.horizonDays} days after a date; records already converted on a date are left out of it. Data to ${report.asOf.slice(0, 10)}.${report.candidate ? ` Candidate scoring: ${esc(report.candidate)}.` : ''}</p>
${Object.entries(report.targets)
  .flatMap(([name, t]) => (t.comparison ? [`<p class="verdict"><strong>Verdict (${esc(name)}):</strong> ${esc(verdict(t.comparison))}</p>`] : []))
  .join('')}
${report.warnings.map((w) => `<p class="warning">${esc(w)}</p>`).join('')}
<p class="note">${esc(AUC_IN_ONE_LINE)}</p>
${report.suggestion ? suggestionHtml(report) : ''}
<p class="legend"><span class="current">■ current scoring</span>${report.candidate ? '<span class="candidate">■ candidate scoring</span>' : ''}</p>
${sections.join('\n')}
<script type="application/json" id="pqlsync-evaluation">${JSON.stringify(report).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}

function summary(key: string, s: ScoringReport, path: string): string {
  return `<table class="summary"><tr><th class="${key}">${key} scoring</th><th>value</th></tr>
    <tr><td>record-dates</td>${cell(num(s.records), `${path}.records`)}</tr>
    <tr><td>conversions</td>${cell(num(s.conversions), `${path}.conversions`)}</tr>
    <tr><td>baseline rate</td>${cell(pct(s.baselineRate, 2), `${path}.baselineRate`)}</tr>
    <tr><td>AUC</td>${cell(fixed(s.auc), `${path}.auc`)}</tr>
    <tr><td>PQL precision (${esc(s.pql.tiers.join(', '))})</td>${cell(pct(s.pql.precision), `${path}.pql.precision`)}</tr>
    <tr><td>PQL recall</td>${cell(pct(s.pql.recall), `${path}.pql.recall`)}</tr>
    <tr><td>median days PQL → conversion</td>${cell(s.medianDaysToConvert === null ? 'n/a' : String(s.medianDaysToConvert), `${path}.medianDaysToConvert`)}</tr>
    <tr><td>share scoring exactly 0</td>${cell(pct(s.zeroShare), `${path}.zeroShare`)}</tr>
    <tr><td>distinct scores</td>${cell(String(s.distinctScores), `${path}.distinctScores`)}</tr></table>`;
}

function groupTable(title: string, rows: GroupStats[], path: string): string {
  return `<div class="scroll"><table><caption>${esc(title)}</caption><tr><th></th><th>records</th><th>conversions</th><th>rate</th><th>95% interval</th><th>lift</th><th>captured</th></tr>
    ${rows
      .map((g, i) => {
        const [lo, hi] = wilson(g.conversions, g.records);
        return `<tr><td>${esc(g.label)}</td>${cell(num(g.records), `${path}.${i}.records`)}${cell(num(g.conversions), `${path}.${i}.conversions`)}${cell(pct(g.rate), `${path}.${i}.rate`)}<td>${g.records > 0 ? `${pct(lo)}–${pct(hi)}` : 'n/a'}</td>${cell(`${g.lift.toFixed(2)}×`, `${path}.${i}.lift`)}${cell(pct(g.captured), `${path}.${i}.captured`)}</tr>`;
      })
      .join('')}</table></div>`;
}

/** Wilson's 95% interval for a rate (record-dates counted as they are; a rough guide per band). */
function wilson(k: number, n: number): [number, number] {
  if (n === 0) return [0, 0];
  const z = 1.96;
  const p = k / n;
  const centre = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

function dateTable(series: { key: string; dates: DateStats[] }[], base: string): string {
  const dates = series[0]?.dates ?? [];
  return `<div class="scroll"><table><caption>Per backtest date</caption><tr><th>date</th><th>records</th><th>conversions</th><th>rate</th>${series.map((s) => `<th>AUC ${esc(s.key)}</th>`).join('')}</tr>
    ${dates
      .map(
        (d, i) =>
          `<tr><td>${esc(d.label.slice(0, 10))}</td>${cell(num(d.records), `${base}.${series[0].key}.byDate.${i}.records`)}${cell(num(d.conversions), `${base}.${series[0].key}.byDate.${i}.conversions`)}${cell(pct(d.rate), `${base}.${series[0].key}.byDate.${i}.rate`)}${series.map((s) => cell(fixed(s.dates[i]?.auc ?? null), `${base}.${s.key}.byDate.${i}.auc`)).join('')}</tr>`,
      )
      .join('')}</table></div>`;
}

function cell(text: string, path: string, tag: 'td' | 'span' = 'td'): string {
  return `<${tag} data-path="${esc(path)}">${esc(text)}</${tag}>`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function plot(title: string, svg: string): string {
  return `<figure><figcaption>${esc(title)}</figcaption>${svg}</figure>`;
}

const W = 520;
const H = 260;
const M = { left: 66, right: 12, top: 10, bottom: 38 };
const innerW = W - M.left - M.right;
const innerH = H - M.top - M.bottom;

/** Axes, ticks and both axis titles around a chart's body (every chart has both titles). */
function frame(body: string, yMax: number, yFormat: (y: number) => string, xTicks: string, titles: { x: string; y: string }): string {
  const axisTitles = `<text class="axis-title x" x="${M.left + innerW / 2}" y="${H - 4}" text-anchor="middle" font-size="12">${esc(titles.x)}</text><text class="axis-title y" transform="translate(14 ${M.top + innerH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${esc(titles.y)}</text>`;
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => {
      const y = M.top + innerH * (1 - f);
      return `<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${M.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${esc(yFormat(yMax * f))}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img">${ticks}${body}${xTicks}${axisTitles}<line x1="${M.left}" x2="${W - M.right}" y1="${M.top + innerH}" y2="${M.top + innerH}" stroke="#999"/></svg>`;
}

function niceMax(values: number[]): number {
  const max = Math.max(...values, 1e-9);
  const step = 10 ** Math.floor(Math.log10(max));
  return Math.ceil(max / step) * step;
}

function barChart(series: { key: 'current' | 'candidate'; values: number[] }[], labels: string[], yFormat: (y: number) => string, titles = { x: 'score band', y: 'conversion rate' }): string {
  const yMax = niceMax(series.flatMap((s) => s.values));
  const slot = innerW / labels.length;
  const barW = (slot * 0.8) / series.length;
  const bars = series
    .flatMap((s, si) =>
      s.values.map((v, i) => {
        const h = (v / yMax) * innerH;
        return `<rect x="${(M.left + i * slot + slot * 0.1 + si * barW).toFixed(1)}" y="${(M.top + innerH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[s.key]}"><title>${esc(labels[i])}: ${esc(yFormat(v))}</title></rect>`;
      }),
    )
    .join('');
  const xTicks = labels.map((l, i) => `<text x="${(M.left + (i + 0.5) * slot).toFixed(1)}" y="${H - 18}" text-anchor="middle" font-size="10">${esc(l)}</text>`).join('');
  return frame(bars, yMax, yFormat, xTicks, titles);
}

function lineChart(series: { key: 'current' | 'candidate'; points: { x: number; y: number }[] }[], o: { xMax: number; yMax?: number; yMin?: number; yFormat: (y: number) => string; xLabel: string; yLabel: string; diagonal?: boolean; xFormat?: (x: number) => string; xTicks?: number[] }): string {
  const yMax = o.yMax ?? niceMax(series.flatMap((s) => s.points.map((p) => p.y)));
  const px = (x: number) => (M.left + (x / o.xMax) * innerW).toFixed(1);
  const py = (y: number) => (M.top + innerH - (y / yMax) * innerH).toFixed(1);
  const lines = series
    .map((s) => {
      const d = s.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(p.x)},${py(p.y)}`).join(' ');
      const dots = s.points.length <= 20 ? s.points.map((p) => `<circle cx="${px(p.x)}" cy="${py(p.y)}" r="3" fill="${COLORS[s.key]}"/>`).join('') : '';
      return `<path d="${d}" fill="none" stroke="${COLORS[s.key]}" stroke-width="2"/>${dots}`;
    })
    .join('');
  const diagonal = o.diagonal ? `<path d="M${px(0)},${py(0)} L${px(o.xMax)},${py(yMax)}" stroke="#aaa" stroke-dasharray="4 4"/>` : '';
  const xf = o.xFormat ?? ((x: number) => String(Math.round(x)));
  const xTicks = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<text x="${px(o.xMax * f)}" y="${H - 18}" text-anchor="middle" font-size="10">${esc(xf(o.xMax * f))}</text>`)
    .join('');
  return frame(diagonal + lines, yMax, o.yFormat, xTicks, { x: o.xLabel, y: o.yLabel });
}

function gainChart(series: { key: 'current' | 'candidate'; points: { records: number; conversions: number }[] }[]): string {
  return lineChart(
    series.map((s) => ({ key: s.key, points: s.points.map((p) => ({ x: p.records, y: p.conversions })) })),
    { xMax: 1, yMax: 1, yFormat: (y) => pct(y, 0), xFormat: (x) => pct(x, 0), xLabel: 'share of records contacted, highest scores first', yLabel: 'share of conversions', diagonal: true },
  );
}

function distributionChart(series: { key: 'current' | 'candidate'; points: { score: number; records: number }[] }[]): string {
  const total = (s: (typeof series)[number]) => s.points.reduce((a, p) => a + p.records, 0) || 1;
  const shares = series.map((s) => ({ key: s.key, points: s.points.map((p) => ({ score: p.score, share: p.records / total(s) })) }));
  const yMax = niceMax(shares.flatMap((s) => s.points.map((p) => p.share)));
  const slot = innerW / 101;
  const bars = shares
    .flatMap((s, si) =>
      s.points.map((p) => {
        const h = (p.share / yMax) * innerH;
        const x = M.left + Math.min(100, Math.max(0, p.score)) * slot + (si * slot) / shares.length;
        return `<rect x="${x.toFixed(1)}" y="${(M.top + innerH - h).toFixed(1)}" width="${Math.max(1, slot / shares.length).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[s.key]}"><title>score ${p.score}: ${pct(p.share)}</title></rect>`;
      }),
    )
    .join('');
  const xTicks = [0, 25, 50, 75, 100].map((x) => `<text x="${(M.left + (x + 0.5) * slot).toFixed(1)}" y="${H - 20}" text-anchor="middle" font-size="10">${x}</text>`).join('');
  return frame(bars, yMax, (y) => pct(y, 1), xTicks, { x: 'score', y: 'share of records' });
}

function dateChart(series: { key: 'current' | 'candidate'; dates: DateStats[] }[]): string {
  const labels = series[0]?.dates.map((d) => d.label.slice(5, 10)) ?? [];
  return lineChart(
    series.map((s) => ({ key: s.key, points: s.dates.flatMap((d, i) => (d.auc === null ? [] : [{ x: i, y: d.auc }])) })),
    { xMax: Math.max(1, labels.length - 1), yMax: 1, yFormat: (y) => y.toFixed(2), xLabel: 'backtest date (month-day)', yLabel: 'AUC', xFormat: (x) => labels[Math.round(x)] ?? '' },
  );
}

function suggestionHtml(report: EvaluationReport): string {
  const s = report.suggestion!;
  return `<section><h2>Suggested scoring</h2><p>Fitted on ${s.fittedOn.length} earlier dates (${s.fittedOn[0].slice(0, 10)} to ${s.fittedOn[s.fittedOn.length - 1].slice(0, 10)}); the figures below are for the ${report.dates.length} later dates only. Written to ${esc(s.file)}.</p>
    ${s.targets
      .map((t, ti) => {
        const at = `suggestion.targets.${ti}`;
        const o = t.outOfTime;
        const auc = o
          ? `<p>Out of time, on ${o.records.toLocaleString('en-US')} record-dates: AUC ${cell(fixed(o.current), `${at}.outOfTime.current`, 'span')} with the current points, ${cell(fixed(o.suggested), `${at}.outOfTime.suggested`, 'span')} with the suggested ones, and ${cell(fixed(o.reference), `${at}.outOfTime.reference`, 'span')} for the reference: a logistic regression on the same rules without the points' constraints (integers, signs, caps, 0-100), what the data allows.</p>`
          : '';
        return `${auc}<div class="scroll"><table><caption>${esc(t.target)}: points, one per rule (log-odds: the fitted weight of the rule; reference: the unconstrained fit's)</caption><tr><th>value</th><th>current</th><th>suggested</th><th>log-odds</th><th>reference</th><th>holds for</th><th>layer</th></tr>
        ${t.points.map((v, i) => `<tr><td>${esc(v.name)}</td>${cell(String(v.from), `${at}.points.${i}.from`)}${cell(String(v.to), `${at}.points.${i}.to`)}${cell(v.weight.toFixed(2), `${at}.points.${i}.weight`)}${cell(v.referenceWeight.toFixed(2), `${at}.points.${i}.referenceWeight`)}${cell(pct(v.share), `${at}.points.${i}.share`)}<td>${esc(v.layer)}</td></tr>`).join('')}
        ${t.caps.map((v, i) => `<tr><td>${esc(v.name)}</td>${cell(String(v.from), `${at}.caps.${i}.from`)}${cell(String(v.to), `${at}.caps.${i}.to`)}<td></td><td></td><td></td><td>cap</td></tr>`).join('')}
        ${t.thresholds.map((v, i) => `<tr><td>${esc(v.name)}</td>${cell(String(v.from), `${at}.thresholds.${i}.from`)}${cell(String(v.to), `${at}.thresholds.${i}.to`)}<td></td><td></td>${cell(pct(v.share), `${at}.thresholds.${i}.share`)}<td>${esc(v.tier)}, lift ${v.lift}×</td></tr>`).join('')}</table></div>
        ${t.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}`;
      })
      .join('')}</section>`;
}
