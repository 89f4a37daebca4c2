/** Fitting points from outcomes (src/evaluate/fit.ts, suggest.ts), on data with a known answer. */
import { describe, expect, it } from 'vitest';
import type { FeaturePattern } from '../../src/evaluate/backtest.ts';
import { createPrng } from '../../src/util/prng.ts';
import { splitOutOfTime } from '../../src/evaluate/evaluate.ts';
import { fitLogistic } from '../../src/evaluate/fit.ts';
import { applySuggestions, suggestPoints } from '../../src/evaluate/suggest.ts';
import { parseModelFile } from '../../src/project/model-file.ts';

/** Patterns over two layers (0..30 each) whose outcome follows log-odds = -5 + 0.12·a + 0.03·b. */
function patterns(seed: number): FeaturePattern[] {
  const random = createPrng(seed);
  const out: FeaturePattern[] = [];
  for (let a = 0; a <= 30; a += 5) {
    for (let b = 0; b <= 30; b += 5) {
      const p = 1 / (1 + Math.exp(-(-5 + 0.12 * a + 0.03 * b)));
      let conversions = 0;
      for (let i = 0; i < 2000; i++) if (random() < p) conversions++;
      out.push({ values: [a, b], records: 2000, conversions });
    }
  }
  return out;
}

const MODEL = `/*
materialized: table
description: points
*/
select
  20 as a_points,
  30 as a_cap,
  20 as b_points,
  30 as b_cap,
  30 as warm_min,
  60 as hot_min`;

const CONFIG = {
  model: 'scoring_points',
  features: { a_layer: { points: ['a_points', 'a_cap'], subtracts: false }, b_layer: { points: ['b_points', 'b_cap'], subtracts: false } },
  thresholds: { warm: { value: 'warm_min', lift: 1 }, hot: { value: 'hot_min', lift: 2 } },
};

describe('fitting points from outcomes', () => {
  it('a logistic regression without penalty recovers the coefficients', () => {
    const fit = fitLogistic(patterns(3), { l2: 0 });
    expect(fit.coefficients[0]).toBeCloseTo(0.12, 2);
    expect(fit.coefficients[1]).toBeCloseTo(0.03, 2);
    expect(fit.intercept).toBeCloseTo(-5, 0);
  });

  it('the layer that predicts more gets more points, the other fewer, and the file keeps its shape', () => {
    const s = suggestPoints('contacts', CONFIG, patterns(4), MODEL, 'models/config/scoring_points.sql');
    const a = s.features.find((f) => f.column === 'a_layer')!;
    const b = s.features.find((f) => f.column === 'b_layer')!;
    expect(a.scale).toBeGreaterThan(1);
    expect(b.scale).toBeLessThan(1);
    const to = Object.fromEntries([...s.values, ...s.thresholds].map((v) => [v.name, v.to]));
    expect(to.a_points).toBeGreaterThan(20);
    expect(to.b_points).toBeLessThan(20);
    expect(to.hot_min).toBeGreaterThan(to.warm_min);

    const text = applySuggestions(MODEL, [s], 'Suggested for a test.');
    const model = parseModelFile(text, 'suggested.sql', 'scoring_points');
    expect(model.body).toContain('-- Suggested for a test.');
    expect(model.body).toContain(`${to.a_points} as a_points`);
    expect(model.body).toContain(`${to.hot_min} as hot_min`);
    expect(model.header.materialized).toBe('table');
  });

  it('names the file when a configured value is not in the scoring model', () => {
    const config = { ...CONFIG, features: { a_layer: { points: ['missing_points'], subtracts: false } } };
    expect(() => suggestPoints('contacts', config, patterns(5).map((p) => ({ ...p, values: [p.values[0]] })), MODEL, 'models/config/scoring_points.sql')).toThrow(
      /models\/config\/scoring_points\.sql: no value '<number> as missing_points'/,
    );
  });

  it('fits on earlier dates whose horizon ends before the later half begins', () => {
    const dates = Array.from({ length: 13 }, (_, i) => new Date(Date.UTC(2026, 6, 10) + i * 7 * 86_400_000).toISOString());
    const { train, test } = splitOutOfTime(dates, 30);
    expect(test).toEqual(dates.slice(7));
    expect(train).toEqual(dates.slice(0, 3));
    for (const d of train) expect(Date.parse(d) + 30 * 86_400_000).toBeLessThanOrEqual(Date.parse(test[0]));
    expect(() => splitOutOfTime(dates.slice(0, 3), 30)).toThrow(/--suggest needs dates/);
  });
});
