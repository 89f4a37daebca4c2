import pg from 'pg';
import { WarehouseError } from '../../contracts/errors.ts';
import type { ColumnInfo, Query, Row, SqlRunner, TableName, Value, Warehouse, WarehouseCapabilities } from '../warehouse.ts';
import { abbreviate, chunkRows, describeFromInformationSchema, decimalValue, integerValue, messageOf, replacePlaceholders, toStatement } from '../shared/sql-text.ts';
import { postgresDialect } from './postgres.dialect.ts';

export interface PostgresSettings {
  /** postgres://user:password@host:port/database[?sslmode=…] — a secret: never printed. */
  connectionString: string;
  /** Where the URL came from, for messages (e.g. 'PQLSYNC_POSTGRES_URL'). */
  source?: string;
  /** Connections for concurrent streams (the main connection included). */
  maxConnections?: number;
}

/** PostgreSQL type OIDs whose text form is converted to the Row contract's values. */
const OID = { bool: 16, int8: 20, int2: 21, int4: 23, float4: 700, float8: 701, date: 1082, timestamp: 1114, timestamptz: 1184, numeric: 1700 };

/**
 * Row conversion, set on this connector's clients only (never pg's global parsers): integers and
 * numerics → number (beyond 2^53 → text), timestamps → Date (UTC), date → 'YYYY-MM-DD',
 * booleans → boolean, everything else (json, arrays, intervals…) → its text.
 */
const typeParsers = {
  getTypeParser(oid: number, format?: string): (value: string) => unknown {
    if (format === 'binary') return (value: string) => value;
    switch (oid) {
      case OID.bool:
        return (v: string) => v === 't' || v === 'true';
      case OID.int2:
      case OID.int4:
      case OID.int8:
        return integerValue;
      case OID.float4:
      case OID.float8:
        return (v: string) => Number(v);
      case OID.numeric:
        return (v: string) => (v === 'NaN' ? Number.NaN : decimalValue(v));
      case OID.date:
        return (v: string) => v;
      case OID.timestamp:
        // Without a zone: the wall clock is UTC (the session runs with TimeZone = UTC).
        return (v: string) => parseTimestamp(`${v}Z`, v);
      case OID.timestamptz:
        return (v: string) => parseTimestamp(v.replace(/([+-]\d\d)$/, '$1:00').replace(/([+-]\d\d):?(\d\d):(\d\d)$/, '$1:$2'), v);
      default:
        return (v: string) => v;
    }
  },
};

function parseTimestamp(normalized: string, raw: string): Date | string {
  const date = new Date(normalized.replace(' ', 'T'));
  return Number.isNaN(date.getTime()) ? raw : date; // 'infinity' and BC dates stay text
}

let cursorCount = 0;

/**
 * PostgreSQL through `pg`: one main connection for statements, and pooled connections of
 * their own for each stream and each transaction (so a checkpoint committing in the
 * background never takes in a stream's cursor or the lock heartbeat, nor they it).
 */
export class PostgresWarehouse implements Warehouse {
  readonly dialect = postgresDialect;
  /** The wire protocol counts bound parameters in 16 bits. */
  readonly capabilities: WarehouseCapabilities = { maxParameters: 65_535, transactions: 'interactive' };

  private constructor(
    private readonly pool: pg.Pool,
    private readonly main: pg.PoolClient,
  ) {}

  static async open(settings: PostgresSettings): Promise<PostgresWarehouse> {
    const pool = new pg.Pool({
      connectionString: settings.connectionString,
      types: typeParsers,
      // main + a stream + a checkpoint's transaction, and one to spare
      max: settings.maxConnections ?? 4,
      application_name: 'pqlsync',
    } as pg.PoolConfig);
    // Queued before any other statement on each new connection.
    pool.on('connect', (client) => {
      client.query(`set time zone 'UTC'`).catch(() => undefined);
    });
    pool.on('error', () => undefined); // an idle connection dropped: the next checkout reconnects
    try {
      const main = await pool.connect();
      return new PostgresWarehouse(pool, main);
    } catch (error) {
      await pool.end().catch(() => undefined);
      // pg's messages name host, port and user, never the password.
      throw new WarehouseError(
        `Could not connect to PostgreSQL (URL from ${settings.source ?? 'the settings'}): ${messageOf(error)}. ` +
          'Check the host, port, user and password in that URL, and that the server accepts connections.',
        { cause: error },
      );
    }
  }

