import {
  BigQuery,
  BigQueryDate,
  BigQueryDatetime,
  BigQueryInt,
  BigQueryTime,
  BigQueryTimestamp,
  Geography,
  type BigQueryOptions,
  type Job,
  type Query as BigQueryQuery,
} from '@google-cloud/bigquery';
import { WarehouseError } from '../../contracts/errors.ts';
import type { ColumnInfo, Dialect, Query, Row, SqlRunner, Statement, TableName, Value, Warehouse, WarehouseCapabilities } from '../warehouse.ts';
import { abbreviate, chunkRows, decimalValue, integerValue, messageOf, replacePlaceholders, toStatement } from '../shared/sql-text.ts';
import { createBigQueryDialect } from './bigquery.dialect.ts';

export interface BigQuerySettings {
  /** Project that runs the jobs. */
  projectId: string;
  /** Location of jobs and datasets (US, EU, a region); undefined lets BigQuery decide. */
  location?: string;
  /** Project holding the datasets when it is not `projectId`. */
  datasetProject?: string;
  /** Client options: credentials (keyFilename, authClient), apiEndpoint. */
  clientOptions?: BigQueryOptions;
}

/** Parameter types for positional `?` values (the client cannot infer a NULL's type). */
type ParamType = 'STRING' | 'INT64' | 'FLOAT64' | 'BOOL' | 'TIMESTAMP';

/**
 * BigQuery through @google-cloud/bigquery: every statement is a query job; results are read
 * page by page with jobs.getQueryResults (pageToken), so one page is held at a time.
 *
 * Transactions: BigQuery's multi-statement transactions live inside one script (one job), so
 * `transaction(fn)` collects the statements `fn` runs on its handle and sends them as one script,
 * BEGIN TRANSACTION; …; COMMIT TRANSACTION; which BigQuery commits whole or rolls back whole
 * (capabilities.transactions = 'script'; `fn` cannot read inside it). Values are written into
 * the script as literals, so the script means exactly what the statements meant one by one.
 */
export class BigQueryWarehouse implements Warehouse {
  readonly dialect: Dialect;
  /** BigQuery allows 10,000 query parameters a statement. */
  readonly capabilities: WarehouseCapabilities = { maxParameters: 10_000, transactions: 'script' };

  constructor(
    readonly client: BigQuery,
    private readonly settings: BigQuerySettings,
  ) {
    this.dialect = createBigQueryDialect({ datasetProject: settings.datasetProject });
  }

  static open(settings: BigQuerySettings): BigQueryWarehouse {
    const client = new BigQuery({ ...settings.clientOptions, projectId: settings.projectId, location: settings.location });
    return new BigQueryWarehouse(client, settings);
  }

  async execute(query: Query): Promise<void> {
    const { sql } = toStatement(query);
    const job = await this.startJob(query);
    // Waits for the job: getQueryResults answers once it is complete (or after its own timeout).
    for (let options: Record<string, unknown> | null = { maxResults: 0, autoPaginate: false }; options; ) {
      const [, next, response] = await this.guard(sql, () => job.getQueryResults(options!));
      options = (response as { jobComplete?: boolean } | undefined)?.jobComplete === false ? (next as Record<string, unknown>) : null;
    }
  }

