/** Against a real BigQuery project: runs when GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS are set. */
import { afterAll, beforeAll, describe } from 'vitest';
import { bigqueryEntry } from '../../connectors/bigquery/index.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { liveChecks } from './live-checks.ts';

const env = process.env;
const ready = Boolean(env.GOOGLE_CLOUD_PROJECT && env.GOOGLE_APPLICATION_CREDENTIALS && !env.BIGQUERY_EMULATOR_HOST);
if (!ready) console.log('[skipped] BigQuery live tests: set GOOGLE_CLOUD_PROJECT and GOOGLE_APPLICATION_CREDENTIALS (a key file) to run them');

const dataset = `pqlsync_live_${Date.now().toString(36)}`;

(ready ? describe : describe.skip)('BigQuery (live)', () => {
  let w: Warehouse;
  beforeAll(async () => {
    w = await bigqueryEntry.open({ type: 'bigquery' }, { projectRoot: process.cwd(), env });
  });
  afterAll(async () => {
    await w?.execute(`DROP SCHEMA IF EXISTS \`${dataset}\` CASCADE`).catch(() => undefined);
    await w?.close();
  });
  liveChecks(() => w, dataset, (values) => `UNNEST([${values.join(', ')}]) AS x`);
});
