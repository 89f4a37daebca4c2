/**
 * Point values, caps and tier thresholds fitted from outcomes, one value per point rule, kept in
 * the shape of the points model a data team reads. Pure: patterns and model text in, a
 * suggestion and the candidate model's text out.
 *
 * Where the indicators come from: each configured layer column of the score model (activation,
 * usage, fit, intent, decay) is the sum of some point values of the scoring model, each added
 * when its rule holds. Built once more per date with a *probe* scoring model, in which the k-th
 * point of a layer is worth 2^k and no cap binds, a layer's value spells out which of its rules
 * held for the record (see docs/evaluate.md): the fit reads the very conditions the model
 * scores, without restating them anywhere.
 *
 * The fit: a logistic regression of conversion on those 0/1 indicators, L2-regularised, each
 * point's weight held at or above 0 in the direction the config declares (a layer that
 * subtracts, such as decay, can only lower the score). Weights become integer points on a
 * 0-100 score by the scale that ranks the fitting dates best; each cap is the layer's own sum,
 * never above 100. The same regression without those constraints is the reference, "what the
 * data allows" on the same columns. Each tier's lowest score goes where the records at and
 * above it reach the configured lift over the baseline, then moves down, if need be, until
 * every tier holds at least `min_tier_share` of the records.
 */
import type { EvaluateTarget } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import type { FeaturePattern } from './backtest.ts';
import { fitLogistic, logOdds, type LogisticFit } from './fit.ts';
import { auc, byScore } from './metrics.ts';

type SuggestConfig = NonNullable<EvaluateTarget['suggest']>;

export interface SuggestedValue {
  name: string;
  from: number;
  to: number;
}

export interface SuggestedPoint extends SuggestedValue {
  /** The layer column the point adds to (or subtracts from). */
  layer: string;
  /** Fitted log-odds of the rule holding, signed as the score uses it (the constrained fit). */
  weight: number;
  /** The unconstrained reference fit's log-odds for the same rule. */
  referenceWeight: number;
  /** Share of the fitting record-dates for which the rule held. */
  share: number;
}

/** AUC of three scorings on the same record-dates. */
export interface AucTriple {
  records: number;
  conversions: number;
  /** The current points. */
  current: number | null;
  /** The suggested points (integers, caps, clamped to 0-100: the score the candidate model computes). */
  suggested: number | null;
  /** The unconstrained logistic regression on the same indicators. */
  reference: number | null;
}

export interface Suggestion {
  target: string;
  points: SuggestedPoint[];
  caps: SuggestedValue[];
  thresholds: (SuggestedValue & { tier: string; lift: number; share: number })[];
  /** Log-odds per point of the suggested score (the scale chosen). */
  scale: number;
  /** On the fitting dates. */
  fitted: AucTriple;
  /** On the reporting dates (set once they are scored). */
  outOfTime?: AucTriple;
  /** What the guards changed, in words. */
  notes: string[];
  reference: LogisticFit;
}

/** Rules of one layer: its column, its points in config order, its cap, its sign. */
interface Layer {
  column: string;
  points: string[];
  cap?: string;
  sign: 1 | -1;
}

/** A probe's cap: far above any sum of probe points, so no cap binds. */
const PROBE_CAP = 1_000_000;
/** Bits a layer may spell (2^30 stays an exact integer in every warehouse's integer and float types). */
const MAX_POINTS_PER_LAYER = 30;
/** L2 penalty per fitting record-date: enough to keep a rare rule's weight finite, small beside the data. */
const L2_PER_RECORD = 2e-4;

export function layersOf(config: SuggestConfig): Layer[] {
  return Object.entries(config.features).map(([column, f]) => {
    if (f.points.length > MAX_POINTS_PER_LAYER) {
      throw new ConfigError(`evaluate.targets.*.suggest.features.${column}: at most ${MAX_POINTS_PER_LAYER} points per layer, got ${f.points.length}`);
    }
    return { column, points: f.points, cap: f.cap, sign: f.subtracts ? -1 : 1 };
  });
}