  async execute(query: Query): Promise<void> {
    await this.run(this.main, query);
  }

  async query(query: Query): Promise<Row[]> {
    return (await this.run(this.main, query)).rows as Row[];
  }

  /**
   * A server-side cursor (DECLARE … NO SCROLL CURSOR, FETCH pageSize) inside a read-only
   * transaction on a connection of its own: only one page travels at a time.
   */
  async *stream(query: Query, pageSize = 2048): AsyncIterable<Row[]> {
    const { sql, values } = toStatement(query);
    const size = Math.max(1, Math.floor(pageSize));
    const client = await this.connect();
    const cursor = `pqlsync_cursor_${++cursorCount}`;
    let failed = false;
    try {
      await this.run(client, 'begin');
      await this.run(client, { sql: `declare ${cursor} no scroll cursor for ${sql}`, values }, sql);
      for (;;) {
        const result = await this.run(client, `fetch forward ${size} from ${cursor}`, sql);
        // Counted before yielding: the page is the caller's from then on.
        const fetched = result.rows.length;
        if (fetched > 0) yield result.rows as Row[];
        if (fetched < size) break;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      await client.query(failed ? 'rollback' : 'commit').catch(() => undefined);
      client.release();
    }
  }

  async describe(table: TableName): Promise<ColumnInfo[] | undefined> {
    return describeFromInformationSchema((q) => this.query(q), table);
  }

  async insertRows(table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    await this.insertOn(this.main, table, columns, rows);
  }

  /** BEGIN … COMMIT on a pooled connection that only `fn`'s handle uses. */
  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.connect();
    const tx: SqlRunner = {
      execute: async (query) => void (await this.run(client, query)),
      query: async (query) => (await this.run(client, query)).rows as Row[],
      insertRows: (table, columns, rows) => this.insertOn(client, table, columns, rows),
    };
    try {
      await this.run(client, 'begin');
      const result = await fn(tx);
      await this.run(client, 'commit');
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Multi-row VALUES, chunked so no statement carries more than 65,535 parameters. */
  private async insertOn(client: pg.PoolClient, table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    if (rows.length === 0) return;
    const name = this.dialect.table(table);
    const columnList = columns.map((c) => this.dialect.quote(c)).join(', ');
    for (const chunk of chunkRows(rows, columns.length, this.capabilities.maxParameters)) {
      const tuple = `(${columns.map(() => '?').join(', ')})`;
      const sql = `insert into ${name} (${columnList}) values ${chunk.map(() => tuple).join(', ')}`;
      await this.run(client, { sql, values: chunk.flat() });
    }
  }

  async close(): Promise<void> {
    this.main.release();
    await this.pool.end();
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw new WarehouseError(`Could not open another PostgreSQL connection: ${messageOf(error)}`, { cause: error });
    }
  }

  /** Runs one statement, `?` placeholders renumbered to $n; errors carry the engine's message and the statement. */
  private async run(client: pg.PoolClient, query: Query, shownSql?: string): Promise<pg.QueryResult> {
    const { sql, values } = toStatement(query);
    const text = values.length > 0 ? replacePlaceholders(sql, (n) => `$${n}`).sql : sql;
    try {
      return await client.query(values.length > 0 ? { text, values: values.map(toParameter) } : text);
    } catch (error) {
      const e = error as { code?: string; position?: string };
      const code = e.code ? ` (SQLSTATE ${e.code})` : '';
      throw new WarehouseError(`PostgreSQL: ${messageOf(error)}${code}\n  in: ${abbreviate(shownSql ?? sql)}`, { cause: error });
    }
  }
}

/** Dates travel as ISO text: pg would otherwise write them in the machine's local zone. */
function toParameter(value: Value): unknown {
  return value instanceof Date ? value.toISOString() : value;
}
