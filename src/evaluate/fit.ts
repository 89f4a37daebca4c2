/**
 * A regularised (L2) logistic regression on grouped data: each pattern of feature values with
 * its records and conversions (the warehouse groups record-dates, so a fit over millions of
 * record-dates reads a few thousand patterns). Coordinate descent, one exact Newton step per
 * coefficient, each coefficient held at or above its lower bound: with bounds of 0 it is the
 * non-negative fit `evaluate --suggest` needs for point values; without bounds it is plain
 * logistic regression. Pure.
 */
export interface GroupedRow {
  values: number[];
  records: number;
  conversions: number;
}

export interface LogisticFit {
  intercept: number;
  /** One per feature, per unit of the feature. */
  coefficients: number[];
  /** Sweeps over the coefficients until no coefficient moved more than the tolerance. */
  sweeps: number;
}

export interface FitOptions {
  /** Penalty (l2 / 2) · Σ (coefficient − prior)², in units of one record's log-likelihood (default 0). */
  l2?: number;
  /** Where the penalty pulls each coefficient (default 0: plain ridge regression). */
  prior?: number[];
  /** Lowest value of each coefficient (default: none). */
  lower?: number[];
  maxSweeps?: number;
  tolerance?: number;
}

/** Fits log-odds = intercept + Σ coefficient · feature. */
export function fitLogistic(rows: GroupedRow[], options: FitOptions = {}): LogisticFit {
  const k = rows[0]?.values.length ?? 0;
  const l2 = options.l2 ?? 0;
  const lower = options.lower ?? new Array(k).fill(-Infinity);
  const prior = options.prior ?? new Array(k).fill(0);
  const total = rows.reduce((s, r) => s + r.records, 0);
  const converted = rows.reduce((s, r) => s + r.conversions, 0);
  if (total === 0) throw new Error('no records to fit');
  const rate = Math.min(Math.max(converted / total, 1e-9), 1 - 1e-9);
  let intercept = Math.log(rate / (1 - rate));
  const beta = prior.map((p, j) => Math.max(p, lower[j]));
  // A step never moves the log-odds of any row by more than this, so Newton cannot overshoot.
  const maxAbs = Array.from({ length: k }, (_, j) => Math.max(1e-12, ...rows.map((r) => Math.abs(r.values[j]))));
  const eta = rows.map((r) => intercept + r.values.reduce((s, v, j) => s + v * beta[j], 0));

  // Each coefficient visits only the rows where its feature is not 0 (indicators are mostly 0).
  const all = rows.map((_, i) => i);
  const nonZero = Array.from({ length: k }, (_, j) => all.filter((i) => rows[i].values[j] !== 0));
  const step = (indices: number[], x: (r: GroupedRow) => number, penalty: number, value: number, target: number, bound: number, limit: number): number => {
    let gradient = -penalty * (value - target);
    let curvature = penalty;
    for (const i of indices) {
      const xi = x(rows[i]);
      const p = 1 / (1 + Math.exp(-eta[i]));
      gradient += xi * (rows[i].conversions - rows[i].records * p);
      curvature += xi * xi * rows[i].records * p * (1 - p);
    }
    if (curvature <= 0) return 0;
    const next = Math.max(bound, value + Math.max(-limit, Math.min(limit, gradient / curvature)));
    const delta = next - value;
    if (delta !== 0) for (const i of indices) eta[i] += delta * x(rows[i]);
    return delta;
  };

  const tolerance = options.tolerance ?? 1e-6;
  let sweeps = 0;
  for (; sweeps < (options.maxSweeps ?? 1000); sweeps++) {
    const shift = step(all, () => 1, 0, intercept, 0, -Infinity, 4);
    intercept += shift;
    let moved = Math.abs(shift);
    for (let j = 0; j < k; j++) {
      const delta = step(nonZero[j], (r) => r.values[j], l2, beta[j], prior[j], lower[j], 4 / maxAbs[j]);
      beta[j] += delta;
      moved = Math.max(moved, Math.abs(delta) * maxAbs[j]);
    }
    if (moved < tolerance) break;
  }
  return { intercept, coefficients: beta, sweeps };
}

/** The fitted log-odds of a row. */
export function logOdds(fit: LogisticFit, values: number[]): number {
  return values.reduce((s, v, j) => s + v * fit.coefficients[j], fit.intercept);
}
