/**
 * The SQL of an incremental model's fold, per dialect: pure, tested with golden SQL.
 *
 * An incremental model `m` is kept in two tables in the models schema:
 * - `m__kept`: the model's SELECT over every event older than the fold cutoff (as_of less
 *   the lookback), one row per key. Each run folds in the events that became older than the
 *   cutoff since the last run, exactly once.
 * - `m`: what downstream models read: `m__kept` merged with the SELECT over the events after
 *   the cutoff (the lookback days, where late events may still land), recomputed every run.
 * Merging two partial results per key is what the header's merge rules say: `sum` of counts,
 * `min`/`max` of times, `any` of flags. Those rules are exact for any split of the events
 * into time ranges, so `m` equals the model's SELECT over all events (a full rebuild).
 */
import type { Dialect, TableName } from '../../connectors/warehouse.ts';
import type { IncrementalConfig } from '../project/model-file.ts';

/** The tables an incremental model uses, next to the model's own. */
export function incrementalTables(model: TableName): Record<'kept' | 'fresh' | 'recent' | 'delta' | 'refill', TableName> {
  const named = (suffix: string): TableName => ({ ...model, name: `${model.name}__${suffix}` });
  // Scratch tables of one build: fresh, the rows of the newly final events; recent, the rows of
  // the events after the cutoff; delta, fresh merged with the kept rows it touches; refill, the
  // model's new rows for every key fresh or recent touches.
  return { kept: named('kept'), fresh: named('fresh'), recent: named('recent'), delta: named('delta'), refill: named('refill') };
}

/** The model's columns in the order its tables hold them: the key, then the merged columns. */
export function incrementalColumns(config: IncrementalConfig): string[] {
  return [...config.key, ...Object.keys(config.merge)];
}

/**
 * One row per key: the rows of `inputs` (SELECTs or table names with the model's columns)
 * merged by the merge rules (grouping puts NULL keys together: a NULL feature is a key value too).
 */
export function mergeSelect(dialect: Dialect, config: IncrementalConfig, inputs: string[]): string {
  const q = dialect.quote;
  const columns = incrementalColumns(config).map(q).join(', ');
  const union = inputs.map((input) => `  select ${columns} from ${asRelation(input)}`).join('\n  union all\n');
  const merged = Object.entries(config.merge).map(([column, rule]) => `  ${aggregate(dialect, rule, `u.${q(column)}`)} as ${q(column)}`);
  const keys = config.key.map((k) => `u.${q(k)}`);
  return `select\n${[...keys.map((k) => `  ${k}`), ...merged].join(',\n')}\nfrom (\n${union}\n) u\ngroup by ${keys.join(', ')}`;
}

/**
 * The kept rows of the keys `fresh` (the newly final events' rows) touches, merged with those
 * rows: what replaces the kept rows of those keys.
 */
export function foldSelect(dialect: Dialect, config: IncrementalConfig, kept: TableName, fresh: TableName): string {
  const touched = `select * from ${dialect.table(kept)} k where exists (select 1 from ${dialect.table(fresh)} f where ${keyMatch(dialect, config, 'f', 'k')})`;
  return mergeSelect(dialect, config, [touched, dialect.table(fresh)]);
}

/**
 * The model's new rows for the keys `fresh` or `recent` touch: their kept rows (before the
 * fold) merged with both. Every other key's row is unchanged.
 */
export function refillSelect(dialect: Dialect, config: IncrementalConfig, kept: TableName, fresh: TableName, recent: TableName): string {
  const touches = (t: TableName, alias: string) => `exists (select 1 from ${dialect.table(t)} ${alias} where ${keyMatch(dialect, config, alias, 'k')})`;
  const touched = `select * from ${dialect.table(kept)} k where ${touches(fresh, 'f')} or ${touches(recent, 'r')}`;
  return mergeSelect(dialect, config, [touched, dialect.table(fresh), dialect.table(recent)]);
}

/** Deletes the rows of `target` whose key appears in `keys`. */
export function deleteMatching(dialect: Dialect, config: IncrementalConfig, target: TableName, keys: TableName): string {
  // No AS before the alias: Snowflake takes only `DELETE FROM t alias`.
  return `delete from ${dialect.table(target)} t where exists (select 1 from ${dialect.table(keys)} s where ${keyMatch(dialect, config, 's', 't')})`;
}

/** Inserts `select` (with the model's columns) into `target`, naming the columns. */
export function insertSelect(dialect: Dialect, config: IncrementalConfig, target: TableName, select: string): string {
  return `insert into ${dialect.table(target)} (${incrementalColumns(config).map(dialect.quote).join(', ')})\n${select}`;
}

/** Key equality where NULL equals NULL (a NULL feature is a key value), hash-joinable per dialect. */
function keyMatch(dialect: Dialect, config: IncrementalConfig, left: string, right: string): string {
  return config.key.map((k) => dialect.nullSafeEquals(`${left}.${dialect.quote(k)}`, `${right}.${dialect.quote(k)}`)).join(' and ');
}

function aggregate(dialect: Dialect, rule: IncrementalConfig['merge'][string], expr: string): string {
  if (rule === 'any') return dialect.macros.any_true(expr);
  return `${rule}(${expr})`;
}

/** A table name as is; a query (anything with a blank in it) in parentheses. */
function asRelation(input: string): string {
  return /\s/.test(input.trim()) ? `(\n${input}\n) r` : input;
}
