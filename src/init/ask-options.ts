import { SOURCE_SPECS, type SourceSpec } from './source-columns.ts';
import { defaultSource, isTableName, WAREHOUSE_TYPES, type InitOptions, type UserSource, type WarehouseType } from './scaffold.ts';

/** Asks one question; answers the default when the user just presses Enter. */
export type Ask = (question: string, fallback: string) => Promise<string>;

/**
 * Completes what the flags left open by asking, as `dbt init` does on a terminal: the warehouse,
 * then for each source its table and, when the user says its columns are named differently, each
 * column. Answers given by flags are not asked again.
 */
export async function askInitOptions(given: InitOptions & { warehouseGiven: boolean; tablesGiven: string[] }, ask: Ask): Promise<InitOptions> {
  let warehouse = given.warehouse;
  if (!given.warehouseGiven) {
    for (;;) {
      const answer = (await ask(`Warehouse (${WAREHOUSE_TYPES.join(', ')})`, warehouse)).trim().toLowerCase();
      if ((WAREHOUSE_TYPES as readonly string[]).includes(answer)) {
        warehouse = answer as WarehouseType;
        break;
      }
    }
  }
  let duckdbPath = given.duckdbPath;
  if (warehouse === 'duckdb' && duckdbPath === undefined) duckdbPath = (await ask('DuckDB database file, relative to the project', 'warehouse.duckdb')).trim();
  const sources: Record<string, UserSource> = { ...given.sources };
  for (const spec of SOURCE_SPECS) {
    const current = sources[spec.name] ?? defaultSource(spec);
    let table = current.table;
    if (!given.tablesGiven.includes(spec.name)) {
      do table = (await ask(`Table with your ${spec.name} (${spec.describe.split(';')[0]}), as schema.table`, current.table)).trim();
      while (!isTableName(table));
    }
    sources[spec.name] = { table, columns: await askColumns(spec, current.columns, ask) };
  }
  return { dir: given.dir, name: given.name, warehouse, duckdbPath, sources };
}

async function askColumns(spec: SourceSpec, given: Record<string, string>, ask: Ask): Promise<Record<string, string>> {
  const open = spec.columns.filter((c) => given[c.name] === undefined);
  if (open.length === 0) return given;
  const same = (await ask(`Does it have the columns ${open.map((c) => c.name).join(', ')}? (y/n)`, 'y')).trim().toLowerCase();
  if (same.startsWith('y')) return given;
  const columns = { ...given };
  for (const c of open) {
    const theirs = (await ask(`  ${spec.name}.${c.name} (${c.describe}): your column`, c.name)).trim();
    if (theirs !== c.name) columns[c.name] = theirs;
  }
  return columns;
}
