import path from 'node:path';
import { ConfigError } from '../../contracts/errors.ts';
import type { WarehouseEntry } from '../registry.ts';
import { duckdbDialect } from './duckdb.dialect.ts';
import { DuckDBWarehouse } from './duckdb.warehouse.ts';
import { stat } from 'node:fs/promises';

export const duckdbEntry: WarehouseEntry = {
  dialect: duckdbDialect,
  async open(config, context) {
    if (config.type !== 'duckdb') throw new ConfigError(`expected a duckdb warehouse, got ${config.type}`);
    const file = config.path === ':memory:' ? ':memory:' : path.resolve(context.projectRoot, config.path);
    if (file !== ':memory:') await checkFolder(config.path, path.dirname(file));
    return DuckDBWarehouse.open({
      path: file,
      memoryLimit: context.env.PQLSYNC_DUCKDB_MEMORY_LIMIT ?? config.memory_limit,
      threads: config.threads,
      tempDirectory: config.temp_directory === undefined ? undefined : path.resolve(context.projectRoot, config.temp_directory),
    });
  },
};
export { DuckDBWarehouse, duckdbDialect };

/**
 * The database's folder must exist: creating it would turn a typo in `warehouse.path` into a new,
 * empty database that every sync then reads as "nothing to send".
 */
async function checkFolder(configured: string, folder: string): Promise<void> {
  const found = await stat(folder).catch(() => null);
  if (!found?.isDirectory()) {
    throw new ConfigError(
      `warehouse.path '${configured}': the folder ${folder} does not exist. Fix the path in pqlsync.yml (it is relative to pqlsync.yml), or create the folder if a new database belongs there.`,
    );
  }
}