/** The probe scoring model: the k-th point of each layer worth 2^k, every cap out of reach. */
export function probeModelText(text: string, config: SuggestConfig, file: string): string {
  const values: SuggestedValue[] = [];
  for (const layer of layersOf(config)) {
    layer.points.forEach((name, k) => values.push({ name, from: readValue(text, name, file), to: 2 ** k }));
    if (layer.cap) values.push({ name: layer.cap, from: readValue(text, layer.cap, file), to: PROBE_CAP });
  }
  return replaceValues(text, values);
}

/** The 0/1 indicator of every point rule (layers in config order), read from a probe's layer values. */
export function decodeIndicators(layers: Layer[], values: number[]): number[] {
  return layers.flatMap((layer, j) => {
    const v = values[j];
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** layer.points.length) {
      throw new ConfigError(
        `evaluate --suggest: the layer column ${layer.column} scored ${v} with the probe points (the k-th of ${layer.points.join(', ')} worth 2^k); it must be a sum of those values, each added at most once. Name in suggest.features exactly the points that add up to ${layer.column}.`,
      );
    }
    return layer.points.map((_, k) => Math.floor(v / 2 ** k) % 2);
  });
}

/** The score a points model gives one indicator vector, as the model computes it: capped layers, decay subtracted, clamped to 0-100. */
export function pointsScore(layers: Layer[], value: (name: string) => number, x: number[]): number {
  let total = 0;
  let at = 0;
  for (const layer of layers) {
    let sum = 0;
    for (const name of layer.points) sum += x[at++] * value(name);
    if (layer.cap) sum = Math.min(value(layer.cap), sum);
    total += layer.sign * sum;
  }
  return Math.min(100, Math.max(0, total));
}

interface Indicated {
  x: number[];
  records: number;
  conversions: number;
}

export function indicate(layers: Layer[], patterns: FeaturePattern[]): Indicated[] {
  return patterns.map((p) => ({ x: decodeIndicators(layers, p.values), records: p.records, conversions: p.conversions }));
}

/** Fits every point of the target's layers on the fitting dates' patterns (probe layer values, in config order). */
export interface SuggestOptions {
  /** handoff.capacity.pqls_per_week: the sales_ready threshold yields about this many records per backtest date. */
  pqlsPerWeek?: number;
}

