/**
 * Point values and tier thresholds fitted from outcomes, kept in the shape of the point model
 * a data team reads: each layer column of the score model (activation, usage, fit, intent,
 * decay) is the sum of some values of the scoring model; a regularised logistic regression
 * on the layer columns says how much a point of each layer is worth in the data, and every
 * value of that layer (its cap included) is scaled by it. The total stays on the same scale
 * (the mean of the added layers is kept), and each tier's lowest score goes where the records
 * at and above it reach the configured lift over the baseline. Pure: patterns and model text
 * in, a suggestion and the candidate model's text out.
 */
import type { EvaluateTarget } from '../config/schema.ts';
import { ConfigError } from '../errors.ts';
import type { FeaturePattern } from './backtest.ts';
import { fitLogistic } from './fit.ts';

export interface SuggestedFeature {
  column: string;
  /** Fitted log-odds per point of the column. */
  coefficient: number;
  /** The factor every value of this layer is multiplied by (0 when the data gives it no positive weight). */
  scale: number;
}

export interface SuggestedValue {
  name: string;
  from: number;
  to: number;
}

export interface Suggestion {
  target: string;
  features: SuggestedFeature[];
  values: SuggestedValue[];
  thresholds: (SuggestedValue & { tier: string; lift: number })[];
}

type SuggestConfig = NonNullable<EvaluateTarget['suggest']>;

/** How strongly the fit holds to the current scoring, per record fitted (a ridge penalty toward it). */
const PRIOR_STRENGTH = 0.2;

/** Fits the target's layers on `patterns` (one value per configured feature, in config order). */
export function suggestPoints(target: string, config: SuggestConfig, patterns: FeaturePattern[], modelText: string, file: string): Suggestion {
  const columns = Object.keys(config.features);
  const signs = columns.map((c) => (config.features[c].subtracts ? -1 : 1));
  // The current scoring as a prior: one slope for its (unclamped) points, every layer alike;
  // then each layer may move away from it as far as the data insists.
  const total = patterns.reduce((s, p) => s + p.records, 0);
  const slope = fitLogistic(patterns.map((p) => ({ ...p, values: [p.values.reduce((s, v, j) => s + signs[j] * v, 0)] })), { l2: 0 }).coefficients[0];
  const fit = fitLogistic(patterns, { prior: signs.map((sign) => sign * slope), l2: Math.max(1, total * PRIOR_STRENGTH) });
  // How many current points one fitted point is worth, per layer, never below 0.
  const weights = fit.coefficients.map((c, j) => Math.max(0, c * signs[j]));
  const added = columns.map((_, j) => j).filter((j) => signs[j] > 0);
  const meanPoints = added.reduce((s, j) => s + fit.means[j], 0);
  const meanWeighted = added.reduce((s, j) => s + weights[j] * fit.means[j], 0);
  if (meanWeighted <= 0) throw new ConfigError(`evaluate --suggest: no layer of ${target} predicts conversion on these dates; nothing to suggest`);
  const k = meanPoints / meanWeighted;
  const features = columns.map((column, j) => ({ column, coefficient: fit.coefficients[j], scale: weights[j] * k }));

  const values: SuggestedValue[] = [];
  for (const [j, column] of columns.entries()) {
    for (const name of config.features[column].points) {
      const from = readValue(modelText, name, file);
      values.push({ name, from, to: Math.max(0, Math.round(from * features[j].scale)) });
    }
  }

  // The suggested score of each pattern: its layers rescaled, clamped as the model clamps.
  const scored = patterns.map((p) => ({
    score: Math.min(100, Math.max(0, Math.round(p.values.reduce((s, v, j) => s + signs[j] * features[j].scale * v, 0)))),
    records: p.records,
    conversions: p.conversions,
  }));
  const baseline = scored.reduce((s, p) => s + p.conversions, 0) / total;
  const thresholds = Object.entries(config.thresholds).map(([tier, t]) => {
    const from = readValue(modelText, t.value, file);
    return { tier, name: t.value, lift: t.lift, from, to: lowestScoreWithLift(scored, t.lift * baseline, total) ?? from };
  });
  // Tiers stay in order even where the data cannot separate them.
  for (let i = 1; i < thresholds.length; i++) thresholds[i].to = Math.max(thresholds[i].to, thresholds[i - 1].to + 1);
  return { target, features, values, thresholds };
}

/**
 * The inflection point for a rate: the lowest score s from which every 10-point band (s to
 * s+9, and each one above it holding at least 0.5% of the records) converts at `rate` or
 * better; undefined when even the top band does not.
 */
function lowestScoreWithLift(scored: { score: number; records: number; conversions: number }[], rate: number, total: number): number | undefined {
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

function readValue(text: string, name: string, file: string): number {
  const match = valuePattern(name).exec(text);
  if (!match) throw new ConfigError(`${file}: no value '<number> as ${name}' to suggest a new value for (evaluate.targets.*.suggest names it)`);
  return Number(match[2]);
}

/** The scoring model's text with the suggested values, and a comment saying where they came from. */
export function applySuggestions(text: string, suggestions: Suggestion[], note: string): string {
  let out = text;
  for (const s of suggestions) {
    for (const v of [...s.values, ...s.thresholds]) out = out.replace(valuePattern(v.name), `$1${v.to}$3`);
  }
  const close = out.indexOf('*/');
  const at = out.startsWith('/*') && close >= 0 ? close + 2 : 0;
  const comment = `\n-- ${note}\n-- Review before merging: the values changed are listed in the evaluate report.`;
  return at > 0 ? `${out.slice(0, at)}${comment}${out.slice(at)}` : `${comment.trimStart()}\n${out}`;
}
