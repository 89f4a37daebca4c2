/**
 * Against a real Snowflake account: runs when SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE
 * and a credential (SNOWFLAKE_PRIVATE_KEY_PATH, SNOWFLAKE_PRIVATE_KEY or SNOWFLAKE_PASSWORD) are set.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { snowflakeEntry } from '../../connectors/snowflake/index.ts';
import type { Warehouse } from '../../connectors/warehouse.ts';
import { liveChecks } from './live-checks.ts';

const env = process.env;
const ready = Boolean(
  env.SNOWFLAKE_ACCOUNT && env.SNOWFLAKE_USER && env.SNOWFLAKE_DATABASE && !env.SNOWFLAKE_ACCESS_URL &&
    (env.SNOWFLAKE_PRIVATE_KEY_PATH || env.SNOWFLAKE_PRIVATE_KEY || env.SNOWFLAKE_PASSWORD),
);
if (!ready) console.log('[skipped] Snowflake live tests: set SNOWFLAKE_ACCOUNT, SNOWFLAKE_USER, SNOWFLAKE_DATABASE and a key or password to run them');

const schema = `pqlsync_live_${Date.now().toString(36)}`;

(ready ? describe : describe.skip)('Snowflake (live)', () => {
  let w: Warehouse;
  beforeAll(async () => {
    w = await snowflakeEntry.open({ type: 'snowflake' }, { projectRoot: process.cwd(), env });
  });
  afterAll(async () => {
    await w?.execute(`drop schema if exists ${w.dialect.quote(schema)} cascade`).catch(() => undefined);
    await w?.close();
  });
  liveChecks(() => w, schema, (values) => `(select column1 as x from values ${values.map((v) => `(${v})`).join(', ')})`);
});
