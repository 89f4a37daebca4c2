/** Fitting every point from outcomes (src/evaluate/fit.ts, suggest.ts), on data with a known answer, and the guards. */
import { describe, expect, it } from 'vitest';
import type { FeaturePattern } from '../../src/evaluate/backtest.ts';
import { splitOutOfTime } from '../../src/evaluate/evaluate.ts';
import { fitLogistic } from '../../src/evaluate/fit.ts';
import { applySuggestions, capacityThreshold, decodeIndicators, layersOf, pointsScore, probeModelText, readValue, scoreOutOfTime, suggestPoints } from '../../src/evaluate/suggest.ts';
import { parseModelFile } from '../../src/project/model-file.ts';
import { createPrng } from '../../connectors/shared/prng.ts';

const MODEL = `/*
materialized: table
description: points
*/
select
  20 as a1_points,
  10 as a2_points,
  30 as a_cap,
  10 as b1_points,
  10 as b2_points,
  25 as b_cap,
  10 as d1_points,
  30 as warm_min,
  60 as hot_min,
  80 as sales_ready_min`;
const FILE = 'models/config/scoring_points.sql';

const CONFIG = {
  model: 'scoring_points',
  features: {
    a_layer: { points: ['a1_points', 'a2_points'], cap: 'a_cap', subtracts: false },
    b_layer: { points: ['b1_points', 'b2_points'], cap: 'b_cap', subtracts: false },
    decay: { points: ['d1_points'], subtracts: true },
  },
  thresholds: { warm: { value: 'warm_min', lift: 1 }, hot: { value: 'hot_min', lift: 2 }, sales_ready: { value: 'sales_ready_min', lift: 3 } },
  min_conversions: 100,
  min_tier_share: 0.01,
};

/**
 * Record-dates over five 0/1 rules (a1, a2, b1, b2, d1), each holding independently with the
 * given chance, converting with log-odds = intercept + Σ weight·rule. Values are what a probe
 * build gives: per layer, rule k adds 2^k.
 */
