import {
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  DuckDBTypeId,
  JSDuckDBValueConverter,
  JSToDuckDBValueConverter,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, LockHeldError, WarehouseError } from '../../contracts/errors.ts';
import type { ColumnInfo, Query, Row, SqlRunner, TableName, Value, Warehouse } from '../warehouse.ts';
import { duckdbDialect } from './duckdb.dialect.ts';
import { abbreviate, describeFromInformationSchema, messageOf, toStatement } from '../shared/sql-text.ts';

/**
 * DuckDB's memory limit when pqlsync.yml and the environment set none. DuckDB's own default is
 * 80% of the machine's RAM, taken inside this Node process, which a scheduler's runner or a
 * container shares with Node itself. Past the limit DuckDB spills joins, aggregates and sorts
 * to its temp directory; not everything can spill (see docs/warehouses.md). Measured with the
 * demo project at 1,000,000 users (bench/daily-run.ts): the daily run's process peaks at about
 * the limit plus 430 MB (Node, the HubSpot client, the JavaScript heap, DuckDB's memory outside
 * its pool), so 448MB keeps it under 1 GB (873 MB), where 512MB reached 968 MB in an exploratory
 * run. At 384MB the build of user_features after the incremental merge of user_event_totals runs
 * out of memory. A fixed value, not a share of RAM: the same run needs the same memory on a
 * laptop, a CI runner or a container.
 */
export const DEFAULT_MEMORY_LIMIT = '448MB';

export interface DuckDBSettings {
  /** A database file, or ':memory:'. */
  path: string;
  /** DuckDB's own memory limit (it runs in-process), e.g. '1GB'; DEFAULT_MEMORY_LIMIT when unset, '-1' for DuckDB's own. */
  memoryLimit?: string;
  threads?: number;
  /**
   * Where DuckDB spills what does not fit in its memory limit. Default: `<file>.tmp` beside a
   * database file (DuckDB's own), and a private folder under the OS temp folder for ':memory:'
   * (DuckDB's own would be `.tmp` in the current folder), removed on close.
   */
  tempDirectory?: string;
}

/** Files a DuckDBWarehouse of this process has open (resolved paths). */
const openFiles = new Set<string>();

/** A stream's own connection and its result; `ended` once the result was read to its end. */
interface OpenStream {
  reader: DuckDBConnection;
  result: DuckDBResult | undefined;
  ended: boolean;
}

