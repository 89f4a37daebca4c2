/**
 * A regularised (L2) logistic regression on grouped data: each pattern of feature values
 * with its records and conversions. Newton's method on standardised features; pure, and
 * small (a handful of features, a few thousand patterns).
 */
import type { FeaturePattern } from './backtest.ts';

export interface LogisticFit {
  intercept: number;
  /** One per feature, per unit of the feature as it is (not standardised). */
  coefficients: number[];
  /** Feature means over the records. */
  means: number[];
  iterations: number;
}

/**
 * Fits log-odds = intercept + Σ coefficient·feature, penalising (l2/2)·Σ (β − prior)² on the
 * standardised coefficients: with a prior, the fit starts from it and moves only as far as
 * the data insists (a prior of 0 is plain ridge regression).
 */
export function fitLogistic(patterns: FeaturePattern[], options: { l2?: number; prior?: number[]; maxIterations?: number } = {}): LogisticFit {
  const k = patterns[0]?.values.length ?? 0;
  const l2 = options.l2 ?? 1;
  const total = patterns.reduce((s, p) => s + p.records, 0);
  if (total === 0) throw new Error('no records to fit');
  const means = Array.from({ length: k }, (_, j) => patterns.reduce((s, p) => s + p.values[j] * p.records, 0) / total);
  const sds = means.map((m, j) => Math.sqrt(patterns.reduce((s, p) => s + (p.values[j] - m) ** 2 * p.records, 0) / total) || 1);
  const prior = [0, ...(options.prior ?? new Array(k).fill(0)).map((p, j) => p * sds[j])];
  const rows = patterns.map((p) => ({ x: [1, ...p.values.map((v, j) => (v - means[j]) / sds[j])], n: p.records, y: p.conversions }));

  const beta = new Array(k + 1).fill(0);
  const rate = patterns.reduce((s, p) => s + p.conversions, 0) / total;
  beta[0] = Math.log(Math.max(rate, 1e-9) / Math.max(1 - rate, 1e-9));
  let iterations = 0;
  for (; iterations < (options.maxIterations ?? 50); iterations++) {
    const gradient = beta.map((b, j) => (j === 0 ? 0 : -l2 * (b - prior[j])));
    const hessian = beta.map((_, a) => beta.map((__, b) => (a === b && a > 0 ? l2 : 0)));
    for (const r of rows) {
      const eta = r.x.reduce((s, x, j) => s + x * beta[j], 0);
      const p = 1 / (1 + Math.exp(-eta));
      const w = r.n * p * (1 - p);
      for (let a = 0; a <= k; a++) {
        gradient[a] += r.x[a] * (r.y - r.n * p);
        for (let b = 0; b <= k; b++) hessian[a][b] += w * r.x[a] * r.x[b];
      }
    }
    const step = solve(hessian, gradient);
    for (let j = 0; j <= k; j++) beta[j] += step[j];
    if (Math.max(...step.map(Math.abs)) < 1e-9) break;
  }
  const coefficients = beta.slice(1).map((b, j) => b / sds[j]);
  const intercept = beta[0] - coefficients.reduce((s, c, j) => s + c * means[j], 0);
  return { intercept, coefficients, means, iterations };
}

/** Solves A x = b (A symmetric positive definite here) by Gaussian elimination with partial pivoting. */
function solve(matrix: number[][], vector: number[]): number[] {
  const n = vector.length;
  const a = matrix.map((row, i) => [...row, vector[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    const d = a[col][col] || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = a[r][col] / d;
      for (let c = col; c <= n; c++) a[r][c] -= f * a[col][c];
    }
  }
  return a.map((row, i) => row[n] / (row[i] || 1e-12));
}
