/**
 * The warehouse contract. A warehouse is one folder under connectors/ that
 * implements `Warehouse` (the client that runs SQL) and `Dialect` (pure SQL
 * generation, tested with golden SQL), plus one line in connectors/registry.ts.
 */

/** Plain JS values a warehouse row is converted to, on every warehouse. */
export type Value = string | number | boolean | Date | null;
/**
 * A row as the runner sees it. Conversions every connector performs:
 * integers and decimals → number (bigints beyond 2^53 → string), timestamps → Date (UTC),
 * dates → 'YYYY-MM-DD' string, booleans → boolean, everything else → string.
 */
export type Row = Record<string, Value>;

/**
 * A statement with positional `?` placeholders and its values. Values always
 * travel as parameters; only identifiers (validated or quoted) are spliced in.
 * Compatible with sql-template-strings' SQLStatement (`.sql` / `.values`).
 */
export interface Statement {
  sql: string;
  values: Value[];
}
export type Query = string | Statement;

export interface ColumnInfo {
  name: string;
  /** The warehouse's own type name, upper case (e.g. 'VARCHAR', 'TIMESTAMP WITH TIME ZONE', 'FLOAT64'). */
  type: string;
}

/** Whether a column's type (ColumnInfo.type) is text on any of the four engines. */
export function isTextType(type: string): boolean {
  return /^(VARCHAR|TEXT|STRING|CHARACTER VARYING|CHARACTER|CHAR|BPCHAR|NVARCHAR)\b/.test(type.toUpperCase());
}

/** A table or view name in the warehouse: schema (BigQuery: dataset) and name. */
export interface TableName {
  schema: string;
  name: string;
}

export type DialectName = 'duckdb' | 'postgres' | 'bigquery' | 'snowflake';

export interface WarehouseCapabilities {
  /** Largest number of bound parameters one statement may carry. */
  maxParameters: number;
  /**
   * How `transaction(fn)` is atomic. 'interactive': BEGIN … COMMIT on a connection or session
   * that only the transaction uses; `fn` may read inside it. 'script': the statements `fn` runs
   * are collected and sent as one script (BEGIN TRANSACTION; …; COMMIT TRANSACTION) that the
   * engine runs atomically; `fn` may not read (BigQuery).
   */
  transactions: 'interactive' | 'script';
}

/** What runs statements: the warehouse itself, or the handle of one transaction. */
export interface SqlRunner {
  /** Runs a statement that returns nothing of interest. */
  execute(query: Query): Promise<void>;
  /** Runs a query whose result is known to be small (counts, a sample, a status). */
  query(query: Query): Promise<Row[]>;
  /** Inserts rows set-based (appender, multi-row VALUES, or a load), never a statement per row. */
  insertRows(table: TableName, columns: string[], rows: Value[][]): Promise<void>;
}

export interface Warehouse extends SqlRunner {
  readonly dialect: Dialect;
  readonly capabilities: WarehouseCapabilities;
  /**
   * Streams a query's rows in pages of about `pageSize` rows. Only one page is held
   * at a time: memory does not grow with the size of the result. Every stream reads on a
   * connection of its own (never inside a transaction), and each page it yields is a new
   * array the caller owns.
   */
  stream(query: Query, pageSize?: number): AsyncIterable<Row[]>;
  /** Columns of a table or view, or undefined when it does not exist. */
  describe(table: TableName): Promise<ColumnInfo[] | undefined>;
  /**
   * Runs `fn` in one transaction, atomically: `fn` runs its statements on `tx`, the
   * transaction's own connection or session (or script, see capabilities.transactions).
   * Statements on the warehouse itself and streams stay outside it, so nothing joins a
   * transaction by accident. Commits when `fn` resolves; rolls back when it throws.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * SQL generation for one dialect: pure functions, no client. Every argument that
 * is SQL (an expression) is inserted as is; identifiers go through `quote`.
 */
export interface Dialect {
  readonly name: DialectName;
  /** Quotes an identifier (after it was validated by the caller). */
  quote(identifier: string): string;
  /** Qualified table name as the dialect writes it. */
  table(name: TableName): string;
  /** SQL type names used in casts and DDL. */
  types: { string: string; float: string; integer: string; boolean: string; timestamp: string };
  /** A timestamp literal (UTC) for an ISO instant. */
  timestampLiteral(iso: string): string;
  /** CREATE SCHEMA IF NOT EXISTS (BigQuery: dataset). */
  createSchema(schema: string): string;
  /** Replaces a table (or view) with the result of `select`. */
  createTableAs(name: TableName, select: string, materialized: 'table' | 'view'): string;
  /**
   * `left` equals `right`, NULL equal to NULL, in a form the engine can hash-join on (incremental
   * models match keys with it, over tables of millions of rows).
   */
  nullSafeEquals(left: string, right: string): string;
  macros: Macros;
}

/**
 * The cross-dialect macros models may call as `{{ name(arg, ...) }}`. Arguments
 * are SQL expressions. Each has one meaning on every dialect, stated here.
 */
export interface Macros {
  /** The run's pinned "now" (`--as-of`), as a UTC timestamp. Receives the ISO instant. */
  as_of(iso: string): string;
  /** Whole days elapsed from `start` to `end` (floor of the elapsed seconds / 86400; negative if end < start). */
  days_between(start: string, end: string): string;
  /** `ts` plus `days` days (days may be negative). */
  add_days(ts: string, days: string): string;
  /** Number of rows in the group for which `condition` is true. */
  count_if(condition: string): string;
  /** True if `condition` is true for any row in the group (false for none). */
  any_true(condition: string): string;
  /** `expr` cast to a double, or NULL when it is not a number (never an error). */
  safe_to_double(expr: string): string;
  /** `expr` cast to the dialect's string type. */
  to_string(expr: string): string;
  /** Distinct non-null values of `expr` joined with `separator` (a string literal), sorted ascending. */
  string_agg_sorted(expr: string, separator: string): string;
  /** Seconds since 1970-01-01 UTC of a timestamp, as an integer. */
  epoch_seconds(ts: string): string;
  /**
   * md5, as 32 lower-case hex characters, of the columns' string forms; each column is
   * cast to string and coalesced to the NULL marker '\N' and joined with '|' escaped, so
   * ('a', NULL, 'b') and ('a', 'b', NULL) differ. Stable across engine versions.
   */
  row_hash(...exprs: string[]): string;
}

export type MacroName = keyof Macros;
