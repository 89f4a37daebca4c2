import type { Dialect, TableName } from '../warehouse.ts';
import { hashInput } from '../shared/hash-input.ts';
import { nullSafeEqualsAsText } from '../shared/null-safe-equals.ts';
import { isoToSql } from '../shared/iso-to-sql.ts';

/**
 * PostgreSQL. Unquoted identifiers fold to lower case, so every identifier is quoted (pqlsync's
 * identifiers are lower case already): "schema"."table" means the same thing everywhere.
 * The connection runs with TimeZone = UTC, so timestamp and timestamptz compare as UTC.
 */
const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
const table = (t: TableName) => `${quote(t.schema)}.${quote(t.name)}`;
const toString = (e: string) => `cast(${e} as text)`;
/** A number as PostgreSQL's float8 input accepts it; no safe cast exists, so text is checked first. */
const NUMBER_PATTERN = String.raw`^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$`;

export const postgresDialect: Dialect = {
  name: 'postgres',
  quote,
  table,
  types: { string: 'text', float: 'double precision', integer: 'bigint', boolean: 'boolean', timestamp: 'timestamp' },
  timestampLiteral: (iso) => `timestamp '${isoToSql(iso)}'`,
  createSchema: (schema) => `create schema if not exists ${quote(schema)}`,
  nullSafeEquals: nullSafeEqualsAsText(toString),
  // No CREATE OR REPLACE TABLE, and CREATE OR REPLACE VIEW fails when the columns change:
  // drop first (cascade: views built on it are rebuilt after it, in build order), in one
  // multi-statement string, which PostgreSQL runs as one implicit transaction.
  createTableAs: (name, select, materialized) =>
    materialized === 'view'
      ? `drop view if exists ${table(name)} cascade;\ncreate view ${table(name)} as\n${select}`
      : `drop table if exists ${table(name)} cascade;\ncreate table ${table(name)} as\n${select}`,
  macros: {
    as_of: (iso) => `timestamp '${isoToSql(iso)}'`,
    // extract(epoch ...) is numeric (exact) on PostgreSQL 14+, so floor() sees the true quotient.
    days_between: (start, end) =>
      `cast(floor((extract(epoch from ${end}) - extract(epoch from ${start})) / 86400) as bigint)`,
    add_days: (ts, days) => `(${ts} + make_interval(days => cast(${days} as integer)))`,
    count_if: (condition) => `count(*) filter (where ${condition})`,
    any_true: (condition) => `coalesce(bool_or(${condition}), false)`,
    safe_to_double: (expr) =>
      `(case when ${toString(expr)} ~ '${NUMBER_PATTERN}' then cast(${toString(expr)} as double precision) end)`,
    to_string: toString,
    // array_agg keeps the values' own order (numbers sort as numbers); the filter leaves NULLs out,
    // so a group without values gives NULL (not '').
    string_agg_sorted: (expr, separator) =>
      `array_to_string(array_agg(distinct ${expr} order by ${expr}) filter (where ${expr} is not null), ${separator})`,
    epoch_seconds: (ts) => `cast(floor(extract(epoch from ${ts})) as bigint)`,
    row_hash: (...exprs) => `md5(${hashInput(exprs, toString, (parts) => parts.join(' || '))})`,
  },
};
