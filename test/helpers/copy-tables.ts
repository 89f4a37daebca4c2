import type { TableName, Warehouse } from '../../connectors/warehouse.ts';
import { DEMO_TABLES } from '../../src/demo/generate-demo-data.ts';

/** DuckDB column type → PostgreSQL column type, for copying the demo's raw tables. */
export function postgresType(duckType: string): string {
  const t = duckType.toUpperCase();
  if (t.startsWith('DECIMAL')) return t.replace('DECIMAL', 'numeric');
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UINTEGER|UBIGINT|USMALLINT|UTINYINT)$/.test(t)) return 'bigint';
  if (/^(DOUBLE|FLOAT|REAL)$/.test(t)) return 'double precision';
  if (t === 'TIMESTAMP WITH TIME ZONE') return 'timestamptz';
  if (t.startsWith('TIMESTAMP')) return 'timestamp';
  if (t === 'DATE') return 'date';
  if (t === 'BOOLEAN') return 'boolean';
  return 'text';
}

/** Copies a table from DuckDB to PostgreSQL page by page (emptying the target if it exists: views may depend on it). */
export async function copyTable(from: Warehouse, to: Warehouse, source: TableName, target: TableName): Promise<number> {
  const columns = (await from.describe(source))!;
  if (await to.describe(target)) {
    await to.execute(`delete from ${to.dialect.table(target)}`);
  } else {
    await to.execute(`create table ${to.dialect.table(target)} (${columns.map((c) => `${to.dialect.quote(c.name)} ${postgresType(c.type)}`).join(', ')})`);
  }
  const names = columns.map((c) => c.name);
  let copied = 0;
  for await (const page of from.stream(`select * from ${from.dialect.table(source)}`, 5000)) {
    await to.insertRows(target, names, page.map((row) => names.map((n) => row[n])));
    copied += page.length;
  }
  return copied;
}

/** Creates the `raw` schema on PostgreSQL and copies the demo's raw tables into it from the DuckDB they were generated in. */
export async function copyDemoRawTables(from: Warehouse, pg: Warehouse, raw: string): Promise<void> {
  await pg.execute(pg.dialect.createSchema(raw));
  for (const name of DEMO_TABLES) await copyTable(from, pg, { schema: 'raw', name }, { schema: raw, name });
}
