/**
 * Two scorings side by side on the same record-dates: the difference in AUC and in the
 * top tier's lift, with a bootstrap interval. Pure: it works on the paired histogram the
 * warehouse returns, (current score and tier, candidate score and tier) → records,
 * conversions.
 *
 * The bootstrap is a Poisson bootstrap over record-dates (each one's weight drawn from
 * Poisson(1), so a cell of n record-dates draws Poisson(n)): fast on a histogram, and
 * close to resampling with replacement. It treats record-dates as independent; the same
 * person on several dates makes the interval somewhat too narrow.
 */
import { createPrng } from '../util/prng.ts';
import { auc, byScore } from './metrics.ts';
import type { PairedCell } from './backtest.ts';

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
  replicates: number;
  seed: number;
}

interface Figures {
  auc: number | null;
  topTierLift: number | null;
}

export function compareScorings(paired: PairedCell[], topTier: string, options: { replicates?: number; seed?: number } = {}): Comparison {
  const replicates = options.replicates ?? 1000;
  const seed = options.seed ?? 1;
  const observed = figures(paired, topTier, (c) => [c.conversions, c.records - c.conversions]);
  const random = createPrng(seed);
  const diffs = { auc: [] as number[], lift: [] as number[] };
  for (let b = 0; b < replicates; b++) {
    const weights = new Map<PairedCell, [number, number]>();
    for (const c of paired) weights.set(c, [poisson(c.conversions, random), poisson(c.records - c.conversions, random)]);
    const f = figures(paired, topTier, (c) => weights.get(c)!);
    if (f.current.auc !== null && f.candidate.auc !== null) diffs.auc.push(f.candidate.auc - f.current.auc);
    if (f.current.topTierLift !== null && f.candidate.topTierLift !== null) diffs.lift.push(f.candidate.topTierLift - f.current.topTierLift);
  }
  const difference = (key: keyof Figures, samples: number[]): Difference => {
    const a = observed.current[key];
    const b = observed.candidate[key];
    return {
      current: a,
      candidate: b,
      difference: a !== null && b !== null ? b - a : null,
      interval: samples.length >= 20 ? [quantile(samples, 0.025), quantile(samples, 0.975)] : null,
    };
  };
  return {
    records: paired.reduce((s, c) => s + c.records, 0),
    auc: difference('auc', diffs.auc),
    topTier,
    topTierLift: difference('topTierLift', diffs.lift),
    replicates,
    seed,
  };
}

/** AUC and top-tier lift of both scorings, with each cell weighted as [converted, not converted]. */
function figures(paired: PairedCell[], topTier: string, weight: (c: PairedCell) => [number, number]): { current: Figures; candidate: Figures } {
  let records = 0;
  let conversions = 0;
  const top = { current: [0, 0], candidate: [0, 0] };
  const hist = { current: [] as { score: number; records: number; conversions: number }[], candidate: [] as { score: number; records: number; conversions: number }[] };
  for (const c of paired) {
    const [pos, neg] = weight(c);
    records += pos + neg;
    conversions += pos;
    for (const side of ['current', 'candidate'] as const) {
      hist[side].push({ score: c[side].score, records: pos + neg, conversions: pos });
      if (c[side].tier === topTier) {
        top[side][0] += pos + neg;
        top[side][1] += pos;
      }
    }
  }
  const baseline = records > 0 ? conversions / records : 0;
  const lift = ([n, k]: number[]) => (n > 0 && baseline > 0 ? k / n / baseline : null);
  return {
    current: { auc: auc(byScore(hist.current)), topTierLift: lift(top.current) },
    candidate: { auc: auc(byScore(hist.candidate)), topTierLift: lift(top.candidate) },
  };
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
