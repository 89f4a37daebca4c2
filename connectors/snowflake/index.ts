import { readFile } from 'node:fs/promises';
import path from 'node:path';
import snowflake from 'snowflake-sdk';
import { ConfigError } from '../../contracts/errors.ts';
import type { WarehouseConfig } from '../../contracts/config.ts';
import type { WarehouseContext, WarehouseEntry } from '../registry.ts';
import { snowflakeDialect } from './snowflake.dialect.ts';
import { SnowflakeWarehouse, type SnowflakeConnectionOptions } from './snowflake.warehouse.ts';

/**
 * Snowflake. Names from pqlsync.yml (`account`, `user`, `warehouse`, `role`, `database`), else
 * SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_WAREHOUSE, SNOWFLAKE_ROLE, SNOWFLAKE_DATABASE.
 * Authentication, from the environment only: key-pair (SNOWFLAKE_PRIVATE_KEY_PATH or
 * SNOWFLAKE_PRIVATE_KEY, PEM PKCS#8, with SNOWFLAKE_PRIVATE_KEY_PASSPHRASE when encrypted) with
 * authenticator SNOWFLAKE_JWT, else SNOWFLAKE_PASSWORD. `access_url` / SNOWFLAKE_ACCESS_URL points
 * the client elsewhere (a test fake; OCSP checks are then off for plain http).
 */
export const snowflakeEntry: WarehouseEntry = {
  dialect: snowflakeDialect,
  async open(config, context) {
    const options = await snowflakeOptionsFrom(config, context);
    return SnowflakeWarehouse.open(options);
  },
};

export async function snowflakeOptionsFrom(config: WarehouseConfig, context: WarehouseContext): Promise<SnowflakeConnectionOptions> {
  if (config.type !== 'snowflake') throw new ConfigError(`expected a snowflake warehouse, got ${config.type}`);
  const env = context.env;
  const setting = (key: 'account' | 'user' | 'warehouse' | 'role' | 'database', variable: string, required: boolean) => {
    const value = config[key] ?? env[variable];
    if (required && !value) {
      throw new ConfigError(`The snowflake warehouse needs its ${key}: set warehouse.${key} in pqlsync.yml or ${variable} in the environment.`);
    }
    return value || undefined;
  };
  const account = setting('account', 'SNOWFLAKE_ACCOUNT', true)!;
  const username = setting('user', 'SNOWFLAKE_USER', true)!;
  const database = setting('database', 'SNOWFLAKE_DATABASE', true)!;
  const options: SnowflakeConnectionOptions = {
    account,
    username,
    database,
    warehouse: setting('warehouse', 'SNOWFLAKE_WAREHOUSE', false),
    role: setting('role', 'SNOWFLAKE_ROLE', false),
  };
  const accessUrl = config.access_url ?? env.SNOWFLAKE_ACCESS_URL;
  if (accessUrl) {
    if (!/^https?:\/\//.test(accessUrl)) {
      throw new ConfigError(`${config.access_url ? 'warehouse.access_url' : 'SNOWFLAKE_ACCESS_URL'} must be an http(s) URL`);
    }
    options.accessUrl = accessUrl;
    if (accessUrl.startsWith('http://')) snowflake.configure({ disableOCSPChecks: true });
  }
  const passphrase = env.SNOWFLAKE_PRIVATE_KEY_PASSPHRASE || undefined;
  if (env.SNOWFLAKE_PRIVATE_KEY_PATH) {
    const file = path.resolve(context.projectRoot, env.SNOWFLAKE_PRIVATE_KEY_PATH);
    const pem = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new ConfigError(`SNOWFLAKE_PRIVATE_KEY_PATH names a file that cannot be read (${error.code ?? 'error'}): ${file}`);
    });
    checkPem(pem, 'SNOWFLAKE_PRIVATE_KEY_PATH', passphrase);
    Object.assign(options, { authenticator: 'SNOWFLAKE_JWT', privateKeyPath: file, privateKeyPass: passphrase });
  } else if (env.SNOWFLAKE_PRIVATE_KEY) {
    // Environments often flatten newlines into "\n".
    const pem = env.SNOWFLAKE_PRIVATE_KEY.replace(/\\n/g, '\n').trim();
    checkPem(pem, 'SNOWFLAKE_PRIVATE_KEY', passphrase);
    Object.assign(options, { authenticator: 'SNOWFLAKE_JWT', privateKey: pem, privateKeyPass: passphrase });
  } else if (env.SNOWFLAKE_PASSWORD) {
    Object.assign(options, { authenticator: 'SNOWFLAKE', password: env.SNOWFLAKE_PASSWORD });
  } else {
    throw new ConfigError(
      'The snowflake warehouse needs credentials: set SNOWFLAKE_PRIVATE_KEY_PATH (or SNOWFLAKE_PRIVATE_KEY, ' +
        'plus SNOWFLAKE_PRIVATE_KEY_PASSPHRASE if it is encrypted) for key-pair authentication, or SNOWFLAKE_PASSWORD.',
    );
  }
  return options;
}

/** A PEM private key; its content is never echoed. */
function checkPem(pem: string, variable: string, passphrase: string | undefined): void {
  if (!/-----BEGIN (ENCRYPTED )?PRIVATE KEY-----/.test(pem)) {
    const rsa = /-----BEGIN RSA PRIVATE KEY-----/.test(pem);
    throw new ConfigError(
      `${variable} is not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)` +
        (rsa ? '; convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem -out key.p8`' : '') +
        ' (value not shown)',
    );
  }
  if (/ENCRYPTED PRIVATE KEY/.test(pem) && !passphrase) {
    throw new ConfigError(`${variable} holds an encrypted key: set SNOWFLAKE_PRIVATE_KEY_PASSPHRASE`);
  }
}

export { SnowflakeWarehouse, snowflakeDialect };
