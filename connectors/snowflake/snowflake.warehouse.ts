import snowflake from 'snowflake-sdk';
import { WarehouseError } from '../../contracts/errors.ts';
import type { ColumnInfo, Query, Row, SqlRunner, TableName, Value, Warehouse, WarehouseCapabilities } from '../warehouse.ts';
import { abbreviate, chunkRows, describeFromInformationSchema, decimalValue, messageOf, toStatement } from '../shared/sql-text.ts';
import { snowflakeDialect } from './snowflake.dialect.ts';

/** Connection options handed to snowflake-sdk (credentials included: never printed). */
export type SnowflakeConnectionOptions = snowflake.ConnectionOptions;

type Column = { getName(): string; getType(): string; getScale(): number };
type Statement = snowflake.RowStatement;

/**
 * Snowflake through snowflake-sdk: one session; results are streamed (`streamResult` +
 * `streamRows()`, the SDK downloading result chunks as they are read) and grouped into pages.
 * Transactions are BEGIN/COMMIT on the session, so a transaction holds the session: while one
 * is open, every other statement (a stream's query, the lock heartbeat) waits until it ends,
 * and only the transaction's handle runs inside it. (A stream already running only downloads
 * its result chunks meanwhile.) Snowflake commits an open transaction before any DDL: never
 * run DDL on the handle.
 */
export class SnowflakeWarehouse implements Warehouse {
  readonly dialect = snowflakeDialect;
  /** Kept well inside what one statement's bind map and VALUES list (16,384 rows) accept. */
  readonly capabilities: WarehouseCapabilities = { maxParameters: 16_384, transactions: 'interactive' };
  /** Settles when the open transaction ends; null when none is open. */
  private openTransaction: Promise<void> | null = null;

  private constructor(private readonly connection: snowflake.Connection) {}

  static async open(options: SnowflakeConnectionOptions): Promise<SnowflakeWarehouse> {
    let connection: snowflake.Connection;
    try {
      connection = snowflake.createConnection({ application: 'pqlsync', ...options });
    } catch (error) {
      // The SDK validates options here (account, key format…); its messages name options, not values.
      throw new WarehouseError(`Snowflake: invalid connection settings: ${messageOf(error)}`, { cause: error });
    }
    try {
      await new Promise<void>((resolve, reject) => connection.connect((err) => (err ? reject(err) : resolve())));
    } catch (error) {
      throw new WarehouseError(
        `Snowflake: could not log in: ${messageOf(error)}. Check SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER and the key ` +
          '(SNOWFLAKE_PRIVATE_KEY_PATH / SNOWFLAKE_PRIVATE_KEY) or SNOWFLAKE_PASSWORD.',
        { cause: error },
      );
    }
    const warehouse = new SnowflakeWarehouse(connection);
    // Timestamps without a zone are read as UTC, and "now" is UTC.
    await warehouse.execute(`alter session set TIMEZONE = 'UTC'`);
    return warehouse;
  }

  async execute(query: Query): Promise<void> {
    await this.outsideTransaction();
    await this.executeNow(query);
  }

  async query(query: Query): Promise<Row[]> {
    await this.outsideTransaction();
    return this.queryNow(query);
  }

  async *stream(query: Query, pageSize = 2048): AsyncIterable<Row[]> {
    await this.outsideTransaction();
    yield* this.streamNow(query, pageSize);
  }

  private async executeNow(query: Query): Promise<void> {
    for await (const _ of this.streamNow(query, 10_000)) {
      // drain: DDL and DML answer with a one-row status
    }
  }

