import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BigQueryOptions } from '@google-cloud/bigquery';
import { ConfigError } from '../../contracts/errors.ts';
import type { WarehouseConfig } from '../../contracts/config.ts';
import type { WarehouseContext, WarehouseEntry } from '../registry.ts';
import { bigqueryDialect, createBigQueryDialect } from './bigquery.dialect.ts';
import { BigQueryWarehouse, type BigQuerySettings } from './bigquery.warehouse.ts';

/**
 * BigQuery. Names from pqlsync.yml (`project`, `location`, `dataset_project`), else from
 * GOOGLE_CLOUD_PROJECT and BIGQUERY_LOCATION. Credentials the Google way: the key file named by
 * GOOGLE_APPLICATION_CREDENTIALS, else application-default credentials (gcloud auth
 * application-default login, workload identity, the metadata server). With an emulator or a test
 * fake (`api_endpoint` or BIGQUERY_EMULATOR_HOST) no credentials are sent.
 */
export const bigqueryEntry: WarehouseEntry = {
  dialect: bigqueryDialect,
  async open(config, context) {
    const settings = await bigquerySettingsFrom(config, context);
    const warehouse = BigQueryWarehouse.open(settings);
    if (!settings.clientOptions?.apiEndpoint) await checkCredentials(warehouse);
    return warehouse;
  },
};

export async function bigquerySettingsFrom(config: WarehouseConfig, context: WarehouseContext): Promise<BigQuerySettings> {
  if (config.type !== 'bigquery') throw new ConfigError(`expected a bigquery warehouse, got ${config.type}`);
  const env = context.env;
  const projectId = config.project ?? env.GOOGLE_CLOUD_PROJECT ?? env.GCLOUD_PROJECT;
  if (!projectId) {
    throw new ConfigError(
      'The bigquery warehouse needs a project: set warehouse.project in pqlsync.yml or GOOGLE_CLOUD_PROJECT in the environment.',
    );
  }
  const clientOptions: BigQueryOptions = {};
  const endpoint = config.api_endpoint ?? env.BIGQUERY_EMULATOR_HOST;
  if (endpoint) {
    if (!/^https?:\/\//.test(endpoint)) {
      throw new ConfigError(`${config.api_endpoint ? 'warehouse.api_endpoint' : 'BIGQUERY_EMULATOR_HOST'} must be an http(s) URL, e.g. http://127.0.0.1:9050`);
    }
    clientOptions.apiEndpoint = endpoint;
    // Emulators take no credentials (google-auth-library documents PassThroughClient for them).
    clientOptions.authClient = passThroughClient();
  } else if (env.GOOGLE_APPLICATION_CREDENTIALS) {
    clientOptions.keyFilename = await checkKeyFile(path.resolve(context.projectRoot, env.GOOGLE_APPLICATION_CREDENTIALS));
  }
  return {
    projectId,
    location: config.location ?? env.BIGQUERY_LOCATION,
    datasetProject: config.dataset_project,
    clientOptions,
  };
}

type AuthClient = NonNullable<BigQueryOptions['authClient']>;

/**
 * google-auth-library's PassThroughClient, from the copy the BigQuery client itself loads: it comes
 * with @google-cloud/bigquery (through @google-cloud/common), so pqlsync does not list it.
 */
function passThroughClient(): AuthClient {
  const fromPqlsync = createRequire(import.meta.url);
  const fromBigQuery = createRequire(fromPqlsync.resolve('@google-cloud/bigquery'));
  const fromCommon = createRequire(fromBigQuery.resolve('@google-cloud/common'));
  const { PassThroughClient } = fromCommon('google-auth-library') as { PassThroughClient: new () => AuthClient };
  return new PassThroughClient();
}

/** The key file must exist and be a Google credentials JSON; its content is never printed. */
async function checkKeyFile(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS names a file that cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): ${file}`);
  }
  let type: unknown;
  try {
    type = (JSON.parse(text) as { type?: unknown }).type;
  } catch {
    throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: ${file} is not JSON (expected a service-account key or an ADC file)`);
  }
  if (typeof type !== 'string') {
    throw new ConfigError(`GOOGLE_APPLICATION_CREDENTIALS: ${file} has no "type" (expected a service-account key or an ADC file)`);
  }
  return file;
}

async function checkCredentials(warehouse: BigQueryWarehouse): Promise<void> {
  try {
    await warehouse.client.authClient.getClient();
  } catch (error) {
    throw new ConfigError(
      'No Google credentials for BigQuery: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, ' +
        `or run \`gcloud auth application-default login\` (${(error as Error).message.split('\n')[0]})`,
      { cause: error },
    );
  }
}

export { BigQueryWarehouse, bigqueryDialect, createBigQueryDialect };
