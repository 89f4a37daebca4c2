/**
 * A small throwaway project for the operations tests (backfill, plan, select, clear,
 * schedules, exit codes): people in a DuckDB source table, a staging view, a scored model
 * synced to HubSpot contacts, and an unrelated model that `--select` must leave alone.
 * Fast on purpose: a few hundred rows, one sync, the sandbox with a short window.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../connectors/hubspot/sandbox/index.ts';
import { runCli } from '../../src/cli/build-cli.ts';
import { memoryLogger } from './project.ts';

export const TOKEN = 'pat-ops-test-token';
export const AS_OF = '2026-11-01T00:00:00Z';

const MODELS: Record<string, string> = {
  'stg_people.sql': `/*
materialized: view
unique_key: person_id
description: People as the product database has them.
*/
select id as person_id, lower(email) as email, score, updated_at, is_active
from {{ source('people') }}`,
  'people_scores.sql': `/*
materialized: table
unique_key: email
description: A score, tier and reason per active person.
tests:
  unique: [email]
  not_null: [email]
*/
select
  email,
  score as pql_score,
  case when score >= 80 then 'hot' when score >= 40 then 'warm' else 'cold' end as pql_tier,
  'score ' || cast(score as varchar) as pql_reason,
  updated_at
from {{ ref('stg_people') }}
where is_active`,
  'unrelated_rollup.sql': `/*
materialized: table
description: Not upstream of any sync, so --select +people_scores must not build it.
*/
select count(*) as people from {{ source('people') }}`,
};

export interface OpsFixtureOptions {
  users?: number;
  onRemoved?: 'keep' | 'clear';
  /** Sandbox options beyond the token and the short window (latency, faults). */
  sandbox?: Omit<SandboxOptions, 'accessToken'>;
  /** Edits the config object before it is written. */
  edit?: (config: Record<string, any>) => void;
}

export interface OpsFixture {
  dir: string;
  config: string;
  db: string;
  sandbox: Sandbox;
  users: number;
  /** Environment for the CLI: the token and the sandbox as HubSpot. */
  env: NodeJS.ProcessEnv;
  /** Runs the CLI in-process with --config and --json; answers the exit code and the JSON events. */
  cli(args: string[], options?: { signal?: AbortSignal; env?: NodeJS.ProcessEnv }): Promise<{ code: number; events: any[]; out: string; err: string }>;
  /** Opens the DuckDB file (the CLI must not be running), runs fn, closes it. */
  sql<T>(fn: (w: DuckDBWarehouse) => Promise<T>): Promise<T>;
  cleanup(): Promise<void>;
}

export function fixtureConfig(db: string, options: OpsFixtureOptions = {}): Record<string, any> {
  const config: Record<string, any> = {
    name: 'ops-test',
    warehouse: { type: 'duckdb', path: db },
    schema: 'pqlsync_models',
    state_schema: 'pqlsync',
    models_path: 'models',
    sources: { people: 'raw.people' },
    destination: { type: 'hubspot', requests_per_10s: 100 },
    syncs: [
      {
        name: 'contact_sync',
        model: 'people_scores',
        object: 'contacts',
        key: 'email',
        on_removed: options.onRemoved ?? 'keep',
        properties: [
          { column: 'pql_score', property: 'pql_score', type: 'number', label: 'PQL score' },
          { column: 'pql_tier', property: 'pql_tier', type: 'enumeration', label: 'PQL tier', options: ['cold', 'warm', 'hot'] },
          { column: 'pql_reason', property: 'pql_reason', type: 'string', label: 'PQL reason' },
        ],
        guardrails: { tier_column: 'pql_tier', max_changed_share: 0.5, max_tier_shift: 0.5, min_rows: 100 },
      },
    ],
  };
  options.edit?.(config);
  return config;
}

export async function writeModels(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'models'), { recursive: true });
  for (const [file, text] of Object.entries(MODELS)) await writeFile(path.join(dir, 'models', file), text);
}

/** People 1..n: scores spread over 0..99, updated over October 2026, all active. */
export async function seedPeople(w: DuckDBWarehouse, users: number): Promise<void> {
  await w.execute('create schema if not exists raw');
  await w.execute(`create or replace table raw.people as
    select i as id, 'person' || lpad(cast(i as varchar), 4, '0') || '@example.com' as email,
      (i * 37) % 100 as score,
      timestamp '2026-10-01 00:00:00' + to_days(cast(i % 30 as integer)) as updated_at,
      true as is_active
    from range(1, ${Math.trunc(users) + 1}) t(i)`);
}

export async function opsFixture(options: OpsFixtureOptions = {}): Promise<OpsFixture> {
  const users = options.users ?? 300;
  const dir = await mkdtemp(path.join(tmpdir(), 'pqlsync-ops-'));
  const db = path.join(dir, 'warehouse.duckdb');
  await writeModels(dir);
  const config = path.join(dir, 'pqlsync.yml');
  await writeFile(config, JSON.stringify(fixtureConfig(db, options), null, 2));
  const w = await DuckDBWarehouse.open({ path: db });
  await seedPeople(w, users);
  await w.close();
  const sandbox = await startSandbox({ requestsPer10s: 100, windowMs: 1000, ...options.sandbox, accessToken: TOKEN });
  const env = { HUBSPOT_ACCESS_TOKEN: TOKEN, HUBSPOT_BASE_PATH: sandbox.url };
  return {
    dir,
    config,
    db,
    sandbox,
    users,
    env,
    async cli(args, o = {}) {
      const out = memoryLogger();
      const err = memoryLogger();
      const code = await runCli([...args, '--config', config, '--json', '--as-of', AS_OF], {
        env: o.env ?? env,
        out: out.sink,
        err: err.sink,
        signal: o.signal,
      });
      const text = out.lines.join('');
      const events = text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      // With --json, errors are JSON events on stdout: `err` gathers them with stderr.
      const errors = events.filter((e) => e.level === 'error' || e.level === 'warn').map((e) => e.msg);
      return { code, events, out: text, err: [err.lines.join(''), ...errors].join('\n') };
    },
    async sql(fn) {
      const wh = await DuckDBWarehouse.open({ path: db });
      try {
        return await fn(wh);
      } finally {
        await wh.close();
      }
    },
    async cleanup() {
      await sandbox.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
