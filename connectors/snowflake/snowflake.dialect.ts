import type { Dialect, TableName } from '../warehouse.ts';
import { isoToSql } from '../shared/iso-to-sql.ts';
import { backslashLiteral, hashInput } from '../shared/hash-input.ts';
import { nullSafeEqualsAsText } from '../shared/null-safe-equals.ts';

/**
 * Snowflake. Unquoted identifiers fold to UPPER case, and source tables are usually written
 * unquoted (RAW.EVENTS). pqlsync's lower-case identifiers are therefore quoted in upper case
 * ("EVENTS" is the same object as events unquoted), which also makes reserved words safe;
 * any other identifier is quoted as written. Result column names come back upper case and
 * the connector folds them to lower case. The session runs with TIMEZONE = 'UTC'.
 * String literals take backslash escapes, so the row hash writes its literals escaped.
 */
export const quote = (id: string) =>
  /^[a-z_][a-z0-9_$]*$/.test(id) ? `"${id.toUpperCase()}"` : `"${id.replace(/"/g, '""')}"`;
const table = (t: TableName) => `${quote(t.schema)}.${quote(t.name)}`;
const toString = (e: string) => `cast(${e} as varchar)`;
const timestamp = (iso: string) => `cast('${isoToSql(iso)}' as timestamp_ntz)`;

export const snowflakeDialect: Dialect = {
  name: 'snowflake',
  quote,
  table,
  types: { string: 'varchar', float: 'double', integer: 'number(38,0)', boolean: 'boolean', timestamp: 'timestamp_ntz' },
  timestampLiteral: timestamp,
  createSchema: (schema) => `create schema if not exists ${quote(schema)}`,
  nullSafeEquals: nullSafeEqualsAsText(toString),
  createTableAs: (name, select, materialized) =>
    `create or replace ${materialized === 'view' ? 'view' : 'table'} ${table(name)} as\n${select}`,
  macros: {
    as_of: timestamp,
    // DATEDIFF counts unit boundaries crossed, so count microseconds (exact at Snowflake's usual
    // precision) and floor a double quotient: NUMBER division would round to 6 decimals first.
    days_between: (start, end) =>
      `cast(floor(cast(datediff('microsecond', ${start}, ${end}) as double) / 86400000000) as bigint)`,
    add_days: (ts, days) => `dateadd('day', cast(${days} as integer), ${ts})`,
    count_if: (condition) => `count_if(${condition})`,
    any_true: (condition) => `coalesce(boolor_agg(${condition}), false)`,
    // TRY_TO_DOUBLE accepts only strings: cast first.
    safe_to_double: (expr) => `try_to_double(${toString(expr)})`,
    to_string: toString,
    // LISTAGG returns '' for a group without values: NULL instead, like the other dialects.
    string_agg_sorted: (expr, separator) =>
      `(case when count(${expr}) = 0 then null else listagg(distinct ${expr}, ${separator}) within group (order by ${expr}) end)`,
    epoch_seconds: (ts) => `date_part(epoch_second, ${ts})`,
    // Snowflake's MD5 returns 32 lower-case hex characters.
    row_hash: (...exprs) => `md5(${hashInput(exprs, toString, (parts) => parts.join(' || '), backslashLiteral)})`,
  },
};
