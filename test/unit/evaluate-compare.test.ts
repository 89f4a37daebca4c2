/** Comparing two scorings on paired record-dates (src/evaluate/compare.ts). */
import { describe, expect, it } from 'vitest';
import type { PairedCell } from '../../src/evaluate/backtest.ts';
import { compareScorings, poisson } from '../../src/evaluate/compare.ts';
import { createPrng } from '../../connectors/shared/prng.ts';

const tierOf = (s: number) => (s >= 80 ? 'sales_ready' : s >= 60 ? 'hot' : s >= 30 ? 'warm' : 'cold');

/** Records whose outcome follows a hidden propensity; `current` sees it blurred, `candidate` sees it sharply. */
function paired(n: number, seed: number, sameScoring = false): PairedCell[] {
  const random = createPrng(seed);
  const cells = new Map<string, PairedCell>();
  for (let i = 0; i < n; i++) {
    const p = random();
    const converted = random() < p * p * 0.3;
    const blurred = Math.round(Math.min(100, Math.max(0, p * 100 + (random() - 0.5) * 80)) / 5) * 5;
    const sharp = sameScoring ? blurred : Math.round(p * 20) * 5;
    const cluster = i % 100;
    const key = `${cluster}|${blurred}|${sharp}|${converted}`;
    const c = cells.get(key) ?? { cluster, current: { score: blurred, tier: tierOf(blurred) }, candidate: { score: sharp, tier: tierOf(sharp) }, records: 0, conversions: 0 };
    c.records++;
    if (converted) c.conversions++;
    cells.set(key, c);
  }
  return [...cells.values()];
}

describe('comparing two scorings', () => {
  it('the same scoring twice differs by exactly 0, interval included', () => {
    const c = compareScorings(paired(2000, 3, true), 'sales_ready', { replicates: 200 });
    expect(c.auc.difference).toBe(0);
    expect(c.auc.interval).toEqual([0, 0]);
    expect(c.topTierLift.difference).toBe(0);
  });

  it('a sharper candidate wins, with an interval above 0; same seed, same interval', () => {
    const cells = paired(4000, 5);
    const a = compareScorings(cells, 'sales_ready', { replicates: 300, seed: 9 });
    expect(a.auc.difference!).toBeGreaterThan(0);
    expect(a.auc.interval![0]).toBeGreaterThan(0);
    expect(a.auc.interval![0]).toBeLessThan(a.auc.difference!);
    expect(a.auc.interval![1]).toBeGreaterThan(a.auc.difference!);
    expect(compareScorings(cells, 'sales_ready', { replicates: 300, seed: 9 })).toEqual(a);
    expect(a.records).toBe(4000);
  });

  it('resamples records, not record-dates: one person on six dates moves as one, and the interval widens', () => {
    // 3,000 people scored on 6 dates each, the same outcome and scores on every date.
    const people = paired(3000, 7).flatMap((c) => Array.from({ length: c.records }, () => ({ ...c, records: 1, conversions: 0 })).map((r, i) => ({ ...r, conversions: i < c.conversions ? 1 : 0 })));
    const byPerson = people.flatMap((p, person) => Array.from({ length: 6 }, () => ({ ...p, cluster: person % 100 })));
    const asIfIndependent = people.flatMap((p, person) => Array.from({ length: 6 }, (_, date) => ({ ...p, cluster: (person * 6 + date) % 100 })));
    const grouped = compareScorings(byPerson, 'sales_ready', { replicates: 400, seed: 3 });
    const naive = compareScorings(asIfIndependent, 'sales_ready', { replicates: 400, seed: 3 });
    expect(grouped.auc.difference).toBeCloseTo(naive.auc.difference!, 12);
    const width = (c: typeof grouped) => c.auc.interval![1] - c.auc.interval![0];
    expect(width(grouped)).toBeGreaterThan(1.5 * width(naive));
    // The top 5 %: the sharper candidate finds more of the converters there.
    expect(grouped.topCapture.difference!).toBeGreaterThan(0);
    expect(grouped.topCapture.current!).toBeGreaterThan(0.05);
  });

  it('Poisson draws have the right mean, small and large', () => {
    const random = createPrng(1);
    for (const lambda of [0.5, 4, 200]) {
      let total = 0;
      for (let i = 0; i < 20000; i++) total += poisson(lambda, random);
      expect(total / 20000).toBeCloseTo(lambda, lambda > 10 ? 0 : 1);
    }
  });
});
