import { ConfigError } from '../../contracts/errors.ts';
import type { WarehouseEntry } from '../registry.ts';
import { postgresDialect } from './postgres.dialect.ts';
import { PostgresWarehouse } from './postgres.warehouse.ts';

/** Environment variables holding the connection URL, first found wins. */
export const POSTGRES_URL_VARS = ['PQLSYNC_POSTGRES_URL', 'DATABASE_URL'] as const;

/**
 * PostgreSQL: the connection URL (with its password) comes only from the environment,
 * PQLSYNC_POSTGRES_URL or else DATABASE_URL. Messages name the variable, never its value.
 */
export const postgresEntry: WarehouseEntry = {
  dialect: postgresDialect,
  async open(config, context) {
    if (config.type !== 'postgres') throw new ConfigError(`expected a postgres warehouse, got ${config.type}`);
    const { url, source } = postgresUrlFrom(context.env);
    return PostgresWarehouse.open({ connectionString: url, source });
  },
};

export function postgresUrlFrom(env: NodeJS.ProcessEnv): { url: string; source: string } {
  const source = POSTGRES_URL_VARS.find((name) => (env[name] ?? '').trim() !== '');
  if (!source) {
    throw new ConfigError(
      'The postgres warehouse needs a connection URL: set PQLSYNC_POSTGRES_URL (or DATABASE_URL), ' +
        'e.g. postgres://user:password@host:5432/database',
    );
  }
  const url = env[source]!.trim();
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${source} is not a URL: expected postgres://user:password@host:5432/database (value not shown)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(`${source} must start with postgres:// or postgresql:// (value not shown)`);
  }
  if (!parsed.hostname && !parsed.searchParams.get('host')) {
    throw new ConfigError(`${source} names no host: expected postgres://user:password@host:5432/database (value not shown)`);
  }
  return { url, source };
}

export { PostgresWarehouse, postgresDialect };
