import path from 'node:path';
import { ConfigError } from '../../src/errors.ts';
import type { WarehouseEntry } from '../registry.ts';
import { duckdbDialect } from './duckdb.dialect.ts';
import { DEFAULT_MEMORY_LIMIT, DuckDBWarehouse } from './duckdb.warehouse.ts';
import { mkdir } from 'node:fs/promises';

export const duckdbEntry: WarehouseEntry = {
  dialect: duckdbDialect,
  async open(config, context) {
    if (config.type !== 'duckdb') throw new ConfigError(`expected a duckdb warehouse, got ${config.type}`);
    const file = config.path === ':memory:' ? ':memory:' : path.resolve(context.projectRoot, config.path);
    if (file !== ':memory:') await mkdir(path.dirname(file), { recursive: true });
    return DuckDBWarehouse.open({
      path: file,
      // A database file gets a bounded default (DuckDB's own is 80% of RAM): it runs in this
      // process, and past the limit it spills to <file>.tmp. In memory there is nowhere to spill.
      memoryLimit: context.env.PQLSYNC_DUCKDB_MEMORY_LIMIT ?? config.memory_limit ?? (file === ':memory:' ? undefined : DEFAULT_MEMORY_LIMIT),
      threads: config.threads,
    });
  },
};
export { DuckDBWarehouse, duckdbDialect };