export function suggestPoints(target: string, config: SuggestConfig, patterns: FeaturePattern[], modelText: string, file: string, options: SuggestOptions = {}): Suggestion {
  const layers = layersOf(config);
  const rows = indicate(layers, patterns);
  const records = rows.reduce((s, r) => s + r.records, 0);
  const conversions = rows.reduce((s, r) => s + r.conversions, 0);
  if (conversions < config.min_conversions || records - conversions < config.min_conversions) {
    throw new ConfigError(
      `evaluate --suggest: ${target} has ${conversions} conversions among ${records} record-dates on the fitting dates; at least ${config.min_conversions} conversions (and as many records that did not convert) are needed to fit points (evaluate.targets.${target}.suggest.min_conversions). Give more --dates, a longer --horizon, or more history.`,
    );
  }
  const names = layers.flatMap((l) => l.points);
  const signs = layers.flatMap((l) => l.points.map(() => l.sign));
  const current = valuesOf(modelText, file, config);
  const l2 = Math.max(1, records * L2_PER_RECORD);

  const reference = fitLogistic(rows.map((r) => ({ values: r.x, records: r.records, conversions: r.conversions })), { l2 });
  // The current points are the prior: one slope turns them into log-odds, and each point moves
  // away from its current value only as far as the data insists (a rule that never held on the
  // fitting dates, such as 60 days of inactivity early in the data, keeps its current weight).
  const slope = fitLogistic(rows.map((r) => ({ values: [pointsScore(layers, current, r.x)], records: r.records, conversions: r.conversions }))).coefficients[0];
  const constrained = fitLogistic(
    rows.map((r) => ({ values: r.x.map((v, k) => v * signs[k]), records: r.records, conversions: r.conversions })),
    { l2, lower: names.map(() => 0), prior: names.map((n) => Math.max(0, slope) * current(n)) },
  );
  const weights = constrained.coefficients;

  // Integer points: the scale (points per unit of log-odds) under which the rounded, capped,
  // clamped score ranks the fitting record-dates best. Candidates put the score's top at 100
  // for the highest, or nearly highest, sums of added weights.
  const added = rows.map((r) => ({ sum: r.x.reduce((s, v, k) => s + (signs[k] > 0 ? v * weights[k] : 0), 0), records: r.records }));
  const scales = [1, 0.999, 0.995, 0.99, 0.98, 0.95, 0.9, 0.8]
    .map((q) => weightedQuantile(added, q))
    .filter((top) => top > 0)
    .map((top) => 100 / top);
  if (scales.length === 0) {
    throw new ConfigError(`evaluate --suggest: no point of ${target} predicts conversion on the fitting dates (every fitted weight is 0); nothing to suggest`);
  }
  let best: { scale: number; values: Map<string, number>; auc: number } | undefined;
  for (const scale of scales) {
    const values = integerPoints(layers, weights, scale);
    const a = aucOf(rows, (x) => pointsScore(layers, (n) => values.get(n)!, x)) ?? 0;
    if (!best || a > best.auc + 1e-12) best = { scale, values, auc: a };
  }
  const chosen = best!;
  const suggestedValue = (name: string) => chosen.values.get(name)!;

  const share = (k: number) => rows.reduce((s, r) => s + r.x[k] * r.records, 0) / records;
  const points = names.map((name, k) => ({
    name,
    layer: layers.find((l) => l.points.includes(name))!.column,
    from: current(name),
    to: suggestedValue(name),
    weight: signs[k] * weights[k],
    referenceWeight: reference.coefficients[k],
    share: share(k),
  }));
  const caps = layers.flatMap((l) => (l.cap ? [{ name: l.cap, from: current(l.cap), to: suggestedValue(l.cap) }] : []));

  const scored = rows.map((r) => ({ score: pointsScore(layers, suggestedValue, r.x), records: r.records, conversions: r.conversions }));
  const dates = new Set(patterns.map((p) => p.asOf)).size;
  const { thresholds, notes } = suggestThresholds(config, scored, current, target, options.pqlsPerWeek === undefined ? undefined : { pqlsPerWeek: options.pqlsPerWeek, dates });
  return {
    target,
    points,
    caps,
    thresholds,
    scale: 1 / chosen.scale,
    fitted: compareOn(layers, rows, current, suggestedValue, reference),
    notes,
    reference,
  };
}

/** The three scorings' AUC on other record-dates (the reporting dates): out of time. */
export function scoreOutOfTime(config: SuggestConfig, suggestion: Suggestion, patterns: FeaturePattern[], modelText: string, file: string): AucTriple {
  const layers = layersOf(config);
  const to = new Map([...suggestion.points, ...suggestion.caps].map((v) => [v.name, v.to]));
  return compareOn(layers, indicate(layers, patterns), valuesOf(modelText, file, config), (n) => to.get(n)!, suggestion.reference);
}

function compareOn(layers: Layer[], rows: Indicated[], current: (n: string) => number, suggested: (n: string) => number, reference: LogisticFit): AucTriple {
  return {
    records: rows.reduce((s, r) => s + r.records, 0),
    conversions: rows.reduce((s, r) => s + r.conversions, 0),
    current: aucOf(rows, (x) => pointsScore(layers, current, x)),
    suggested: aucOf(rows, (x) => pointsScore(layers, suggested, x)),
    reference: aucOf(rows, (x) => logOdds(reference, x)),
  };
}

