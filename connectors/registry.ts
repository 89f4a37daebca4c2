/**
 * Warehouses, one line each. Adding a warehouse is a folder under connectors/
 * plus one line here; nothing else in pqlsync switches on the warehouse type.
 */
import type { WarehouseConfig } from '../contracts/config.ts';
import type { HubSpotDestinationConfig } from './hubspot/config.ts';
import type { Destination, RequestEstimate, SendWorkload, SyncTarget } from './destination.ts';
import type { Dialect, DialectName, Warehouse } from './warehouse.ts';
import { duckdbDialect } from './duckdb/duckdb.dialect.ts';
import { postgresDialect } from './postgres/postgres.dialect.ts';
import { bigqueryDialect } from './bigquery/bigquery.dialect.ts';
import { snowflakeDialect } from './snowflake/snowflake.dialect.ts';

export interface WarehouseContext {
  /** Folder of pqlsync.yml, for relative paths. */
  projectRoot: string;
  env: NodeJS.ProcessEnv;
}

export interface WarehouseEntry {
  dialect: Dialect;
  /** Opens a connection from the config and the environment (secrets come only from env). */
  open(config: WarehouseConfig, context: WarehouseContext): Promise<Warehouse>;
}

export const warehouses: Record<DialectName, () => Promise<WarehouseEntry>> = {
  duckdb: async () => (await import('./duckdb/index.ts')).duckdbEntry,
  postgres: async () => (await import('./postgres/index.ts')).postgresEntry,
  bigquery: async () => (await import('./bigquery/index.ts')).bigqueryEntry,
  snowflake: async () => (await import('./snowflake/index.ts')).snowflakeEntry,
};

export const dialects: Partial<Record<DialectName, Dialect>> = {
  duckdb: duckdbDialect,
  postgres: postgresDialect,
  bigquery: bigqueryDialect,
  snowflake: snowflakeDialect,
};

export async function openWarehouse(config: WarehouseConfig, context: WarehouseContext): Promise<Warehouse> {
  const entry = await warehouses[config.type]();
  return entry.open(config, context);
}

export interface DestinationContext {
  env: NodeJS.ProcessEnv;
  log?: (event: { level: 'info' | 'warn' | 'error'; msg: string; [k: string]: unknown }) => void;
}

/** A destination's settings (the `destination:` block of pqlsync.yml), one member per destination. */
export type DestinationConfig = HubSpotDestinationConfig;

/** Destinations, one line each. */
export const destinations = {
  hubspot: async () => (await import('./hubspot/index.ts')).hubspotEntry,
};

export async function openDestination(config: DestinationConfig, context: DestinationContext): Promise<Destination> {
  const entry = await destinations[config.type]();
  return entry.open(config, context);
}

export interface DestinationEntry {
  open(config: DestinationConfig, context: DestinationContext): Promise<Destination>;
  /** The requests a run of the sync would make for this work; pure (no credentials), for `plan`. */
  estimateRequests(sync: SyncTarget, work: SendWorkload): RequestEstimate;
}
