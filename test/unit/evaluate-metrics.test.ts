/**
 * The backtest's figures from a score histogram (src/evaluate/metrics.ts), checked against
 * the definitions computed the slow way on the individual records.
 */
import { describe, expect, it } from 'vitest';
import { auc, bandOf, computeMetrics, type ScoreCell } from '../../src/evaluate/metrics.ts';
import { createPrng } from '../../connectors/shared/prng.ts';

const TIERS = ['cold', 'warm', 'hot', 'sales_ready'];
const tierOf = (s: number) => (s >= 80 ? 'sales_ready' : s >= 60 ? 'hot' : s >= 30 ? 'warm' : 'cold');

/** Records with a score and an outcome, the outcome more likely as the score rises. */
function records(n: number, seed: number): { asOf: string; score: number; converted: boolean }[] {
  const random = createPrng(seed);
  return Array.from({ length: n }, (_, i) => {
    const score = random() < 0.3 ? 0 : Math.floor(random() * 21) * 5;
    return { asOf: i % 2 === 0 ? '2026-09-01T00:00:00.000Z' : '2026-09-08T00:00:00.000Z', score, converted: random() < 0.01 + score / 300 };
  });
}

function cellsOf(rs: ReturnType<typeof records>): ScoreCell[] {
  const map = new Map<string, ScoreCell>();
  for (const r of rs) {
    const k = `${r.asOf}|${r.score}`;
    const c = map.get(k) ?? { asOf: r.asOf, score: r.score, tier: tierOf(r.score), records: 0, conversions: 0 };
    c.records++;
    if (r.converted) c.conversions++;
    map.set(k, c);
  }
  return [...map.values()];
}

/** AUC by definition: over every (converted, not converted) pair, 1 if the converted one scored higher, ½ on a tie. */
function pairwiseAuc(rs: ReturnType<typeof records>): number {
  const pos = rs.filter((r) => r.converted);
  const neg = rs.filter((r) => !r.converted);
  let wins = 0;
  for (const p of pos) for (const q of neg) wins += p.score > q.score ? 1 : p.score === q.score ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}

describe('backtest metrics', () => {
  const rs = records(3000, 7);
  const m = computeMetrics(cellsOf(rs), TIERS, ['hot', 'sales_ready']);
  const conversions = rs.filter((r) => r.converted).length;

  it('AUC equals the pairwise definition, ties counting half', () => {
    expect(m.auc).toBeCloseTo(pairwiseAuc(rs), 12);
    expect(m.auc!).toBeGreaterThan(0.6);
  });

  it('AUC is 1 for a perfect ranking, 0.5 for a constant score, null without both outcomes', () => {
    expect(auc([{ records: 5, conversions: 0 }, { records: 3, conversions: 3 }])).toBe(1);
    expect(auc([{ records: 10, conversions: 4 }])).toBe(0.5);
    expect(auc([{ records: 10, conversions: 0 }])).toBeNull();
  });

  it('tiers and bands partition the records; rate, lift and captured share follow their definitions', () => {
    expect(m.records).toBe(3000);
    expect(m.conversions).toBe(conversions);
    for (const groups of [m.tiers, m.bands]) {
      expect(groups.reduce((s, g) => s + g.records, 0)).toBe(3000);
      expect(groups.reduce((s, g) => s + g.captured, 0)).toBeCloseTo(1, 12);
    }
    const top = rs.filter((r) => r.score >= 90);
    const band = m.bands.find((b) => b.label === '90-100')!;
    expect(band.records).toBe(top.length);
    expect(band.conversions).toBe(top.filter((r) => r.converted).length);
    expect(band.lift).toBeCloseTo(band.conversions / band.records / (conversions / 3000), 12);
    expect(bandOf(100)).toBe('90-100');
    expect(bandOf(0)).toBe('0-9');
  });

  it('precision and recall at the PQL tiers', () => {
    const pql = rs.filter((r) => r.score >= 60);
    const hits = pql.filter((r) => r.converted).length;
    expect(m.pql.precision).toBeCloseTo(hits / pql.length, 12);
    expect(m.pql.recall).toBeCloseTo(hits / conversions, 12);
  });

  it('calibration groups hold about a tenth of the records each, ties kept together; gains run from 0 to 1', () => {
    expect(m.calibration.reduce((s, c) => s + c.records, 0)).toBe(3000);
    for (let i = 1; i < m.calibration.length; i++) expect(m.calibration[i].from).toBeGreaterThan(m.calibration[i - 1].to);
    expect(m.gains[0]).toEqual({ records: 0, conversions: 0 });
    expect(m.gains[m.gains.length - 1].records).toBeCloseTo(1, 12);
    expect(m.gains[m.gains.length - 1].conversions).toBeCloseTo(1, 12);
    expect(m.zeroShare).toBeCloseTo(rs.filter((r) => r.score === 0).length / 3000, 12);
  });

  it('per-date figures add up to the pooled ones', () => {
    expect(m.byDate).toHaveLength(2);
    expect(m.byDate.reduce((s, d) => s + d.records, 0)).toBe(3000);
    expect(m.byDate.reduce((s, d) => s + d.conversions, 0)).toBe(conversions);
  });
});