  async query(query: Query): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const page of this.stream(query, 10_000)) rows.push(...page);
    return rows;
  }

  async *stream(query: Query, pageSize = 2048): AsyncIterable<Row[]> {
    const { sql } = toStatement(query);
    const job = await this.startJob(query);
    let options: Record<string, unknown> | null = { maxResults: pageSize, autoPaginate: false, wrapIntegers: true };
    while (options) {
      const current: Record<string, unknown> = options;
      const [rows, next] = await this.guard(sql, () => job.getQueryResults(current));
      if (rows.length > 0) yield rows.map(toRow);
      // `next` is null at the end; while the job runs it repeats the same request (a poll).
      options = next ? { ...(next as Record<string, unknown>), wrapIntegers: true } : null;
    }
  }

  /** Table metadata (tables.get); standard SQL type names (INT64, FLOAT64, BOOL, STRUCT, ARRAY<…>). */
  async describe(table: TableName): Promise<ColumnInfo[] | undefined> {
    const dataset = this.client.dataset(table.schema, { projectId: this.settings.datasetProject ?? this.settings.projectId });
    try {
      const [metadata] = await dataset.table(table.name).getMetadata();
      const fields = (metadata?.schema?.fields ?? []) as Array<{ name: string; type: string; mode?: string }>;
      return fields.map((f) => ({ name: f.name, type: standardType(f.type, f.mode) }));
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      throw new WarehouseError(`BigQuery: could not describe ${this.dialect.table(table)}: ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Multi-row VALUES with positional parameters, each cast to its column's type (so NULLs and
   * numbers land in any column), chunked under 10,000 parameters. One DML job per chunk.
   */
  async insertRows(table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    for (const statement of await this.insertStatements(table, columns, rows)) await this.execute(statement);
  }

  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const statements: string[] = [];
    const tx: SqlRunner = {
      execute: async (query) => void statements.push(inlineValues(toStatement(query))),
      query: async () => {
        throw new WarehouseError('BigQuery: a transaction runs as one script, so it cannot read in the middle; read before or after it.');
      },
      insertRows: async (table, columns, rows) => {
        for (const statement of await this.insertStatements(table, columns, rows)) statements.push(inlineValues(statement));
      },
    };
    const result = await fn(tx);
    if (statements.length > 0) await this.execute(transactionScript(statements));
    return result;
  }

  /**
   * Multi-row VALUES with positional parameters, each cast to its column's type (so NULLs and
   * numbers land in any column), chunked under 10,000 parameters. One DML job per chunk.
   */
  private async insertStatements(table: TableName, columns: string[], rows: Value[][]): Promise<Statement[]> {
    if (rows.length === 0) return [];
    const described = await this.describe(table);
    if (!described) throw new WarehouseError(`BigQuery: cannot insert into ${this.dialect.table(table)}: the table does not exist`);
    const typeOf = new Map(described.map((c) => [c.name.toLowerCase(), c.type]));
    const unknown = columns.filter((c) => !typeOf.has(c.toLowerCase()));
    if (unknown.length > 0) throw new WarehouseError(`Table ${this.dialect.table(table)} has no column(s) ${unknown.join(', ')}`);
    const tuple = `(${columns.map((c) => `CAST(? AS ${typeOf.get(c.toLowerCase())})`).join(', ')})`;
    const columnList = columns.map((c) => this.dialect.quote(c)).join(', ');
    return chunkRows(rows, columns.length, this.capabilities.maxParameters).map((chunk) => ({
      sql: `INSERT INTO ${this.dialect.table(table)} (${columnList}) VALUES ${chunk.map(() => tuple).join(', ')}`,
      values: chunk.flat(),
    }));
  }

  async close(): Promise<void> {
    // Nothing to release: each call is its own HTTP request.
  }

  private async startJob(query: Query): Promise<Job> {
    const { sql, values } = withNullLiterals(toStatement(query));
    const options: BigQueryQuery = { query: sql, useLegacySql: false, jobPrefix: 'pqlsync_' };
    if (this.settings.location) options.location = this.settings.location;
    if (values.length > 0) {
      options.params = values.map(toParameter);
      options.types = values.map(parameterType);
    }
    const [job] = await this.guard(sql, () => this.client.createQueryJob(options));
    return job;
  }

  private async guard<T>(sql: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw new WarehouseError(`BigQuery: ${describeError(error)}\n  in: ${abbreviate(sql)}`, { cause: error });
    }
  }
}

/** The API's message; 401/403 get a hint about credentials (whose values are never printed). */
function describeError(error: unknown): string {
  const e = error as { code?: number; message?: string; errors?: Array<{ message?: string }> };
  const message = e.errors?.[0]?.message && !String(e.message ?? '').includes(e.errors[0].message) ? `${e.message}: ${e.errors[0].message}` : messageOf(error);
  if (e.code === 401) return `authentication failed (401): ${message}. Check GOOGLE_APPLICATION_CREDENTIALS or the application-default credentials.`;
  if (e.code === 403) return `permission denied (403): ${message}`;
  return message;
}

/**
 * NULL values become NULL literals instead of parameters: a NULL parameter needs a type, and a
 * STRING one cannot be assigned to an INT64 or TIMESTAMP column ("Value of type STRING cannot
 * be assigned to n_rows, which has type INT64"), while an untyped NULL literal fits any column.
 */
export function withNullLiterals(statement: Statement): Statement {
  if (!statement.values.some((v) => v === null || v === undefined)) return statement;
  const values: Value[] = [];
  const sql = replacePlaceholders(statement.sql, (n) => {
    const value = statement.values[n - 1];
    if (value === null || value === undefined) return 'NULL';
    values.push(value);
    return '?';
  }).sql;
  return { sql, values };
}

/** One script that BigQuery runs as a single transaction: all of it commits, or none. */
export function transactionScript(statements: string[]): string {
  return ['BEGIN TRANSACTION', ...statements, 'COMMIT TRANSACTION'].map((s) => `${s};`).join('\n');
}

/** A statement with its `?` placeholders replaced by BigQuery literals of its values. */
export function inlineValues(statement: Statement): string {
  if (statement.values.length === 0) return statement.sql;
  return replacePlaceholders(statement.sql, (n) => bigqueryLiteral(statement.values[n - 1])).sql;
}

/** A BigQuery literal: strings quoted with backslash escapes, timestamps as TIMESTAMP '…' (UTC). */
export function bigqueryLiteral(value: Value): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return `CAST('${Number.isNaN(value) ? 'NaN' : value > 0 ? 'inf' : '-inf'}' AS FLOAT64)`;
    return Number.isInteger(value) ? String(value) : `CAST(${value} AS FLOAT64)`;
  }
  if (value instanceof Date) return `TIMESTAMP '${value.toISOString()}'`;
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n').replace(/\r/g, '\\r')}'`;
}

function toParameter(value: Value): unknown {
  return value instanceof Date ? BigQuery.timestamp(value) : value;
}

function parameterType(value: Value): ParamType {
  if (value === null || value === undefined) return 'STRING';
  if (typeof value === 'boolean') return 'BOOL';
  if (typeof value === 'number') return Number.isInteger(value) ? 'INT64' : 'FLOAT64';
  if (value instanceof Date) return 'TIMESTAMP';
  return 'STRING';
}

/** tables.get answers with legacy type names; the contract wants the warehouse's SQL names. */
function standardType(type: string, mode?: string): string {
  const names: Record<string, string> = { INTEGER: 'INT64', FLOAT: 'FLOAT64', BOOLEAN: 'BOOL', RECORD: 'STRUCT' };
  const name = names[type.toUpperCase()] ?? type.toUpperCase();
  return mode === 'REPEATED' ? `ARRAY<${name}>` : name;
}

function toRow(raw: Record<string, unknown>): Row {
  const row: Row = {};
  for (const [key, value] of Object.entries(raw)) row[key] = toValue(value);
  return row;
}

/** The client's value classes → the Row contract's plain values. */
export function toValue(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (value instanceof BigQueryInt) return integerValue(value.value);
  if (value instanceof BigQueryTimestamp) return new Date(value.value);
  if (value instanceof BigQueryDate) return value.value;
  // DATETIME has no zone: read its wall clock as UTC.
  if (value instanceof BigQueryDatetime) return new Date(`${value.value.replace(' ', 'T')}Z`);
  if (value instanceof BigQueryTime || value instanceof Geography) return value.value;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (value instanceof Date) return value;
  if (typeof value === 'object' && value.constructor?.name === 'Big') return decimalValue(String(value)); // NUMERIC
  return JSON.stringify(value);
}
