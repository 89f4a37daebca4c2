/** The warehouses `pqlsync init` writes a config for (its own module: the CLI reads it without loading init). */
export const WAREHOUSE_TYPES = ['duckdb', 'postgres', 'bigquery', 'snowflake'] as const;
export type WarehouseType = (typeof WAREHOUSE_TYPES)[number];
