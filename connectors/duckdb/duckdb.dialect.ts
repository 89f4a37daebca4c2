import type { Dialect, TableName } from '../warehouse.ts';
import { hashInput } from '../shared/hash-input.ts';
import { isoToSql } from '../shared/iso-to-sql.ts';

const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
const table = (t: TableName) => `${quote(t.schema)}.${quote(t.name)}`;
const toString = (e: string) => `cast(${e} as varchar)`;

export const duckdbDialect: Dialect = {
  name: 'duckdb',
  quote,
  table,
  types: { string: 'varchar', float: 'double', integer: 'bigint', boolean: 'boolean', timestamp: 'timestamp' },
  timestampLiteral: (iso) => `timestamp '${isoToSql(iso)}'`,
  createSchema: (schema) => `create schema if not exists ${quote(schema)}`,
  // DuckDB hash-joins IS NOT DISTINCT FROM.
  nullSafeEquals: (left, right) => `${left} is not distinct from ${right}`,
  createTableAs: (name, select, materialized) =>
    `create or replace ${materialized === 'view' ? 'view' : 'table'} ${table(name)} as\n${select}`,
  macros: {
    as_of: (iso) => `timestamp '${isoToSql(iso)}'`,
    days_between: (start, end) => `cast(floor((epoch(${end}) - epoch(${start})) / 86400) as bigint)`,
    add_days: (ts, days) => `(${ts} + to_days(cast(${days} as integer)))`,
    // count_if(NULL) is NULL in DuckDB when every condition is NULL; the contract says 0.
    count_if: (condition) => `count_if(coalesce(${condition}, false))`,
    any_true: (condition) => `coalesce(bool_or(${condition}), false)`,
    safe_to_double: (expr) => `try_cast(${expr} as double)`,
    to_string: toString,
    string_agg_sorted: (expr, separator) => `string_agg(distinct ${expr}, ${separator} order by ${expr})`,
    epoch_seconds: (ts) => `cast(floor(epoch(${ts})) as bigint)`,
    row_hash: (...exprs) => `md5(${hashInput(exprs, toString, (parts) => parts.join(' || '))})`,
  },
};

