/**
 * Point-in-time backtests, in the warehouse. For each date the scoring models are rebuilt
 * with `as_of()` pinned to that date (so no event, signup or subscription after it leaks
 * in) into a schema private to this evaluation; each target's scores are appended to one
 * snapshot table; then one grouped query per target joins the snapshots to the outcomes
 * and returns a histogram: (scoring, date, score, tier) → records, conversions. A record
 * that had already converted by a date is left out of that date.
 *
 * A candidate scoring replaces one model (models/config/scoring_points.sql, usually) and
 * rebuilds only what depends on it, on the same dates, into the same snapshot table.
 */
import { randomBytes } from 'node:crypto';
import type { Dialect, Row, Warehouse } from '../../connectors/warehouse.ts';
import type { CompileContext } from '../compile/compile-model.ts';
import type { EvaluateTarget } from '../config/schema.ts';
import { ConfigError } from '../../contracts/errors.ts';
import { selectModels } from '../project/graph.ts';
import type { Model } from '../project/model-file.ts';
import { buildModels } from '../run/build-models.ts';
import { CLUSTERS } from './compare.ts';
import type { ScoreCell } from './metrics.ts';

export const SCORINGS = ['current', 'candidate'] as const;
export type Scoring = (typeof SCORINGS)[number];

export interface BacktestInput {
  warehouse: Warehouse;
  /** Every model of the project, in build order. */
  models: Model[];
  /** The compile context of the session (its sources; `asOf` is the data's end). */
  ctx: CompileContext;
  targets: Record<string, EvaluateTarget>;
  /** Backtest dates, ISO instants, ascending. */
  dates: string[];
  horizonDays: number;
  /** A model that replaces the project's model of the same name, for the candidate scoring. */
  candidate?: Model;
  /** Columns of a target's score model to snapshot too (numbers), for fitting points: target → columns. */
  features?: Record<string, string[]>;
  /**
   * A model replacing the project's model of the same name (the probe scoring of
   * evaluate --suggest) for the feature snapshots: built on each date after the current
   * scoring, and the features are read from what it built.
   */
  probe?: Model;
  onProgress?: (message: string) => void;
}

/** A paired cell: the same record-dates scored by both scorings, within one cluster of records (the bootstrap's unit). */
export interface PairedCell {
  cluster: number;
  current: { score: number; tier: string };
  candidate: { score: number; tier: string };
  records: number;
  conversions: number;
}

/** Record-dates (current scoring) of one date that share every feature value, and how many converted. */
export interface FeaturePattern {
  asOf: string;
  values: number[];
  records: number;
  conversions: number;
}

export interface TargetBacktest {
  cells: Record<Scoring, ScoreCell[]>;
  /** Only when features were asked for. */
  patterns: FeaturePattern[];
  /** Only with a candidate. */
  paired: PairedCell[];
  /** The first and last conversion in the outcomes (ISO; null when none). */
  outcomeRange: { first: string | null; last: string | null };
  /** Median whole days from the first backtest date a record was a PQL to its conversion; null when none. */
  medianDaysToConvert: Record<Scoring, number | null>;
}

export interface BacktestData {
  dates: string[];
  horizonDays: number;
  targets: Record<string, TargetBacktest>;
}

/** Backtest dates: `count` of them `everyDays` apart, the latest `horizonDays` before `end`; ascending. */
export function backtestDates(end: string, options: { horizonDays: number; everyDays: number; count: number }): string[] {
  const last = Date.parse(end) - options.horizonDays * 86_400_000;
  return Array.from({ length: options.count }, (_, k) => new Date(last - (options.count - 1 - k) * options.everyDays * 86_400_000).toISOString());
}

