/**
 * The benchmark's data: N scored users generated directly in DuckDB, shaped like the
 * shipped `contact_sync` model (an email key, numbers, enumerations, a reasons string,
 * datetimes, a date, a bool, NULLs), and a bench project (pqlsync.yml) that maps them to
 * HubSpot contacts. Everything is generated in SQL from `range()` and integer arithmetic
 * (no engine hash), so the same N gives the same rows on every machine.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { DuckDBWarehouse } from '../connectors/duckdb/duckdb.warehouse.ts';
import { parseProject, type Project } from '../src/config/load-project.ts';

export const MODELS_SCHEMA = 'bench_models';
export const STATE_SCHEMA = 'pqlsync';
export const MODEL = 'scored_users';
export const SYNC_NAME = 'contacts';
/** Rows whose `n % 100` equals this are the 1 % an incremental run changes. */
export const CHANGED_BUCKET = 42;

/** The mapping a real contacts sync uses (a subset of the shipped pqlsync.yml). */
export const PROPERTIES = [
  { column: 'pql_score', property: 'pqlsync_pql_score', type: 'number', label: 'PQL score' },
  { column: 'pql_tier', property: 'pqlsync_pql_tier', type: 'enumeration', label: 'PQL tier', options: ['cold', 'warm', 'hot', 'sales_ready'] },
  { column: 'product_score', property: 'pqlsync_product_score', type: 'number', label: 'Product score' },
  { column: 'fit_score', property: 'pqlsync_fit_score', type: 'number', label: 'Fit score' },
  { column: 'activation_level', property: 'pqlsync_activation_level', type: 'enumeration', label: 'Activation level', options: ['red', 'yellow', 'green'] },
  { column: 'hot_trigger', property: 'pqlsync_hot_trigger', type: 'string', label: 'Hot trigger' },
  { column: 'pql_reasons', property: 'pqlsync_pql_reasons', type: 'string', label: 'PQL reasons' },
  { column: 'activated', property: 'pqlsync_activated', type: 'bool', label: 'Activated' },
  { column: 'activated_at', property: 'pqlsync_activated_at', type: 'datetime', label: 'Activated at' },
  { column: 'signup_date', property: 'pqlsync_signup_date', type: 'date', label: 'Signed up on' },
  { column: 'last_active_at', property: 'pqlsync_last_active_at', type: 'datetime', label: 'Last active at' },
  { column: 'logins_14d', property: 'pqlsync_logins_14d', type: 'number', label: 'Logins (14 days)' },
  { column: 'days_active_30d', property: 'pqlsync_days_active_30d', type: 'number', label: 'Days active (30 days)' },
  { column: 'account_motion', property: 'pqlsync_account_motion', type: 'enumeration', label: 'Account motion', options: ['self_serve', 'sales_assisted'] },
  { column: 'account_id', property: 'pqlsync_account_id', type: 'string', label: 'Product account id' },
  { column: 'user_id', property: 'pqlsync_user_id', type: 'string', label: 'Product user id' },
] as const;