  private async queryNow(query: Query): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const page of this.streamNow(query, 10_000)) rows.push(...page);
    return rows;
  }

  /** Waits until no transaction holds the session. */
  private async outsideTransaction(): Promise<void> {
    while (this.openTransaction) await this.openTransaction;
  }

  private async *streamNow(query: Query, pageSize: number): AsyncIterable<Row[]> {
    const { sql, values } = toStatement(query);
    const statement = await this.guard(
      sql,
      () =>
        new Promise<Statement>((resolve, reject) => {
          this.connection.execute({
            sqlText: sql,
            binds: values.length > 0 ? values.map(toBind) : undefined,
            streamResult: true,
            rowMode: 'array',
            // Numbers as text, converted here: integers beyond 2^53 stay exact.
            fetchAsString: ['Number'],
            complete: (err, stmt) => (err ? reject(err) : resolve(stmt)),
          });
        }),
    );
    const columns = (statement.getColumns() ?? []) as unknown as Column[];
    const names = columns.map((c) => foldName(c.getName()));
    const converters = columns.map(converterFor);
    const rows = statement.streamRows();
    let page: Row[] = [];
    try {
      for await (const raw of rows as AsyncIterable<unknown[]>) {
        const row: Row = {};
        for (let i = 0; i < names.length; i++) row[names[i]] = converters[i](raw[i]);
        page.push(row);
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
    } catch (error) {
      throw new WarehouseError(`Snowflake: reading the result failed: ${messageOf(error)}\n  in: ${abbreviate(sql)}`, { cause: error });
    } finally {
      rows.destroy();
    }
    if (page.length > 0) yield page;
  }

  async describe(table: TableName): Promise<ColumnInfo[] | undefined> {
    return describeFromInformationSchema((q) => this.query(q), table, { stored: storedName, fold: foldName });
  }

  async insertRows(table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    await this.outsideTransaction();
    await this.insertNow(table, columns, rows);
  }

  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    await this.outsideTransaction();
    let end!: () => void;
    this.openTransaction = new Promise<void>((resolve) => (end = resolve));
    const tx: SqlRunner = {
      execute: (query) => this.executeNow(query),
      query: (query) => this.queryNow(query),
      insertRows: (table, columns, rows) => this.insertNow(table, columns, rows),
    };
    try {
      await this.executeNow('begin');
      const result = await fn(tx);
      await this.executeNow('commit');
      return result;
    } catch (error) {
      await this.executeNow('rollback').catch(() => undefined);
      throw error;
    } finally {
      this.openTransaction = null;
      end();
    }
  }

  /** Multi-row VALUES with `?` binds, chunked under the bind limit; one statement per chunk. */
  private async insertNow(table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    if (rows.length === 0) return;
    const columnList = columns.map((c) => this.dialect.quote(c)).join(', ');
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    for (const chunk of chunkRows(rows, columns.length, this.capabilities.maxParameters, 16_384)) {
      const sql = `insert into ${this.dialect.table(table)} (${columnList}) values ${chunk.map(() => tuple).join(', ')}`;
      await this.executeNow({ sql, values: chunk.flat() });
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.connection.destroy(() => resolve()));
  }

  private async guard<T>(sql: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const e = error as { code?: string | number; sqlState?: string };
      const detail = e.sqlState ? ` (SQLSTATE ${e.sqlState})` : '';
      throw new WarehouseError(`Snowflake: ${messageOf(error)}${detail}\n  in: ${abbreviate(sql)}`, { cause: error });
    }
  }
}

/** Snowflake stores unquoted names upper case: the name pqlsync's quoting gives it. */
function storedName(id: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(id) ? id.toUpperCase() : id;
}

/** An upper-case result name is an unquoted identifier Snowflake folded: give it back in lower case. */
export function foldName(name: string): string {
  return /^[A-Z_][A-Z0-9_$]*$/.test(name) ? name.toLowerCase() : name;
}

function toBind(value: Value): snowflake.Bind {
  return value instanceof Date ? value.toISOString() : value;
}

/** A converter from the SDK's value (numbers as text) to the Row contract, by column type. */
function converterFor(column: Column): (value: unknown) => Value {
  const type = column.getType().toLowerCase();
  // fetchAsString writes a NULL number as the text 'NULL'.
  const isNull = (v: unknown) => v === null || v === undefined || v === 'NULL';
  if (type === 'fixed' || type === 'decfloat') {
    return (v) => (isNull(v) ? null : column.getScale() > 0 ? Number(v) : decimalValue(String(v)));
  }
  if (type === 'real') return (v) => (isNull(v) ? null : Number(v));
  if (type === 'date') return (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v === null || v === undefined ? null : String(v));
  if (type.startsWith('timestamp')) return (v) => (v instanceof Date ? new Date(v.getTime()) : v === null || v === undefined ? null : String(v));
  if (type === 'boolean') return (v) => (v === null || v === undefined ? null : Boolean(v));
  return (v) => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    if (Buffer.isBuffer(v)) return v.toString('hex');
    return JSON.stringify(v);
  };
}