export async function runBacktest(input: BacktestInput): Promise<BacktestData> {
  const { warehouse, ctx, targets } = input;
  const dialect = warehouse.dialect;
  const schema = `${ctx.modelsSchema}_eval_${randomBytes(3).toString('hex')}`;
  const evalCtx: CompileContext = { ...ctx, modelsSchema: schema };
  const scoreModels = Object.values(targets).map((t) => t.model);
  for (const name of scoreModels) requireModel(input.models, name, 'evaluate.targets.*.model');
  const current = selectModels(input.models, scoreModels.map((m) => `+${m}`));
  const candidate = input.candidate ? candidateModels(input.models, current, input.candidate) : [];
  const probe = input.probe ? candidateModels(input.models, current, input.probe) : [];
  const snapshot = { schema, name: 'eval_scores' };

  await warehouse.execute(dialect.createSchema(schema));
  try {
    const t = dialect.types;
    await warehouse.execute(
      `create table ${dialect.table(snapshot)} (scoring ${t.string}, target ${t.string}, as_of ${t.timestamp}, record_key ${t.string}, score ${t.integer}, tier ${t.string})`,
    );
    for (const [i, date] of input.dates.entries()) {
      input.onProgress?.(`scoring as of ${date.slice(0, 10)} (${i + 1}/${input.dates.length})`);
      await buildModels(warehouse, current, { ...evalCtx, asOf: date }, undefined, { countRows: false });
      await appendScores(warehouse, snapshot, schema, targets, 'current', date);
      if (input.probe) await buildModels(warehouse, probe, { ...evalCtx, asOf: date }, undefined, { countRows: false });
      for (const [name, columns] of Object.entries(input.features ?? {})) {
        await appendFeatures(warehouse, schema, targets[name], name, columns, date, i === 0);
      }
      if (input.candidate) {
        await buildModels(warehouse, candidate, { ...evalCtx, asOf: date }, undefined, { countRows: false });
        await appendScores(warehouse, snapshot, schema, targets, 'candidate', date);
      }
    }
    // Outcome models are read as they stand at the data's end.
    const outcomeModels = Object.values(targets).flatMap((t) => (t.outcomes.model ? [t.outcomes.model] : []));
    for (const name of outcomeModels) requireModel(input.models, name, 'evaluate.targets.*.outcomes.model');
    if (outcomeModels.length > 0) {
      await buildModels(warehouse, selectModels(input.models, outcomeModels.map((m) => `+${m}`)), evalCtx, undefined, { countRows: false });
    }

    const result: BacktestData = { dates: input.dates, horizonDays: input.horizonDays, targets: {} };
    for (const [name, target] of Object.entries(targets)) {
      input.onProgress?.(`joining ${name} to outcomes`);
      const sql = outcomeSql(dialect, evalCtx, target, name, snapshot, input.horizonDays);
      const rows = await warehouse.query(`${sql.ctes} ${sql.histogram}`);
      const cells: Record<Scoring, ScoreCell[]> = { current: [], candidate: [] };
      for (const r of rows) cells[String(r.scoring) as Scoring]?.push(toCell(r));
      const paired = input.candidate ? (await warehouse.query(`${sql.ctes} ${sql.paired}`)).map(toPaired) : [];
      const medians = await warehouse.query({ sql: `${sql.ctes} ${sql.medianDays}`, values: target.pql_tiers });
      const medianDaysToConvert: Record<Scoring, number | null> = { current: null, candidate: null };
      for (const r of medians) medianDaysToConvert[String(r.scoring) as Scoring] = r.median_days === null ? null : Number(r.median_days);
      const columns = input.features?.[name];
      const patterns = columns
        ? (await warehouse.query(`${sql.ctes} ${featurePatternSql(dialect, schema, name, columns)}`)).map((r) => ({
            asOf: iso(r.as_of),
            values: columns.map((_, j) => Number(r[`f_${j}`])),
            records: Number(r.records),
            conversions: Number(r.conversions),
          }))
        : [];
      const [range] = await warehouse.query(`${sql.ctes} select min(converted_at) as first, max(converted_at) as last from o`);
      const outcomeRange = { first: range?.first == null ? null : iso(range.first), last: range?.last == null ? null : iso(range.last) };
      result.targets[name] = { cells, paired, patterns, outcomeRange, medianDaysToConvert };
    }
    return result;
  } finally {
    await warehouse.execute(`drop schema if exists ${dialect.quote(schema)} cascade`).catch(() => undefined);
  }
}

function requireModel(models: Model[], name: string, key: string): void {
  if (!models.some((m) => m.name === name)) {
    throw new ConfigError(`${key}: no model named '${name}' (models: ${models.map((m) => m.name).join(', ')})`);
  }
}

/** The candidate's models: its replacement and everything in `current` downstream of it. */
function candidateModels(all: Model[], current: Model[], replacement: Model): Model[] {
  requireModel(all, replacement.name, `the candidate ${replacement.file}`);
  const downstream = new Set(selectModels(all, [`${replacement.name}+`]).map((m) => m.name));
  return current.filter((m) => downstream.has(m.name)).map((m) => (m.name === replacement.name ? replacement : m));
}

async function appendScores(
  warehouse: Warehouse,
  snapshot: { schema: string; name: string },
  schema: string,
  targets: Record<string, EvaluateTarget>,
  scoring: Scoring,
  date: string,
): Promise<void> {
  const d = warehouse.dialect;
  const q = d.quote;
  const m = d.macros;
  for (const [name, t] of Object.entries(targets)) {
    await warehouse.execute(`insert into ${d.table(snapshot)} (scoring, target, as_of, record_key, score, tier)
      select '${scoring}', '${name}', ${d.timestampLiteral(date)}, ${m.to_string(q(t.key))}, cast(${q(t.score)} as ${d.types.integer}), ${m.to_string(q(t.tier))}
      from ${d.table({ schema, name: t.model })}
      where ${q(t.key)} is not null and ${q(t.score)} is not null`);
  }
}

function featureTable(schema: string, target: string) {
  return { schema, name: `eval_features_${target}` };
}

/** Appends a target's feature columns as they stand on `date` (creating the table on the first date). */
async function appendFeatures(warehouse: Warehouse, schema: string, t: EvaluateTarget, target: string, columns: string[], date: string, create: boolean): Promise<void> {
  const d = warehouse.dialect;
  const q = d.quote;
  const table = d.table(featureTable(schema, target));
  if (create) {
    await warehouse.execute(`create table ${table} (as_of ${d.types.timestamp}, record_key ${d.types.string}, ${columns.map((_, j) => `f_${j} ${d.types.float}`).join(', ')})`);
  }
  await warehouse.execute(`insert into ${table}
    select ${d.timestampLiteral(date)}, ${d.macros.to_string(q(t.key))}, ${columns.map((c) => `cast(${q(c)} as ${d.types.float})`).join(', ')}
    from ${d.table({ schema, name: t.model })}
    where ${q(t.key)} is not null and ${q(t.score)} is not null`);
}