/** Creates (replaces) bench_models.scored_users with `rows` rows. */
export async function generateScoredUsers(warehouse: DuckDBWarehouse, rows: number): Promise<void> {
  await warehouse.execute(`create schema if not exists ${MODELS_SCHEMA}`);
  // h1..h4: cheap, well-spread integers per row (multiplicative hashing mod primes).
  await warehouse.execute(`create or replace table ${MODELS_SCHEMA}.${MODEL} as
    with base as (
      select range as n,
        (range * 2654435761 + 97) % 1000003 as h1,
        (range * 40503 + 7919) % 65521 as h2,
        (range * 69073 + 12345) % 999983 as h3,
        (range * 1103515245 + 12345) % 2147483629 as h4
      from range(${Math.trunc(rows)})
    ), scored as (
      select *, round((h1 % 1001) / 10.0, 1) as score from base
    )
    select
      n,
      'user' || n || '@co' || (n % 20011) || '.example.com' as email,
      'u' || n as user_id,
      'acct_' || (n % 200003) as account_id,
      score as pql_score,
      case when score >= 80 then 'sales_ready' when score >= 60 then 'hot' when score >= 30 then 'warm' else 'cold' end as pql_tier,
      round((h2 % 1001) / 10.0, 1) as product_score,
      round((h3 % 1001) / 10.0, 1) as fit_score,
      case h2 % 3 when 0 then 'red' when 1 then 'yellow' else 'green' end as activation_level,
      case when h3 % 10 = 0 then 'hit the paywall' when h3 % 10 = 1 then 'invited 5 teammates this week' else null end as hot_trigger,
      'invited ' || (h1 % 9) || ' teammates; hit the paywall ' || (h2 % 4) || ' times this week; used ' || (h3 % 12) || ' core features' as pql_reasons,
      (h4 % 3) <> 0 as activated,
      case when (h4 % 3) <> 0 then timestamp '2026-06-01 00:00:00' + to_seconds(cast(h4 % 12000000 as bigint)) else null end as activated_at,
      cast(date '2025-01-01' + cast(h3 % 600 as integer) as date) as signup_date,
      timestamp '2026-10-01 00:00:00' + to_seconds(cast(h1 % 2500000 as bigint)) as last_active_at,
      cast(h2 % 40 as integer) as logins_14d,
      cast(h3 % 31 as integer) as days_active_30d,
      case h4 % 4 when 0 then 'self_serve' when 1 then 'sales_assisted' else null end as account_motion
    from scored`);
}

/** The SQL that changes exactly 1 % of the rows (those with n % 100 = CHANGED_BUCKET): a day of activity. */
export function changeOnePercentSql(): string {
  return `update ${MODELS_SCHEMA}.${MODEL}
    set logins_14d = logins_14d + 1, last_active_at = last_active_at + interval 1 hour
    where n % 100 = ${CHANGED_BUCKET}`;
}

/** Rows the change touches for a model of `rows` rows (n = 0 … rows-1). */
export function changedRows(rows: number): number {
  return Math.floor(rows / 100) + (rows % 100 > CHANGED_BUCKET ? 1 : 0);
}

export interface BenchProjectOptions {
  dir: string;
  tier: number;
  /** DuckDB's memory limit, e.g. '128MB'; pqlsync's default when undefined. */
  memoryLimit?: string;
  threads: number;
}

/** Writes <dir>/pqlsync.yml (and an empty models folder) and returns the parsed project. */
export async function writeBenchProject(options: BenchProjectOptions): Promise<Project> {
  await mkdir(path.join(options.dir, 'models'), { recursive: true });
  const config = {
    name: 'pqlsync-bench',
    warehouse: { type: 'duckdb', path: 'bench.duckdb', ...(options.memoryLimit ? { memory_limit: options.memoryLimit } : {}), threads: options.threads },
    schema: MODELS_SCHEMA,
    state_schema: STATE_SCHEMA,
    models_path: 'models',
    sources: {},
    destination: {
      type: 'hubspot',
      property_group: { name: 'pqlsync', label: 'pqlsync (product signals)' },
      requests_per_10s: options.tier,
      // The sandbox's day is not compressed with its window; the bench sets both high enough.
      requests_per_day: 1_000_000_000,
    },
    syncs: [
      {
        name: SYNC_NAME,
        model: MODEL,
        object: 'contacts',
        key: 'email',
        mode: 'upsert',
        on_removed: 'keep',
        properties: PROPERTIES.map((p) => ({ ...p, ...('options' in p ? { options: [...p.options] } : {}) })),
        guardrails: { max_changed_share: 0.5, max_tier_shift: 0.2, tier_column: 'pql_tier', min_rows: 100 },
      },
    ],
  };
  const text = `# Written by npm run bench: ${MODEL} (generated in SQL) → HubSpot contacts.\n${stringify(config)}`;
  const file = path.join(options.dir, 'pqlsync.yml');
  await writeFile(file, text);
  return parseProject(text, file);
}
