/**
 * Warehouses, one line each. Adding a warehouse is a folder under connectors/
 * plus one line here; nothing else in pqlsync switches on the warehouse type.
 */
import { createRequire } from 'node:module';
import type { WarehouseConfig } from '../contracts/config.ts';
import { ConfigError } from '../contracts/errors.ts';
import { hubspotDestinationConfig, hubspotObjectName, hubspotSyncFields, type HubSpotDestinationConfig } from './hubspot/config.ts';
import { checkHubSpotSyncs } from './hubspot/check-syncs.ts';
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

/**
 * A warehouse's client library when pqlsync does not ship it: an optional peer dependency (package.json
 * peerDependencies, with the same range), installed by the projects that use that warehouse, as dbt
 * adapters are. A test holds these ranges to package.json.
 */
export interface WarehouseDriver {
  package: string;
  range: string;
}

export interface WarehouseLine {
  driver?: WarehouseDriver;
  /** Loads the connector (and with it its driver) only when a project names this warehouse. */
  load: () => Promise<WarehouseEntry>;
}

export const warehouses: Record<DialectName, WarehouseLine> = {
  duckdb: { load: async () => (await import('./duckdb/index.ts')).duckdbEntry },
  postgres: { driver: { package: 'pg', range: '^8.23.0' }, load: async () => (await import('./postgres/index.ts')).postgresEntry },
  bigquery: { driver: { package: '@google-cloud/bigquery', range: '^8.3.1' }, load: async () => (await import('./bigquery/index.ts')).bigqueryEntry },
  snowflake: { driver: { package: 'snowflake-sdk', range: '^3.3.0' }, load: async () => (await import('./snowflake/index.ts')).snowflakeEntry },
};

/** The one command that installs a warehouse's driver beside pqlsync. */
export function driverInstallCommand(driver: WarehouseDriver): string {
  return `npm install ${driver.package}@${driver.range}`;
}

/** The project names a warehouse whose driver is not installed: a configuration error (exit 2). */
export class MissingDriverError extends ConfigError {
  override name = 'MissingDriverError';
  readonly installCommand: string;
  constructor(type: DialectName, driver: WarehouseDriver, options?: { cause?: unknown }) {
    const command = driverInstallCommand(driver);
    super(
      `The ${type} warehouse needs its driver, ${driver.package}, which is not installed ` +
        `(pqlsync installs a warehouse's driver only in the projects that use it). Install it where pqlsync is installed: ${command}`,
      options,
    );
    this.installCommand = command;
  }
}

/** Whether an import failed because `name` itself (not something it needs) cannot be found. */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`) || message.includes(`'${name}/`));
}

/** Whether the driver can be found from pqlsync's own folder (where Node will look for it). */
export function driverInstalled(driver: WarehouseDriver): boolean {
  try {
    createRequire(import.meta.url).resolve(driver.package);
    return true;
  } catch {
    return false;
  }
}

/** The warehouse's connector; a driver that is not installed is a MissingDriverError naming the install command. */
export async function loadWarehouse(type: DialectName, line: WarehouseLine = warehouses[type]): Promise<WarehouseEntry> {
  try {
    return await line.load();
  } catch (error) {
    if (line.driver && isMissingPackage(error, line.driver.package)) throw new MissingDriverError(type, line.driver, { cause: error });
    throw error;
  }
}

export const dialects: Partial<Record<DialectName, Dialect>> = {
  duckdb: duckdbDialect,
  postgres: postgresDialect,
  bigquery: bigqueryDialect,
  snowflake: snowflakeDialect,
};

export async function openWarehouse(config: WarehouseConfig, context: WarehouseContext): Promise<Warehouse> {
  const entry = await loadWarehouse(config.type);
  return entry.open(config, context);
}

export interface DestinationContext {
  env: NodeJS.ProcessEnv;
  log?: (event: { level: 'info' | 'warn' | 'error'; msg: string; [k: string]: unknown }) => void;
}

/** A destination's settings (the `destination:` block of pqlsync.yml), one member per destination. */
export type DestinationConfig = HubSpotDestinationConfig;

/**
 * What pqlsync.yml says of each destination, one line each: the schema of its `destination:`
 * block, the object names a sync may write (`object:`, whose error names the unknown one and the
 * allowed ones), its own settings of a sync, and its own rules for the syncs (each problem a key path and what is wrong).
 * The config loader (src/config) reads them here and names no destination itself.
 */
export const destinationConfigs = {
  hubspot: { config: hubspotDestinationConfig, object: hubspotObjectName, syncFields: hubspotSyncFields, checkSyncs: checkHubSpotSyncs },
};

/** A sync's `object:` and own settings, and the `destination:` block, as the destinations above declare them (with a second one: their unions). */
export const destinationObjectName = destinationConfigs.hubspot.object;
export const destinationSyncFields = destinationConfigs.hubspot.syncFields;
export const destinationBlock = destinationConfigs.hubspot.config;

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
