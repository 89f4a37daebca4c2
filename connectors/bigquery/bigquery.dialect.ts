import type { Dialect, TableName } from '../warehouse.ts';
import { isoToSql } from '../shared/iso-to-sql.ts';
import { backslashLiteral, hashInput } from '../shared/hash-input.ts';
import { nullSafeEqualsAsText } from '../shared/null-safe-equals.ts';

/**
 * BigQuery (GoogleSQL). Names are `dataset`.`table`, or `project`.`dataset`.`table` when the
 * datasets live in another project than the one running the jobs (`dataset_project`).
 * String literals take backslash escapes, so the row hash writes its literals escaped.
 */
const quote = (id: string) => `\`${id.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;
const toString = (e: string) => `CAST(${e} AS STRING)`;

export function createBigQueryDialect(options: { datasetProject?: string } = {}): Dialect {
  const table = (t: TableName) =>
    options.datasetProject
      ? `${quote(options.datasetProject)}.${quote(t.schema)}.${quote(t.name)}`
      : `${quote(t.schema)}.${quote(t.name)}`;
  const schemaName = (schema: string) =>
    options.datasetProject ? `${quote(options.datasetProject)}.${quote(schema)}` : quote(schema);
  return {
    name: 'bigquery',
    quote,
    table,
    types: { string: 'STRING', float: 'FLOAT64', integer: 'INT64', boolean: 'BOOL', timestamp: 'TIMESTAMP' },
    // Without a zone, a TIMESTAMP literal is UTC.
    timestampLiteral: (iso) => `TIMESTAMP '${isoToSql(iso)}'`,
    createSchema: (schema) => `CREATE SCHEMA IF NOT EXISTS ${schemaName(schema)}`,
    nullSafeEquals: nullSafeEqualsAsText(toString),
    createTableAs: (name, select, materialized) =>
      `CREATE OR REPLACE ${materialized === 'view' ? 'VIEW' : 'TABLE'} ${table(name)} AS\n${select}`,
    macros: {
      as_of: (iso) => `TIMESTAMP '${isoToSql(iso)}'`,
      // Microseconds, not seconds: TIMESTAMP_DIFF truncates toward zero, so -0.5 s in SECOND would be 0.
      days_between: (start, end) =>
        `CAST(FLOOR(TIMESTAMP_DIFF(${end}, ${start}, MICROSECOND) / 86400000000) AS INT64)`,
      add_days: (ts, days) => `TIMESTAMP_ADD(${ts}, INTERVAL CAST(${days} AS INT64) DAY)`,
      count_if: (condition) => `COUNTIF(${condition})`,
      any_true: (condition) => `COALESCE(LOGICAL_OR(${condition}), FALSE)`,
      safe_to_double: (expr) => `SAFE_CAST(${toString(expr)} AS FLOAT64)`,
      to_string: toString,
      // STRING_AGG(DISTINCT ...) may only order by its own (string) argument, which would sort
      // numbers as text: ARRAY_AGG sorts the distinct values in their own type. Its array cannot be
      // UNNESTed in the same query ("Aggregate function ARRAY_AGG not allowed in UNNEST"), so it
      // becomes strings through JSON (strings and integers exactly; timestamps in JSON's form);
      // no values: NULL.
      string_agg_sorted: (expr, separator) =>
        `ARRAY_TO_STRING(JSON_VALUE_ARRAY(TO_JSON_STRING(ARRAY_AGG(DISTINCT ${expr} IGNORE NULLS ORDER BY ${expr}))), ${separator})`,
      // UNIX_SECONDS rounds down to the start of the second.
      epoch_seconds: (ts) => `UNIX_SECONDS(${ts})`,
      // MD5 returns BYTES on BigQuery: TO_HEX gives the 32 lower-case hex characters.
      row_hash: (...exprs) =>
        `TO_HEX(MD5(${hashInput(exprs, toString, (parts) => parts.join(' || '), backslashLiteral)}))`,
    },
  };
}

export const bigqueryDialect: Dialect = createBigQueryDialect();
