import path from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import type { WarehouseEntry } from '../registry.ts';
import { duckdbDialect } from './duckdb.dialect.ts';
import { DuckDBWarehouse } from './duckdb.warehouse.ts';
import { mkdir } from 'node:fs/promises';

export const duckdbEntry: WarehouseEntry = {
  dialect: duckdbDialect,
  async open(config, context) {
    if (config.type !== 'duckdb') throw new ConfigError(`expected a duckdb warehouse, got ${config.type}`);
    const file = config.path === ':memory:' ? ':memory:' : path.resolve(context.projectRoot, config.path);
    if (file !== ':memory:') await mkdir(path.dirname(file), { recursive: true });
    return DuckDBWarehouse.open({
      path: file,
      memoryLimit: context.env.PQLSYNC_DUCKDB_MEMORY_LIMIT ?? config.memory_limit,
      threads: config.threads,
      tempDirectory: config.temp_directory === undefined ? undefined : path.resolve(context.projectRoot, config.temp_directory),
    });
  },
};
export { DuckDBWarehouse, duckdbDialect };