/** Rounded points at this scale; each cap the layer's own sum (so it never binds beyond the points), at most 100. */
function integerPoints(layers: Layer[], weights: number[], scale: number): Map<string, number> {
  const values = new Map<string, number>();
  let k = 0;
  for (const layer of layers) {
    let sum = 0;
    for (const name of layer.points) {
      const v = Math.min(100, Math.max(0, Math.round(weights[k++] * scale)));
      values.set(name, v);
      sum += v;
    }
    if (layer.cap) values.set(layer.cap, Math.min(100, sum));
  }
  return values;
}

function aucOf(rows: Indicated[], score: (x: number[]) => number): number | null {
  return auc(byScore(rows.map((r) => ({ score: score(r.x), records: r.records, conversions: r.conversions }))));
}

function weightedQuantile(items: { sum: number; records: number }[], q: number): number {
  const sorted = [...items].sort((a, b) => a.sum - b.sum);
  const total = sorted.reduce((s, i) => s + i.records, 0);
  let seen = 0;
  for (const item of sorted) {
    seen += item.records;
    if (seen >= q * total - 1e-9) return item.sum;
  }
  return sorted[sorted.length - 1]?.sum ?? 0;
}

type Scored = { score: number; records: number; conversions: number };

/** The rep capacity a sales_ready threshold follows: PQLs a week, and the backtest dates the record-dates span. */
interface Capacity {
  pqlsPerWeek: number;
  dates: number;
}

/**
 * The sales_ready threshold that yields about `pqlsPerWeek` records at or above it per backtest
 * date (the dates are a week apart: the list the reps work that week): the score whose count is
 * nearest, the higher score on a tie, so the team is not handed more than it can call.
 */
export function capacityThreshold(scored: Scored[], capacity: Capacity): { score: number; perWeek: number } {
  let best = { score: 100, perWeek: 0 };
  for (let s = 100; s >= 1; s--) {
    const perWeek = scored.reduce((a, p) => a + (p.score >= s ? p.records : 0), 0) / capacity.dates;
    if (Math.abs(perWeek - capacity.pqlsPerWeek) < Math.abs(best.perWeek - capacity.pqlsPerWeek)) best = { score: s, perWeek };
  }
  return best;
}

/**
 * Each tier's lowest score where its lift target is reached (sales_ready, when the handoff
 * declares rep capacity, where it yields about that many PQLs a week); tiers kept in order; then, from
 * the top tier down, a tier holding less than `min_tier_share` of the record-dates takes its
 * lowest score down until it holds that share. A tier that cannot is a refusal, with numbers.
 */
function suggestThresholds(config: SuggestConfig, scored: Scored[], current: (n: string) => number, target: string, capacity?: Capacity) {
  const total = scored.reduce((s, p) => s + p.records, 0);
  const baseline = scored.reduce((s, p) => s + p.conversions, 0) / total;
  const notes: string[] = [];
  const thresholds = Object.entries(config.thresholds).map(([tier, t]) => {
    const from = current(t.value);
    if (tier === 'sales_ready' && capacity) {
      const { score, perWeek } = capacityThreshold(scored, capacity);
      notes.push(`sales_ready: lowest score ${score} from rep capacity (handoff.capacity.pqls_per_week ${capacity.pqlsPerWeek}): ${perWeek.toFixed(1)} records a week at or above it on the ${capacity.dates} fitting dates`);
      return { tier, name: t.value, lift: t.lift, from, to: score, share: 0 };
    }
    return { tier, name: t.value, lift: t.lift, from, to: lowestScoreWithLift(scored, t.lift * baseline, total) ?? from, share: 0 };
  });
  // Tiers stay in order: below a capacity threshold, a lower tier gives way; above it, it moves up.
  const fixed = thresholds.findIndex((t) => t.tier === 'sales_ready' && capacity);
  for (let i = fixed - 1; i >= 0; i--) thresholds[i].to = Math.max(1 + i, Math.min(thresholds[i].to, thresholds[i + 1].to - 1));
  for (let i = Math.max(1, fixed + 1); i < thresholds.length; i++) thresholds[i].to = Math.max(thresholds[i].to, thresholds[i - 1].to + 1);
  const shareBetween = (low: number, high: number) => scored.reduce((s, p) => s + (p.score >= low && p.score < high ? p.records : 0), 0) / total;
  for (let i = thresholds.length - 1; i >= 0; i--) {
    const t = thresholds[i];
    const high = i === thresholds.length - 1 ? Infinity : thresholds[i + 1].to;
    const floor = i; // room for the tiers below, one score each
    const was = t.to;
    while (shareBetween(t.to, high) < config.min_tier_share && t.to > floor + 1) t.to--;
    t.share = shareBetween(t.to, high);
    if (t.share < config.min_tier_share) {
      throw new ConfigError(
        `evaluate --suggest: the ${t.tier} tier of ${target} would hold ${(100 * t.share).toFixed(2)}% of the record-dates at any threshold, less than min_tier_share ${(100 * config.min_tier_share).toFixed(2)}%; the fitted scores do not spread enough to keep it (evaluate.targets.${target}.suggest.min_tier_share)`,
      );
    }
    if (t.to !== was) {
      notes.push(`${t.tier}: lowest score ${was} (its ${t.lift}× lift) would leave the tier ${(100 * shareBetween(was, high)).toFixed(2)}% of the records; moved to ${t.to} so it holds ${(100 * t.share).toFixed(1)}% (min_tier_share ${(100 * config.min_tier_share).toFixed(1)}%)`);
    }
    if (i > 0 && thresholds[i - 1].to >= t.to) thresholds[i - 1].to = t.to - 1;
  }
  return { thresholds, notes };
}