/** The embedded default warehouse: DuckDB in this process, through @duckdb/node-api. */
export class DuckDBWarehouse implements Warehouse {
  readonly dialect = duckdbDialect;
  readonly capabilities = { maxParameters: 30_000, transactions: 'interactive' as const };
  /** Streams not released yet (still read, or dropped by their reader): close ends them. */
  private readonly openStreams = new Set<OpenStream>();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** The file as `openFiles` knows it (undefined in memory). */
    private readonly file: string | undefined,
    /** A temp directory this warehouse made for itself (':memory:'), removed on close. */
    private readonly ownTempDirectory: string | null,
    /** The memory limit DuckDB was given, for the hint when a query runs out of it. */
    private readonly memoryLimit: string,
  ) {}

  static async open(settings: DuckDBSettings): Promise<DuckDBWarehouse> {
    const options: Record<string, string> = {
      memory_limit: settings.memoryLimit || DEFAULT_MEMORY_LIMIT,
      // DuckDB's allocator keeps memory its queries freed until later activity purges it; in a
      // long sync step that sat beside the limit. A background thread and low flush thresholds
      // hand it back (measured: the 1,000,000-row no-change sync step at 128MB peaked at 356 MB
      // RSS instead of 426 MB).
      allocator_background_threads: 'true',
      allocator_flush_threshold: '4MB',
      allocator_bulk_deallocation_flush_threshold: '4MB',
    };
    if (settings.threads) options.threads = String(settings.threads);
    const file = settings.path === ':memory:' ? undefined : path.resolve(settings.path);
    if (file && openFiles.has(file)) {
      // DuckDB's file lock is per process: it would open a second database over the same file,
      // and whichever shuts down last checkpoints its view over what the other wrote.
      throw new LockHeldError(
        `The DuckDB database '${settings.path}' is already open in this process (another session or run in it has it): ` +
          `close that one first. Two databases over one file in one process overwrite each other's writes.`,
      );
    }
    // An in-memory database would spill into `.tmp` under the current folder, shared by every
    // such process there; give it a folder of its own instead.
    const ownTempDirectory = settings.tempDirectory || settings.path !== ':memory:' ? null : await mkdtemp(path.join(os.tmpdir(), 'pqlsync-duckdb-'));
    const tempDirectory = settings.tempDirectory ?? ownTempDirectory;
    if (tempDirectory) options.temp_directory = tempDirectory;
    if (file) openFiles.add(file);
    try {
      const instance = await DuckDBInstance.create(settings.path, options);
      const connection = await instance.connect();
      return new DuckDBWarehouse(instance, connection, file, ownTempDirectory, options.memory_limit);
    } catch (error) {
      if (file) openFiles.delete(file);
      if (ownTempDirectory) await rm(ownTempDirectory, { recursive: true, force: true });
      const message = messageOf(error);
      // DuckDB lets one process at a time write a file: another pqlsync run (or a shell) has it.
      if (/Could not set lock on file/i.test(message)) {
        const holder = /\(PID (\d+)\)/i.exec(message)?.[1];
        throw new LockHeldError(
          `The DuckDB database '${settings.path}' is in use by another process${holder ? ` (pid ${holder})` : ''}, most likely another pqlsync run: ` +
            `DuckDB lets one process at a time open a file for writing. Skip this run, run again when the other one has finished, or pass --wait <seconds> to queue behind it.`,
          { cause: error },
        );
      }
      // A file or folder this user may not write is configuration, never "retry later".
      if (/Permission denied|Read-only file system/i.test(message)) {
        throw new ConfigError(
          `Could not open the DuckDB database '${settings.path}': ${message}. pqlsync writes to the database (models and sync state): give this user write access to the file and its folder, or set warehouse.path to a writable place.`,
          { cause: error },
        );
      }
      throw new WarehouseError(`Could not open the DuckDB database '${settings.path}': ${message}`, { cause: error });
    }
  }

  async execute(query: Query): Promise<void> {
    await this.executeOn(this.connection, query);
  }

  async query(query: Query): Promise<Row[]> {
    return this.queryOn(this.connection, query);
  }

  async *stream(query: Query, pageSize = 2048): AsyncIterable<Row[]> {
    const { sql, values } = toStatement(query);
    // A connection's streaming result is cut off by the next statement on that connection,
    // and the runner writes checkpoints while it reads: stream on a connection of its own.
    const open: OpenStream = { reader: await this.instance.connect(), result: undefined, ended: false };
    this.openStreams.add(open);
    try {
      open.result = await this.guard(sql, () => open.reader.stream(sql, toDuckValues(values)));
      let page: Row[] = [];
      for await (const chunk of readPages(open.result)) {
        page.push(...chunk);
        if (page.length >= pageSize) {
          yield page;
          page = [];
        }
      }
      open.ended = true;
      if (page.length > 0) yield page;
    } finally {
      await this.release(open);
    }
  }

  /**
   * Ends a stream and closes its connection. A streaming result that was not read to its end
   * keeps DuckDB's database alive until the garbage collector finalizes it, whatever
   * connection or instance was closed (node-api has no way to destroy a result); a database
   * alive after close checkpoints its stale view over the file when it finally goes, after
   * another open may have written there: lost tables, or "Failed to load metadata pointer".
   * Interrupting the query and reading what it still hands out ends it at once.
   */
  private async release(open: OpenStream): Promise<void> {
    if (!this.openStreams.delete(open)) return;
    try {
      if (open.result && !open.ended) {
        open.reader.interrupt();
        // Read to the end (a few buffered chunks); an interrupted query may answer with an error.
        for (;;) {
          const chunk = await open.result.fetchChunk().catch(() => null);
          if (!chunk || chunk.rowCount === 0) break;
        }
      }
    } finally {
      open.reader.closeSync();
    }
  }

  async describe(table: TableName): Promise<ColumnInfo[] | undefined> {
    return describeFromInformationSchema((q) => this.query(q), table);
  }

  async insertRows(table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    await this.insertOn(this.connection, table, columns, rows);
  }

  /**
   * BEGIN … COMMIT on a connection of its own that only `fn`'s handle uses: statements on
   * the main connection (the lock heartbeat, a status read) never land inside it.
   */
  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const connection = await this.instance.connect();
    const tx: SqlRunner = {
      execute: (query) => this.executeOn(connection, query),
      query: (query) => this.queryOn(connection, query),
      insertRows: (table, columns, rows) => this.insertOn(connection, table, columns, rows),
    };
    try {
      await this.executeOn(connection, 'begin transaction');
      const result = await fn(tx);
      await this.executeOn(connection, 'commit');
      return result;
    } catch (error) {
      await this.executeOn(connection, 'rollback').catch(() => undefined);
      throw error;
    } finally {
      connection.closeSync();
    }
  }

  private async executeOn(connection: DuckDBConnection, query: Query): Promise<void> {
    const { sql, values } = toStatement(query);
    await this.guard(sql, () => connection.run(sql, toDuckValues(values)));
  }

  private async queryOn(connection: DuckDBConnection, query: Query): Promise<Row[]> {
    const { sql, values } = toStatement(query);
    const result = await this.guard(sql, () => connection.run(sql, toDuckValues(values)));
    const rows: Row[] = [];
    for await (const page of readPages(result)) rows.push(...page);
    return rows;
  }

  private async insertOn(connection: DuckDBConnection, table: TableName, columns: string[], rows: Value[][]): Promise<void> {
    if (rows.length === 0) return;
    const name = this.dialect.table(table);
    // The appender needs every column in table order: take the order and types from the table.
    const probe = await this.guard(name, () => connection.run(`select * from ${name} limit 0`));
    const tableColumns = probe.columnNames();
    const types = probe.columnTypes();
    const positions = tableColumns.map((c) => columns.indexOf(c));
    const unknown = columns.filter((c) => !tableColumns.includes(c));
    if (unknown.length > 0) throw new WarehouseError(`Table ${name} has no column(s) ${unknown.join(', ')}`);
    const appender = await connection.createAppender(table.name, table.schema);
    try {
      for (let start = 0; start < rows.length; start += 2048) {
        const slice = rows.slice(start, start + 2048).map((row) => positions.map((p) => (p < 0 ? null : toJs(row[p], types[positions.indexOf(p)]))));
        const chunk = DuckDBDataChunk.create(types, slice.length);
        chunk.setRowsConverted(slice as never, JSToDuckDBValueConverter);
        appender.appendDataChunk(chunk);
      }
      appender.closeSync();
    } catch (error) {
      throw new WarehouseError(`Could not insert ${rows.length} rows into ${name}: ${messageOf(error)}`, { cause: error });
    }
  }

  /**
   * Shuts the database down: when close resolves, nothing of it is left in this process, so
   * the file can be opened again (here or by another process). Streams a reader dropped without
   * ending them (no `return()`) are ended first: see `release`.
   */
  async close(): Promise<void> {
    for (const open of [...this.openStreams]) await this.release(open);
    this.connection.closeSync();
    this.instance.closeSync();
    if (this.file) openFiles.delete(this.file);
    if (this.ownTempDirectory) await rm(this.ownTempDirectory, { recursive: true, force: true });
  }

  private async guard<T>(sql: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      const message = messageOf(error);
      // DuckDB's own advice (SET memory_limit) is not something a pqlsync user types: name the setting.
      const hint = /Out of Memory Error/i.test(message)
        ? `\n  DuckDB ran out of its memory limit (${this.memoryLimit}${this.memoryLimit === DEFAULT_MEMORY_LIMIT ? ", pqlsync's default" : ''}): ` +
          'raise warehouse.memory_limit in pqlsync.yml or PQLSYNC_DUCKDB_MEMORY_LIMIT (e.g. 2GB), or lower warehouse.threads.'
        : '';
      throw new WarehouseError(`DuckDB: ${message}${hint}\n  in: ${abbreviate(sql)}`, { cause: error });
    }
  }
}


