/**
 * Two scorings side by side on the same record-dates: the difference in AUC, in the top tier's
 * lift and in the share of converters found in the top 5 % of records, each with a bootstrap
 * interval. Pure: it works on the paired histogram the warehouse returns, (record cluster,
 * current score and tier, candidate score and tier) → records, conversions.
 *
 * The bootstrap resamples records, not record-dates: the warehouse puts every record, with all
 * its dates, into one of CLUSTERS clusters (by the rank of its key), and each replicate weighs
 * each cluster by a Poisson(1) draw. One person scored on several dates moves as one, so their
 * repeated dates are not counted as independent evidence.
 */
import { createPrng } from '../../connectors/shared/prng.ts';
import { auc } from './metrics.ts';
import type { PairedCell } from './backtest.ts';

/** Clusters of records the bootstrap resamples (the warehouse assigns them: backtest.ts). */
export const CLUSTERS = 100;
/** The share of records at the top whose converters the verdict counts. */
export const TOP_SHARE = 0.05;

export interface Difference {
  current: number | null;
  candidate: number | null;
  /** candidate − current. */
  difference: number | null;
  /** 95% percentile interval of the difference over the bootstrap replicates. */
  interval: [number, number] | null;
}

export interface Comparison {
  records: number;
  auc: Difference;
  /** Lift of the top tier (the last configured tier) over the baseline. */
  topTier: string;
  topTierLift: Difference;
  /** Share of all converters among the TOP_SHARE of record-dates with the highest scores (ties split evenly). */
  topCapture: Difference;
  replicates: number;
  seed: number;
}

interface Figures {
  auc: number | null;
  topTierLift: number | null;
  topCapture: number | null;
}

/** One side's counts per distinct score (ascending) and in the top tier, per cluster. */
interface Side {
  scores: number[];
  /** cluster → per score index [converted, not converted]. */
  byCluster: Map<number, Float64Array>;
  top: Map<number, [number, number]>;
}

export function compareScorings(paired: PairedCell[], topTier: string, options: { replicates?: number; seed?: number } = {}): Comparison {
  const replicates = options.replicates ?? 1000;
  const seed = options.seed ?? 1;
  const sides = { current: side(paired, 'current', topTier), candidate: side(paired, 'candidate', topTier) };
  const clusters = [...new Set(paired.map((c) => c.cluster))].sort((a, b) => a - b);
  const observed = { current: figures(sides.current, () => 1), candidate: figures(sides.candidate, () => 1) };
  const random = createPrng(seed);
  const diffs: Record<keyof Figures, number[]> = { auc: [], topTierLift: [], topCapture: [] };
  for (let b = 0; b < replicates; b++) {
    const weights = new Map(clusters.map((c) => [c, poisson(1, random)]));
    const weight = (c: number) => weights.get(c) ?? 0;
    const current = figures(sides.current, weight);
    const candidate = figures(sides.candidate, weight);
    for (const key of Object.keys(diffs) as (keyof Figures)[]) {
      const a = current[key];
      const c = candidate[key];
      if (a !== null && c !== null) diffs[key].push(c - a);
    }
  }
  const difference = (key: keyof Figures): Difference => {
    const a = observed.current[key];
    const b = observed.candidate[key];
    return {
      current: a,
      candidate: b,
      difference: a !== null && b !== null ? b - a : null,
      interval: diffs[key].length >= 20 ? [quantile(diffs[key], 0.025), quantile(diffs[key], 0.975)] : null,
    };
  };
  return {
    records: paired.reduce((s, c) => s + c.records, 0),
    auc: difference('auc'),
    topTier,
    topTierLift: difference('topTierLift'),
    topCapture: difference('topCapture'),
    replicates,
    seed,
  };
}

/** Whether an interval holds 0 (the scorings are not shown to differ). */
export function crossesZero(d: Difference): boolean {
  return d.interval !== null && d.interval[0] <= 0 && d.interval[1] >= 0;
}

function side(paired: PairedCell[], key: 'current' | 'candidate', topTier: string): Side {
  const scores = [...new Set(paired.map((c) => c[key].score))].sort((a, b) => a - b);
  const index = new Map(scores.map((s, i) => [s, i]));
  const byCluster = new Map<number, Float64Array>();
  const top = new Map<number, [number, number]>();
  for (const c of paired) {
    const counts = byCluster.get(c.cluster) ?? new Float64Array(scores.length * 2);
    byCluster.set(c.cluster, counts);
    const i = index.get(c[key].score)!;
    counts[2 * i] += c.conversions;
    counts[2 * i + 1] += c.records - c.conversions;
    if (c[key].tier === topTier) {
      const t = top.get(c.cluster) ?? [0, 0];
      t[0] += c.records;
      t[1] += c.conversions;
      top.set(c.cluster, t);
    }
  }
  return { scores, byCluster, top };
}

/** AUC, top-tier lift and top-5% capture of one side, each cluster weighted. */
function figures(s: Side, weight: (cluster: number) => number): Figures {
  const pooled = new Float64Array(s.scores.length * 2);
  for (const [cluster, counts] of s.byCluster) {
    const w = weight(cluster);
    if (w === 0) continue;
    for (let i = 0; i < counts.length; i++) pooled[i] += w * counts[i];
  }
  const distribution = s.scores.map((_, i) => ({ records: pooled[2 * i] + pooled[2 * i + 1], conversions: pooled[2 * i] }));
  const records = distribution.reduce((a, d) => a + d.records, 0);
  const conversions = distribution.reduce((a, d) => a + d.conversions, 0);
  let topRecords = 0;
  let topConversions = 0;
  for (const [cluster, [n, k]] of s.top) {
    topRecords += weight(cluster) * n;
    topConversions += weight(cluster) * k;
  }
  const baseline = records > 0 ? conversions / records : 0;
  return {
    auc: auc(distribution),
    topTierLift: topRecords > 0 && baseline > 0 ? topConversions / topRecords / baseline : null,
    topCapture: conversions > 0 ? capturedAtTop(distribution, records * TOP_SHARE) / conversions : null,
  };
}

/** Conversions among the `budget` highest-scoring records; a score straddling the cut contributes pro rata. */
function capturedAtTop(distribution: { records: number; conversions: number }[], budget: number): number {
  let left = budget;
  let captured = 0;
  for (let i = distribution.length - 1; i >= 0 && left > 0; i--) {
    const d = distribution[i];
    const take = Math.min(left, d.records);
    if (d.records > 0) captured += (d.conversions * take) / d.records;
    left -= take;
  }
  return captured;
}

function quantile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** A Poisson(λ) draw: Knuth's method for small λ, a rounded normal above 30 (where the two agree closely). */
export function poisson(lambda: number, random: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) {
    const u = 1 - random();
    const v = random();
    const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}