/**
 * The inflection point for a rate: the lowest score s from which every 10-point band (s to
 * s+9, and each one above it holding at least 0.5% of the records) converts at `rate` or
 * better; undefined when even the top band does not.
 */
function lowestScoreWithLift(scored: Scored[], rate: number, total: number): number | undefined {
  let lowest: number | undefined;
  for (let s = 100; s >= 1; s--) {
    const band = scored.filter((p) => p.score >= s && p.score < s + 10);
    const records = band.reduce((a, p) => a + p.records, 0);
    if (records < total * 0.005) continue;
    if (band.reduce((a, p) => a + p.conversions, 0) / records < rate) break;
    lowest = s;
  }
  return lowest;
}

const valuePattern = (name: string) => new RegExp(`(^|[^\\w.])(-?\\d+(?:\\.\\d+)?)(\\s+as\\s+${name})\\b`, 'm');

/** The model's current values of every configured point, cap and threshold, read once. */
function valuesOf(text: string, file: string, config: SuggestConfig): (name: string) => number {
  const names = [...layersOf(config).flatMap((l) => (l.cap ? [...l.points, l.cap] : l.points)), ...Object.values(config.thresholds).map((t) => t.value)];
  const values = new Map(names.map((n) => [n, readValue(text, n, file)]));
  return (name) => values.get(name)!;
}

export function readValue(text: string, name: string, file: string): number {
  const match = valuePattern(name).exec(text);
  if (!match) throw new ConfigError(`${file}: no value '<number> as ${name}' to suggest a new value for (evaluate.targets.*.suggest names it)`);
  return Number(match[2]);
}

function replaceValues(text: string, values: SuggestedValue[]): string {
  let out = text;
  for (const v of values) out = out.replace(valuePattern(v.name), `$1${v.to}$3`);
  return out;
}

/** The scoring model's text with the suggested values, and a comment saying where they came from. */
export function applySuggestions(text: string, suggestions: Suggestion[], note: string): string {
  const out = replaceValues(text, suggestions.flatMap((s) => [...s.points, ...s.caps, ...s.thresholds]));
  const close = out.indexOf('*/');
  const at = out.startsWith('/*') && close >= 0 ? close + 2 : 0;
  const comment = `\n-- ${note}\n-- Review before merging: the values changed are listed in the evaluate report.`;
  return at > 0 ? `${out.slice(0, at)}${comment}${out.slice(at)}` : `${comment.trimStart()}\n${out}`;
}
