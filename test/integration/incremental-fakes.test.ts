/**
 * The incremental path on the BigQuery and Snowflake fakes: a first build (full), new and late
 * events, a later build that folds incrementally (every BigQuery statement analyzed by ZetaSQL,
 * the fold's moves sent as one script transaction), then `--full-refresh` at the same as_of
 * must give the same rows.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import snowflake from 'snowflake-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import type { Project } from '../../src/config/load-project.ts';
import { DEMO_AS_OF, DEMO_TABLES, generateDemoData } from '../../src/demo/generate-demo-data.ts';
import { closeSession, openSession } from '../../src/run/session.ts';
import { buildStep } from '../../src/run/steps.ts';
import { createLogger } from '../../src/util/logger.ts';
import { BigQueryFake } from '../fakes/bigquery-fake.ts';
import type { DuckDBEngine } from '../fakes/duckdb-engine.ts';
import { SnowflakeFake } from '../fakes/snowflake-fake.ts';
import { memoryLogger, shippedProject } from '../helpers/project.ts';

snowflake.configure({ disableOCSPChecks: true, logLevel: 'OFF' });

interface Target {
  engine: DuckDBEngine;
  warehouse: Record<string, unknown>;
  env: NodeJS.ProcessEnv;
  projectRoot?: string;
  afterRawLoaded(): void;
  stop(): Promise<void>;
}

const targets: Array<[string, () => Promise<Target>]> = [
  [
    'bigquery',
    async () => {
      const fake = await BigQueryFake.start();
      return {
        engine: fake.engine,
        warehouse: { type: 'bigquery', project: 'test-project', location: 'US', api_endpoint: fake.url },
        env: {},
        afterRawLoaded: () => fake.resetCatalog(),
        stop: async () => {
          const rejected = fake.rejected;
          await fake.stop();
          if (rejected.length > 0) throw new Error(`ZetaSQL rejected: ${JSON.stringify(rejected, null, 2)}`);
        },
      };
    },
  ],
  [
    'snowflake',
    async () => {
      const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
      const keyDir = await mkdtemp(path.join(tmpdir(), 'pqlsync-sf-inc-'));
      writeFileSync(path.join(keyDir, 'rsa_key.p8'), keys.privateKey);
      const fake = await SnowflakeFake.start({ user: 'pqlsync', publicKey: keys.publicKey });
      return {
        engine: fake.engine,
        warehouse: { type: 'snowflake', account: 'fake-account', database: 'PQLSYNC', access_url: fake.url },
        env: { SNOWFLAKE_USER: 'pqlsync', SNOWFLAKE_PRIVATE_KEY_PATH: path.join(keyDir, 'rsa_key.p8') },
        projectRoot: keyDir,
        afterRawLoaded: () => undefined,
        stop: async () => {
          await fake.stop();
          await rm(keyDir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(targets)('incremental build on the %s fake', (_name, makeTarget) => {
  let target: Target;
  let project: Project;
  let cleanup: () => Promise<void>;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-inc-fakes-'));
    const file = path.join(dir, 'generated.duckdb');
    const generator = await DuckDBWarehouse.open({ path: file });
    await generateDemoData(generator, { users: 300, seed: 9 });
    await generator.close();
    target = await makeTarget();
    await target.engine.run(`attach '${file}' as gen (read_only)`);
    await target.engine.run('create schema if not exists raw');
    for (const t of DEMO_TABLES) await target.engine.run(`create or replace table raw.${t} as select * from gen.raw.${t}`);
    await target.engine.run('detach gen');
    target.afterRawLoaded();
    const shipped = await shippedProject((config) => {
      config.warehouse = target.warehouse;
    });
    project = shipped.project;
    cleanup = shipped.cleanup;
  }, 300_000);

  afterAll(async () => {
    await target?.stop();
    await cleanup?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function build(asOf: string, fullRefresh = false) {
    const log = createLogger({ json: true, secrets: [], out: memoryLogger().sink, err: memoryLogger().sink });
    const session = await openSession({ ...project, root: target.projectRoot ?? project.root }, { log, asOf, env: target.env });
    try {
      const built = await buildStep(session, ['+user_features'], { fullRefresh });
      const rows = async (name: string) => {
        const all = await session.warehouse.query(`select * from ${session.warehouse.dialect.table({ schema: project.config.schema, name })}`);
        return all.map((r) => JSON.stringify(Object.keys(r).sort().map((k) => [k.toLowerCase(), r[k] instanceof Date ? (r[k] as Date).toISOString() : r[k]]))).sort();
      };
      return { mode: built.find((b) => b.name === 'user_event_totals')!.incremental!.mode, totals: await rows('user_event_totals'), features: await rows('user_features') };
    } finally {
      await closeSession(session);
    }
  }

  it('folds new and late events, and equals --full-refresh', async () => {
    expect((await build(DEMO_AS_OF)).mode).toBe('full');
    // New events over the next 30 hours, and late ones from the day before the first build.
    await target.engine.run(`insert into raw.events (event_id, user_id, account_id, event_name, feature, occurred_at)
      select concat('inc_', i), user_id, account_id, case when i % 3 = 0 then 'feature_used' when i % 3 = 1 then 'login' else 'teammate_invited' end,
        case when i % 3 = 0 then 'reports' end,
        timestamp '2026-11-01 00:00:00' + to_minutes(cast(i * 7 % 1800 as bigint)) - case when i % 5 = 0 then interval 1 day else interval 0 day end
      from (select row_number() over (order by user_id) as i, user_id, account_id from raw.users) u where i <= 200`);
    const later = '2026-11-02T06:30:00.000Z';
    const incremental = await build(later);
    expect(incremental.mode).toBe('incremental');
    const full = await build(later, true);
    expect(full.mode).toBe('full');
    expect(incremental.totals).toEqual(full.totals);
    expect(incremental.features).toEqual(full.features);
    expect(incremental.totals.length).toBeGreaterThan(300);
  }, 300_000);
});