function patterns(seed: number, weights: number[], options: { intercept?: number; records?: number; shares?: number[] } = {}): FeaturePattern[] {
  const random = createPrng(seed);
  const shares = options.shares ?? [0.3, 0.5, 0.2, 0.4, 0.3];
  const counts = new Map<string, FeaturePattern>();
  for (let i = 0; i < (options.records ?? 40_000); i++) {
    const x: number[] = shares.map((s) => (random() < s ? 1 : 0));
    const p = 1 / (1 + Math.exp(-((options.intercept ?? -3.5) + x.reduce((a, v, k) => a + v * weights[k], 0))));
    const values = [x[0] + 2 * x[1], x[2] + 2 * x[3], x[4]];
    const key = values.join(',');
    const entry = counts.get(key) ?? { asOf: '2026-09-01T00:00:00.000Z', values, records: 0, conversions: 0 };
    entry.records++;
    if (random() < p) entry.conversions++;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** True weights unlike the model's points: a2 matters most, b1 not at all, decay a lot. */
const WEIGHTS = [0.4, 2.2, 0, 1.0, -1.5];

describe('fitting a logistic regression on grouped rows', () => {
  it('without penalty it recovers the coefficients', () => {
    const random = createPrng(3);
    const rows = [];
    for (let a = 0; a <= 30; a += 5) {
      for (let b = 0; b <= 30; b += 5) {
        const p = 1 / (1 + Math.exp(-(-5 + 0.12 * a + 0.03 * b)));
        let conversions = 0;
        for (let i = 0; i < 2000; i++) if (random() < p) conversions++;
        rows.push({ values: [a, b], records: 2000, conversions });
      }
    }
    const fit = fitLogistic(rows);
    expect(fit.coefficients[0]).toBeCloseTo(0.12, 2);
    expect(fit.coefficients[1]).toBeCloseTo(0.03, 2);
    expect(fit.intercept).toBeCloseTo(-5, 0);
    // Held at or above 0, a coefficient the data wants negative stops at 0.
    const bounded = fitLogistic(rows.map((r) => ({ ...r, values: [r.values[0], -r.values[1]] })), { lower: [0, 0] });
    expect(bounded.coefficients[1]).toBe(0);
    expect(bounded.coefficients[0]).toBeGreaterThan(0.1);
  });
});

describe('suggesting every point from outcomes', () => {
  it('the probe gives the k-th point of a layer 2^k and lifts every cap out of reach; its layer values decode to the rules', () => {
    const probe = probeModelText(MODEL, CONFIG, FILE);
    expect([readValue(probe, 'a1_points', FILE), readValue(probe, 'a2_points', FILE), readValue(probe, 'b2_points', FILE), readValue(probe, 'd1_points', FILE)]).toEqual([1, 2, 2, 1]);
    expect(readValue(probe, 'a_cap', FILE)).toBeGreaterThan(1000);
    expect(readValue(probe, 'warm_min', FILE)).toBe(30);
    const layers = layersOf(CONFIG);
    expect(decodeIndicators(layers, [3, 2, 1])).toEqual([1, 1, 0, 1, 1]);
    expect(() => decodeIndicators(layers, [4, 0, 0])).toThrow(/a_layer scored 4 with the probe points.*a1_points, a2_points/);
  });

  it('learns weights unlike the current points, out of time, within 0.02 of the unconstrained reference and above the current points', () => {
    const s = suggestPoints('contacts', CONFIG, patterns(4, WEIGHTS), MODEL, FILE);
    const to = Object.fromEntries([...s.points, ...s.caps, ...s.thresholds].map((v) => [v.name, v.to]));
    expect(to.a2_points).toBeGreaterThan(to.a1_points);
    expect(to.a2_points).toBeGreaterThan(to.b2_points);
    expect(to.b2_points).toBeGreaterThan(to.b1_points);
    expect(to.d1_points).toBeGreaterThan(0);
    for (const v of [...s.points, ...s.caps, ...s.thresholds]) {
      expect(Number.isInteger(v.to)).toBe(true);
      expect(v.to).toBeGreaterThanOrEqual(0);
      expect(v.to).toBeLessThanOrEqual(100);
    }
    expect(to.warm_min).toBeLessThan(to.hot_min);
    expect(to.hot_min).toBeLessThan(to.sales_ready_min);

    const later = scoreOutOfTime(CONFIG, s, patterns(5, WEIGHTS), MODEL, FILE);
    expect(later.suggested! - later.current!).toBeGreaterThan(0.03);
    expect(Math.abs(later.reference! - later.suggested!)).toBeLessThan(0.02);

    const text = applySuggestions(MODEL, [s], 'Suggested for a test.');
    const model = parseModelFile(text, 'suggested.sql', 'scoring_points');
    expect(model.body).toContain('-- Suggested for a test.');
    expect(model.body).toContain(`${to.a2_points} as a2_points`);
    expect(model.header.materialized).toBe('table');
  });

  it('never proposes a cap above the score maximum, however much one layer predicts', () => {
    const s = suggestPoints('contacts', CONFIG, patterns(6, [3, 1.5, 0, 0, 0], { intercept: -5 }), MODEL, FILE);
    for (const v of [...s.points, ...s.caps]) expect(v.to).toBeLessThanOrEqual(100);
    expect(s.caps.find((c) => c.name === 'a_cap')!.to).toBe(100);
  });

  it('refuses to fit with too few conversions, and says how many there are', () => {
    const few = patterns(7, WEIGHTS, { records: 3000, intercept: -6 });
    const conversions = few.reduce((a, p) => a + p.conversions, 0);
    expect(conversions).toBeLessThan(100);
    expect(() => suggestPoints('contacts', CONFIG, few, MODEL, FILE)).toThrow(
      new RegExp(`contacts has ${conversions} conversions among 3000 record-dates on the fitting dates; at least 100 conversions`),
    );
  });

  it('keeps every tier above min_tier_share where lift targets alone would collapse one, and refuses when no threshold can', () => {
    // Only a rare rule (1% of records) predicts: every lift target lands on its score, so warm
    // and hot would hold next to nothing.
    const config = { ...CONFIG, min_tier_share: 0.05 };
    const s = suggestPoints('contacts', config, patterns(9, [3.5, 0, 0, 0, 0], { shares: [0.01, 0.3, 0.3, 0.3, 0.3], intercept: -4.5, records: 60_000 }), MODEL, FILE);
    for (const t of s.thresholds) expect(t.share).toBeGreaterThanOrEqual(0.05);
    expect(s.notes.join(' ')).toMatch(/moved to \d+ so it holds/);
    // Two scores only: no threshold gives three tiers 5% each.
    const asOf = '2026-09-01T00:00:00.000Z';
    const one = [
      { asOf, values: [0, 0, 0], records: 50_000, conversions: 900 },
      { asOf, values: [1, 0, 0], records: 10_000, conversions: 900 },
    ];
    expect(() => suggestPoints('contacts', config, one, MODEL, FILE)).toThrow(/tier of contacts would hold .*% of the record-dates at any threshold, less than min_tier_share 5.00%/);
  });

  it('with rep capacity, puts sales_ready where about that many records a week are at or above it, and keeps the tiers below it in order', () => {
    // Four weekly backtest dates of 10,000 records each; the team can call 700 PQLs a week.
    const weeks = [1, 8, 15, 22].flatMap((day, i) =>
      patterns(20 + i, WEIGHTS, { records: 10_000 }).map((p) => ({ ...p, asOf: new Date(Date.UTC(2026, 8, day)).toISOString() })),
    );
    const capacity = 700;
    const byLift = suggestPoints('contacts', CONFIG, weeks, MODEL, FILE);
    const s = suggestPoints('contacts', CONFIG, weeks, MODEL, FILE, { pqlsPerWeek: capacity });
    const layers = layersOf(CONFIG);
    const value = new Map([...s.points, ...s.caps].map((v) => [v.name, v.to]));
    const scores = weeks.map((p) => ({ score: pointsScore(layers, (n) => value.get(n)!, decodeIndicators(layers, p.values)), records: p.records }));
    const perWeek = (t: number) => scores.reduce((a, p) => a + (p.score >= t ? p.records : 0), 0) / 4;
    const salesReady = s.thresholds.find((t) => t.tier === 'sales_ready')!;
    // No other threshold comes nearer the capacity.
    for (let t = 1; t <= 100; t++) expect(Math.abs(perWeek(salesReady.to) - capacity)).toBeLessThanOrEqual(Math.abs(perWeek(t) - capacity));
    expect(Math.abs(perWeek(salesReady.to) - capacity)).toBeLessThan(capacity * 0.5);
    expect(salesReady.to).not.toBe(byLift.thresholds.find((t) => t.tier === 'sales_ready')!.to);
    expect(s.notes.join(' ')).toContain('rep capacity (handoff.capacity.pqls_per_week 700)');
    const [warm, hot] = s.thresholds;
    expect(warm.to).toBeLessThan(hot.to);
    expect(hot.to).toBeLessThan(salesReady.to);
  });

  it('capacity threshold: the nearest count wins, the higher score on a tie', () => {
    const scored = [
      { score: 90, records: 20, conversions: 5 },
      { score: 70, records: 40, conversions: 5 },
      { score: 50, records: 100, conversions: 5 },
    ];
    // Two dates: 10 a week at 90, 30 at 70, 80 at 50.
    expect(capacityThreshold(scored, { pqlsPerWeek: 25, dates: 2 })).toEqual({ score: 70, perWeek: 30 });
    expect(capacityThreshold(scored, { pqlsPerWeek: 20, dates: 2 })).toEqual({ score: 90, perWeek: 10 });
    expect(capacityThreshold(scored, { pqlsPerWeek: 200, dates: 2 })).toEqual({ score: 50, perWeek: 80 });
  });

  it('fits on earlier dates whose horizon ends before the later half begins; too few dates name the spacing and the count needed', () => {
    const weekly = (n: number) => Array.from({ length: n }, (_, i) => new Date(Date.UTC(2026, 6, 10) + i * 7 * 86_400_000).toISOString());
    const dates = weekly(13);
    const { train, test } = splitOutOfTime(dates, 30);
    expect(test).toEqual(dates.slice(7));
    expect(train).toEqual(dates.slice(0, 3));
    for (const d of train) expect(Date.parse(d) + 30 * 86_400_000).toBeLessThanOrEqual(Date.parse(test[0]));
    expect(() => splitOutOfTime(weekly(6), 30)).toThrow(/6 dates 7 days apart leave 0\. Give --dates 11 or more/);
    expect(() => splitOutOfTime(weekly(4), 14)).toThrow(/4 dates 7 days apart leave 1\. Give --dates 5 or more/);
  });
});
