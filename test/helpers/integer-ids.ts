import type { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';

/**
 * Rewrites the generated demo data (schema `raw`) as most product databases keep it: every
 * user and account id an integer (a stable hash of the generator's text id), in every table.
 */
export async function withIntegerIds(w: DuckDBWarehouse): Promise<void> {
  const tables = await w.query(`select table_name from information_schema.tables where table_schema = 'raw'`);
  for (const table of tables.map((t) => String(t.table_name))) {
    const columns = ((await w.describe({ schema: 'raw', name: table })) ?? []).map((c) => c.name);
    const ids = columns.filter((c) => c === 'user_id' || c === 'account_id');
    if (ids.length === 0) continue;
    await w.execute(`create table raw.${table}__int as select * replace (${ids.map((c) => `cast(hash(${c}) % 1000000000000 as bigint) as ${c}`).join(', ')}) from raw.${table}`);
    await w.execute(`drop table raw.${table}`);
    await w.execute(`alter table raw.${table}__int rename to ${table}`);
  }
}