function toDuckValues(values: Value[]): DuckDBValue[] | undefined {
  if (values.length === 0) return undefined;
  // Dates travel as ISO text; DuckDB casts them where a timestamp is expected.
  return values.map((v) => (v instanceof Date ? v.toISOString() : (v as DuckDBValue)));
}

/** Converts a JS value for a column of `type` (the appender is strictly typed). */
function toJs(value: Value, type: DuckDBType): unknown {
  if (value === null || value === undefined) return null;
  switch (type.typeId) {
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_TZ:
    case DuckDBTypeId.DATE:
      return value instanceof Date ? value : new Date(String(value));
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
      return BigInt(Math.trunc(Number(value)));
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.FLOAT:
      return Number(value);
    case DuckDBTypeId.BOOLEAN:
      return Boolean(value);
    case DuckDBTypeId.VARCHAR:
      return value instanceof Date ? value.toISOString() : String(value);
    default:
      return value;
  }
}

async function* readPages(result: DuckDBResult): AsyncIterable<Row[]> {
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  // Rows are copies of one template, so they share its shape: an object given many properties
  // one by one through computed keys turns into a dictionary, several times the size.
  const template: Row = Object.fromEntries(names.map((name) => [name, null]));
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const columns = chunk.convertColumns(JSDuckDBValueConverter);
    const rows: Row[] = new Array(chunk.rowCount);
    for (let r = 0; r < chunk.rowCount; r++) {
      const row: Row = { ...template };
      for (let c = 0; c < names.length; c++) row[names[c]] = fromJs(columns[c][r], types[c]);
      rows[r] = row;
    }
    yield rows;
  }
}

function fromJs(value: unknown, type: DuckDBType): Value {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString();
  }
  if (value instanceof Date) {
    return type.typeId === DuckDBTypeId.DATE ? value.toISOString().slice(0, 10) : value;
  }
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return String(value);
}