/** Appended to outcomeSql's CTEs: feature patterns of the current scoring, with records and conversions. */
function featurePatternSql(dialect: Dialect, schema: string, target: string, columns: string[]): string {
  const f = columns.map((_, j) => `x.f_${j}`).join(', ');
  return `select s.as_of, ${f}, count(*) as records, sum(s.converted) as conversions
    from s join ${dialect.table(featureTable(schema, target))} x on x.record_key = s.record_key and x.as_of = s.as_of
    where s.scoring = 'current'
    group by s.as_of, ${f}`;
}

/**
 * The SQL reading a target's snapshots against its outcomes: shared CTEs (`o`: the first
 * conversion per record; `s`: the snapshots with a `converted` flag, already-converted
 * record-dates left out), then the histogram, the paired histogram and the median days.
 */
export function outcomeSql(
  dialect: Dialect,
  ctx: CompileContext,
  target: EvaluateTarget,
  name: string,
  snapshot: { schema: string; name: string },
  horizonDays: number,
) {
  const q = dialect.quote;
  const m = dialect.macros;
  const outcomes = target.outcomes.source
    ? ctx.sources[target.outcomes.source]
    : { schema: ctx.modelsSchema, name: target.outcomes.model! };
  if (!outcomes) {
    throw new ConfigError(`evaluate.targets.${name}.outcomes.source: '${target.outcomes.source}' is not under sources: in pqlsync.yml (known: ${Object.keys(ctx.sources).join(', ')})`);
  }
  const ctes = `with o as (
    select ${m.to_string(q(target.outcomes.key))} as record_key, min(${q(target.outcomes.converted_at)}) as converted_at
    from ${dialect.table(outcomes)}
    where ${q(target.outcomes.converted_at)} is not null
    group by ${m.to_string(q(target.outcomes.key))}
  ), s as (
    select e.scoring, e.as_of, e.record_key, e.score, e.tier,
      case when o.converted_at is not null and o.converted_at <= ${m.add_days('e.as_of', String(horizonDays))} then 1 else 0 end as converted,
      o.converted_at
    from ${dialect.table(snapshot)} e
    left join o on o.record_key = e.record_key
    where e.target = '${name}' and (o.converted_at is null or o.converted_at > e.as_of)
  )`;
  const histogram = `select scoring, as_of, score, tier, count(*) as records, sum(converted) as conversions
    from s group by scoring, as_of, score, tier order by scoring, as_of, score, tier`;
  // Every record, with all its dates, in one cluster (by the rank of its key) for compare.ts's bootstrap.
  const paired = `, k as (
      select record_key, mod(dense_rank() over (order by record_key), ${CLUSTERS}) as cluster
      from (select distinct record_key from s) d
    )
    select k.cluster, a.score as score_a, a.tier as tier_a, b.score as score_b, b.tier as tier_b,
      count(*) as records, sum(a.converted) as conversions
    from s a join s b on b.record_key = a.record_key and b.as_of = a.as_of and b.scoring = 'candidate'
    join k on k.record_key = a.record_key
    where a.scoring = 'current'
    group by k.cluster, a.score, a.tier, b.score, b.tier`;
  const placeholders = target.pql_tiers.map(() => '?').join(', ');
  const medianDays = `, first_pql as (
      select e.scoring, e.record_key, min(e.as_of) as pql_at
      from ${dialect.table(snapshot)} e
      where e.target = '${name}' and e.tier in (${placeholders})
      group by e.scoring, e.record_key
    ), waits as (
      select f.scoring, ${m.days_between('f.pql_at', 'o.converted_at')} as days
      from first_pql f join o on o.record_key = f.record_key
      where o.converted_at > f.pql_at
    ), ranked as (
      select scoring, days, row_number() over (partition by scoring order by days) as rn, count(*) over (partition by scoring) as n
      from waits
    )
    select scoring, avg(cast(days as ${dialect.types.float})) as median_days
    from ranked where 2 * rn in (n, n + 1, n + 2)
    group by scoring`;
  return { ctes, histogram, paired, medianDays };
}

function iso(value: Row[string]): string {
  return value instanceof Date ? value.toISOString() : new Date(String(value)).toISOString();
}

function toCell(r: Row): ScoreCell {
  return { asOf: iso(r.as_of), score: Number(r.score), tier: String(r.tier), records: Number(r.records), conversions: Number(r.conversions) };
}

function toPaired(r: Row): PairedCell {
  return {
    cluster: Number(r.cluster),
    current: { score: Number(r.score_a), tier: String(r.tier_a) },
    candidate: { score: Number(r.score_b), tier: String(r.tier_b) },
    records: Number(r.records),
    conversions: Number(r.conversions),
  };
}
