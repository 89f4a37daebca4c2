/**
 * The engine behind the BigQuery and Snowflake fakes: an in-memory DuckDB that runs the SQL
 * (after the fake's few rewrites) and hands back column types and raw values. Test-only code.
 */
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export interface EngineColumn {
  name: string;
  typeId: DuckDBTypeId;
  /** DECIMAL scale (0 otherwise). */
  scale: number;
}

export interface EngineResult {
  columns: EngineColumn[];
  rows: DuckDBValue[][];
}

export class DuckDBEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async create(): Promise<DuckDBEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`set timezone = 'UTC'`).catch(() => undefined);
    return new DuckDBEngine(instance, connection);
  }

  async run(sql: string, params: DuckDBValue[] = []): Promise<EngineResult> {
    const result = await this.connection.run(sql, params.length > 0 ? params : undefined);
    const names = result.columnNames();
    const types = result.columnTypes();
    const columns = names.map((name, i) => ({
      name,
      typeId: types[i].typeId,
      scale: (types[i] as { scale?: number }).scale ?? 0,
    }));
    const rows = await result.getRows();
    return { columns, rows };
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** Microseconds since the epoch of a DuckDB TIMESTAMP / TIMESTAMPTZ value. */
export function microsOf(value: DuckDBValue): bigint {
  return (value as unknown as { micros: bigint }).micros;
}

/** Days since the epoch of a DuckDB DATE value. */
export function daysOf(value: DuckDBValue): number {
  return (value as unknown as { days: number }).days;
}
