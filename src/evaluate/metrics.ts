/**
 * The figures of a backtest, from the score histogram the warehouse returns: pure
 * functions, no warehouse. The warehouse does the heavy part (rebuilding the scores per
 * date, joining outcomes, grouping); what comes back is at most one row per
 * (date, score value, tier), so everything here runs on a few thousand numbers.
 */

/** Record-dates that share a date, a score value and a tier, and how many of them converted. */
export interface ScoreCell {
  /** The backtest date (ISO instant). */
  asOf: string;
  score: number;
  tier: string;
  records: number;
  /** Of `records`, those that converted within the horizon after `asOf`. */
  conversions: number;
}

/** One row of a conversion table (a tier, a score band, a date). */
export interface GroupStats {
  label: string;
  records: number;
  conversions: number;
  /** conversions / records (0 when no records). */
  rate: number;
  /** rate / the baseline rate of all records (0 when no conversions at all). */
  lift: number;
  /** Share of all conversions in this group. */
  captured: number;
}

export interface CalibrationBin {
  /** Score range of the bin, ends included. */
  from: number;
  to: number;
  meanScore: number;
  records: number;
  conversions: number;
  rate: number;
}

export interface DateStats extends GroupStats {
  auc: number | null;
}

export interface TargetMetrics {
  records: number;
  conversions: number;
  baselineRate: number;
  /**
   * Area under the ROC curve of the score: the chance that a record that converted scored
   * higher than one that did not, ties counting half. 0.5 is a coin; null without both kinds.
   */
  auc: number | null;
  /** Tiers from lowest to highest, as configured. */
  tiers: GroupStats[];
  /** 10-point score bands, 0-9 up to 90-100. */
  bands: GroupStats[];
  /** The PQL cut (the configured PQL tiers): precision is its rate, recall its captured share. */
  pql: { tiers: string[]; records: number; conversions: number; precision: number; recall: number; lift: number };
  /** About ten equal-sized groups by score (records with equal scores stay together). */
  calibration: CalibrationBin[];
  /** Cumulative gain: contacting records from the highest score down, share of records vs share of conversions. */
  gains: { records: number; conversions: number }[];
  /** Records per score value, ascending. */
  distribution: { score: number; records: number; conversions: number }[];
  /** Share of records that score exactly 0, and how many distinct score values occur. */
  zeroShare: number;
  distinctScores: number;
  byDate: DateStats[];
}

/** The 10-point band a score falls in ('90-100' holds 100). */
export function bandOf(score: number): string {
  const low = Math.min(90, Math.max(0, Math.floor(score / 10) * 10));
  return low === 90 ? '90-100' : `${low}-${low + 9}`;
}

export const BANDS = Array.from({ length: 10 }, (_, i) => bandOf(i * 10));

/** Every figure of one scoring of one target, pooled over the dates. */
export function computeMetrics(cells: ScoreCell[], tiers: string[], pqlTiers: string[]): TargetMetrics {
  const records = sum(cells, (c) => c.records);
  const conversions = sum(cells, (c) => c.conversions);
  const baselineRate = records > 0 ? conversions / records : 0;
  const group = (label: string, members: ScoreCell[]): GroupStats => stats(label, members, baselineRate, conversions);

  const extraTiers = [...new Set(cells.map((c) => c.tier))].filter((t) => !tiers.includes(t)).sort();
  const distribution = byScore(cells);
  const pqlCells = cells.filter((c) => pqlTiers.includes(c.tier));
  const pql = group('pql', pqlCells);
  const dates = [...new Set(cells.map((c) => c.asOf))].sort();

  return {
    records,
    conversions,
    baselineRate,
    auc: auc(distribution),
    tiers: [...tiers, ...extraTiers].map((t) => group(t, cells.filter((c) => c.tier === t))),
    bands: BANDS.map((b) => group(b, cells.filter((c) => bandOf(c.score) === b))),
    pql: { tiers: pqlTiers, records: pql.records, conversions: pql.conversions, precision: pql.rate, recall: pql.captured, lift: pql.lift },
    calibration: calibration(distribution, records),
    gains: gains(distribution, records, conversions),
    distribution,
    zeroShare: records > 0 ? sum(cells.filter((c) => c.score === 0), (c) => c.records) / records : 0,
    distinctScores: distribution.length,
    byDate: dates.map((d) => {
      const members = cells.filter((c) => c.asOf === d);
      return { ...group(d, members), auc: auc(byScore(members)) };
    }),
  };
}

function stats(label: string, members: ScoreCell[], baselineRate: number, allConversions: number): GroupStats {
  const records = sum(members, (c) => c.records);
  const conversions = sum(members, (c) => c.conversions);
  const rate = records > 0 ? conversions / records : 0;
  return {
    label,
    records,
    conversions,
    rate,
    lift: baselineRate > 0 ? rate / baselineRate : 0,
    captured: allConversions > 0 ? conversions / allConversions : 0,
  };
}

/** Records and conversions per score value, ascending by score. */
export function byScore(cells: { score: number; records: number; conversions: number }[]): TargetMetrics['distribution'] {
  const map = new Map<number, { score: number; records: number; conversions: number }>();
  for (const c of cells) {
    const entry = map.get(c.score) ?? { score: c.score, records: 0, conversions: 0 };
    entry.records += c.records;
    entry.conversions += c.conversions;
    map.set(c.score, entry);
  }
  return [...map.values()].sort((a, b) => a.score - b.score);
}

/** Mann-Whitney AUC from counts per score value (ascending), ties counting half. */
export function auc(distribution: { records: number; conversions: number }[]): number | null {
  let positives = 0;
  let negatives = 0;
  let wins = 0;
  for (const d of distribution) {
    const pos = d.conversions;
    const neg = d.records - d.conversions;
    wins += pos * (negatives + neg / 2);
    positives += pos;
    negatives += neg;
  }
  return positives > 0 && negatives > 0 ? wins / (positives * negatives) : null;
}

function calibration(distribution: TargetMetrics['distribution'], total: number): CalibrationBin[] {
  const bins: (CalibrationBin & { index: number; weighted: number })[] = [];
  let before = 0;
  let current: (CalibrationBin & { index: number; weighted: number }) | undefined;
  for (const d of distribution) {
    const index = Math.min(9, Math.floor(((before + d.records / 2) / total) * 10));
    before += d.records;
    if (!current || current.index !== index) {
      current = { index, from: d.score, to: d.score, meanScore: 0, records: 0, conversions: 0, rate: 0, weighted: 0 };
      bins.push(current);
    }
    current.to = d.score;
    current.records += d.records;
    current.conversions += d.conversions;
    current.weighted += d.score * d.records;
  }
  return bins.map(({ from, to, records, conversions, weighted }) => ({
    from,
    to,
    records,
    conversions,
    meanScore: records > 0 ? weighted / records : 0,
    rate: records > 0 ? conversions / records : 0,
  }));
}

function gains(distribution: TargetMetrics['distribution'], records: number, conversions: number): TargetMetrics['gains'] {
  const points = [{ records: 0, conversions: 0 }];
  let r = 0;
  let c = 0;
  for (const d of [...distribution].reverse()) {
    r += d.records;
    c += d.conversions;
    points.push({ records: records > 0 ? r / records : 0, conversions: conversions > 0 ? c / conversions : 0 });
  }
  return points;
}

function sum<T>(items: T[], f: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += f(item);
  return total;
}
