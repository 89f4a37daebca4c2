/**
 * The demo data generator: a seeded, deterministic product-analytics data set in
 * the DuckDB schema `raw`, shaped like what a PLG company lands in its warehouse
 * (users, workspaces/accounts, product events, trials, subscriptions) plus the
 * outcomes a backtest needs.
 *
 * Everything is generated in SQL inside DuckDB (range() + hash() of the seed), never
 * row by row in JS, so a million users take seconds. Same seed + same options →
 * the same rows (row order inside a table is not part of the promise).
 *
 * Personas behind the rows (not stored): power users, team spreaders who invite many
 * colleagues from one company domain, trial stallers, one-login tourists, users who
 * drift away, and accounts that churned back to free. Free-mail users (gmail.com…)
 * live in personal workspaces. A few values are messy on purpose: upper-case or padded
 * emails, invalid and duplicate emails, `www.` and upper-case domains, NULL job titles,
 * missing employee counts. Conversion outcomes are drawn from the same latent intent
 * that drives the behaviour, so scores show lift in a backtest.
 */
import type { DuckDBWarehouse } from '../../connectors/duckdb/duckdb.warehouse.ts';
import { isoToSql } from '../../connectors/shared/iso-to-sql.ts';

/** End of the demo data (exclusive): the `--as-of` a demo run uses. */
export const DEMO_AS_OF = '2026-11-01T00:00:00.000Z';

export interface DemoOptions {
  /** Number of users (exact). */
  users: number;
  seed: number;
  /** End of the data (exclusive), ISO; default DEMO_AS_OF. */
  asOf?: string;
  /** Days of history before asOf; default 75. */
  days?: number;
  /**
   * Draw conversions from these signals instead of the latent intent behind the behaviour:
   * a user converts with probability 1 / (1 + exp(-(intercept + Σ weight · signal))), each
   * signal 0 or 1 over the user's whole activity (CONVERSION_SIGNALS). A second data set whose
   * conversions weigh the signals differently from the shipped points, to prove that
   * `evaluate --suggest` learns them.
   */
  conversion?: ConversionWeights;
}

/** Signals a drawn conversion can depend on: SQL over a generated user, each 0 or 1. */
export const CONVERSION_SIGNALS = {
  activated: 'activates',
  onboarded: 'onboards',
  invited_2: 'n_invites >= 2',
  integration: 'n_integrations > 0',
  paywall_or_limit: 'n_paywall + n_limit > 0',
  premium_attempt: 'n_premium > 0',
  enterprise_attempt: 'n_enterprise > 0',
  billing_view: 'n_billing > 0',
  frequent: 'n_sessions >= 8',
  team_workspace: "atype in ('team', 'large')",
} as const;

export interface ConversionWeights {
  intercept: number;
  weights: Partial<Record<keyof typeof CONVERSION_SIGNALS, number>>;
  /**
   * When a converting user converts: while active (as the demo data: somewhere in the second
   * half of the user's activity, or shortly after), or at any time after signup, active or not,
   * at a constant rate (an exponential wait, 60 days on average: a purchase on the buyer's
   * budget cycle, not the user's visit).
   */
  timing?: 'while_active' | 'any_time';
}

/** The tables generateDemoData creates in schema `raw`, in creation order. */
export const DEMO_TABLES = [
  'accounts',
  'users',
  'events',
  'trials',
  'subscriptions',
  'user_outcomes',
  'account_outcomes',
] as const;

/** Core features a `feature_used` event names (the product's main value). */
export const CORE_FEATURES = ['projects', 'tasks', 'boards', 'reports', 'automations', 'dashboards', 'docs'];

const FREE_MAIL = ['gmail.com', 'gmail.com', 'gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com', 'icloud.com', 'proton.me', 'gmx.de', 'aol.com'];
const FIRST = ['Ada', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kara', 'Liam', 'Maya', 'Noah', 'Olga', 'Priya', 'Quinn', 'Rosa', 'Sam', 'Tariq', 'Uma', 'Victor', 'Wen', 'Ximena', 'Yusuf', 'Zoe', 'Amir', 'Bea', 'Carlos', 'Dana'];
const LAST = ['Adams', 'Berg', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Martin', 'Nakamura', 'Okafor', 'Patel', 'Quist', 'Rossi', 'Silva', 'Tanaka', 'Ueda', 'Vogel', 'Weber', 'Xu', 'Young', 'Zimmer', 'Moreau', 'Novak', 'Olsen', 'Park'];
const WORD1 = ['blue', 'north', 'bright', 'swift', 'iron', 'green', 'silver', 'red', 'clear', 'deep', 'open', 'true', 'bold', 'quiet', 'prime', 'nova', 'terra', 'lumen', 'atlas', 'cedar'];
const WORD2 = ['peak', 'wave', 'forge', 'labs', 'works', 'stack', 'loop', 'grid', 'field', 'path', 'bridge', 'signal', 'harbor', 'pixel', 'metrics', 'cloud', 'logic', 'river', 'craft', 'systems'];
const TLDS = ['com', 'com', 'com', 'io', 'co', 'ai', 'de', 'co.uk', 'fr', 'net'];
const INDUSTRIES = ['Software', 'Software', 'Fintech', 'E-commerce', 'Healthcare', 'Education', 'Media', 'Manufacturing', 'Consulting', 'Non-profit', 'Logistics'];
const COUNTRIES = ['US', 'US', 'US', 'GB', 'DE', 'FR', 'NL', 'CA', 'AU', 'IN', 'BR', 'ES'];
const TITLES = ['Software Engineer', 'Senior Engineer', 'Engineering Manager', 'VP Engineering', 'CTO', 'Product Manager', 'Head of Product', 'Designer', 'Data Analyst', 'Marketing Manager', 'Operations Lead', 'Founder', 'CEO', 'Director of Operations', 'Project Manager', 'Consultant', 'Student', 'Customer Success Manager'];
const INTEGRATIONS = ['slack', 'google_drive', 'github', 'salesforce', 'hubspot', 'jira', 'zapier'];
const PREMIUM = ['advanced_automations', 'custom_reports', 'guest_access', 'version_history'];
const ENTERPRISE = ['sso', 'scim', 'audit_log', 'data_residency'];
/** The occasional extra event of an appended day. */
const DAY_EXTRAS = ['teammate_invited', 'paywall_hit', 'usage_limit_hit', 'integration_connected', 'billing_page_viewed', 'premium_feature_attempted', 'activation_reached', 'onboarding_completed'];
const LIMITS = ['storage', 'api_calls', 'projects', 'seats'];

/** Creates or replaces raw.* with a fresh demo data set; returns the row count of each table. */
export async function generateDemoData(warehouse: DuckDBWarehouse, options: DemoOptions): Promise<Record<string, number>> {
  const n = positiveInteger(options.users, 'users');
  const seed = integer(options.seed, 'seed');
  const days = positiveInteger(options.days ?? 75, 'days');
  const asOf = `timestamp '${isoToSql(options.asOf ?? DEMO_AS_OF)}'`;
  const start = `(${asOf} - to_days(${days}))`;

  await defineMacros(warehouse);
  await warehouse.execute('create schema if not exists raw');
  // Row order inside a table is not part of the promise: let DuckDB write in parallel.
  const [{ value: insertionOrder }] = await warehouse.query(`select current_setting('preserve_insertion_order') as value`);
  await warehouse.execute('set preserve_insertion_order = false');
  try {

  // 1. Accounts (workspaces) with a type that decides their size, enough of them to hold n users.
  //    Sizes are heavy-tailed: many personal and one-person workspaces, a few large teams.
  await warehouse.execute(`
    create or replace temp table demo_acc_all as
    with a as (
      select range as a, pqd_r(${seed}, range, 'atype') as rt from range(${n})
    ), typed as (
      select a,
        case when rt < 0.40 then 'personal' when rt < 0.65 then 'solo' when rt < 0.88 then 'small'
             when rt < 0.975 then 'team' else 'large' end as atype
      from a
    ), sized as (
      select a, atype,
        case atype
          when 'personal' then 1 + cast(pqd_r(${seed}, a, 'size') < 0.05 as integer)
          when 'solo' then 1 + cast(floor(pqd_r(${seed}, a, 'size') * 2) as integer)
          when 'small' then 2 + cast(floor(pqd_r(${seed}, a, 'size') * 7) as integer)
          when 'team' then 8 + cast(floor(pow(pqd_r(${seed}, a, 'size'), 1.5) * 30) as integer)
          else 40 + cast(floor(pow(pqd_r(${seed}, a, 'size'), 2) * 130) as integer) end as n_users
      from typed
    )
    select *, sum(n_users) over (order by a rows between unbounded preceding and current row) - n_users as first_user
    from sized`);
  await warehouse.execute(`
    create or replace temp table demo_acc as
    select a, atype, cast(least(n_users, ${n} - first_user) as bigint) as n_users, cast(first_user as bigint) as first_user,
      concat('acc_', a) as account_id,
      -- a small share of company workspaces are a second workspace of the previous company's domain
      case when atype <> 'personal' and a > 0 and pqd_r(${seed}, a, 'dupdom') < 0.02 then a - 1 else a end as dom_a,
      ${start} + to_seconds(cast(floor(pow(pqd_r(${seed}, a, 'created'), 0.8) * ${days} * 86400) as bigint)) as created_at,
      -- accounts that paid before the window and churned back to free inside it, and long-time customers
      case when atype <> 'personal' and pqd_r(${seed}, a, 'history') < 0.05 then 'churned'
           when atype <> 'personal' and pqd_r(${seed}, a, 'history') < 0.08 then 'customer'
           else 'none' end as history
    from demo_acc_all where first_user < ${n}`);

  // 2. Users: persona, times and per-kind event counts, all drawn from the seed.
  await warehouse.execute(`
    create or replace temp table demo_usr0 as
    select a.*, k, cast(first_user + k as bigint) as i,
      case
        when k = 0 and atype in ('team', 'large') and pqd_r(${seed}, first_user, 'champ') < 0.65 then 'spreader'
        when k = 0 and atype = 'small' and pqd_r(${seed}, first_user, 'champ') < 0.30 then 'spreader'
        when history = 'churned' and pqd_r(${seed}, first_user + k, 'churnp') < 0.6 then 'fader'
        else case
          when pqd_r(${seed}, first_user + k, 'persona') < 0.08 then 'power'
          when pqd_r(${seed}, first_user + k, 'persona') < 0.36 then 'steady'
          when pqd_r(${seed}, first_user + k, 'persona') < 0.48 then 'staller'
          when pqd_r(${seed}, first_user + k, 'persona') < 0.90 then 'tourist'
          else 'fader' end
      end as persona
    from demo_acc a, unnest(range(a.n_users)) as t(k)`);

  await warehouse.execute(`
    create or replace temp table demo_usr1 as
    select *,
      case when k = 0 then created_at
           else created_at + to_seconds(cast(floor(pow(pqd_r(${seed}, i, 'join'), 2.2) * epoch(${asOf} - created_at) * 0.95) as bigint))
      end as signup_at
    from demo_usr0`);

  await warehouse.execute(`
    create or replace temp table demo_usr2 as
    with p as (
      select *,
        epoch(${asOf} - signup_at) / 86400.0 as age_days,
        case persona
          when 'power' then 0.6 + 0.4 * pqd_r(${seed}, i, 'intent')
          when 'spreader' then 0.5 + 0.4 * pqd_r(${seed}, i, 'intent')
          when 'steady' then 0.15 + 0.4 * pqd_r(${seed}, i, 'intent')
          when 'staller' then 0.2 + 0.4 * pqd_r(${seed}, i, 'intent')
          when 'fader' then 0.05 + 0.25 * pqd_r(${seed}, i, 'intent')
          else 0.1 * pqd_r(${seed}, i, 'intent') end
          * case when atype = 'personal' then 0.7 when atype = 'large' then 1.1 else 1.0 end as intent,
        case persona
          when 'power' then 2 * pqd_r(${seed}, i, 'end')
          when 'spreader' then case when pqd_r(${seed}, i, 'end2') < 0.8 then 5 * pqd_r(${seed}, i, 'end') else 10 + 40 * pqd_r(${seed}, i, 'end') end
          when 'steady' then 25 * pow(pqd_r(${seed}, i, 'end'), 2)
          else null end as end_days_before,
        case persona
          when 'staller' then 3 + 8 * pqd_r(${seed}, i, 'end')
          when 'tourist' then 0.02 + 0.4 * pqd_r(${seed}, i, 'end')
          when 'fader' then 4 + 30 * pqd_r(${seed}, i, 'end')
          else null end as end_days_after
      from demo_usr1
    ), e as (
      select *,
        least(${asOf} - interval 1 minute,
          greatest(signup_at + interval 2 minute,
            coalesce(${asOf} - to_seconds(cast(floor(end_days_before * 86400) as bigint)),
                     signup_at + to_seconds(cast(floor(end_days_after * 86400) as bigint))))) as active_until
      from p
    )
    select *, epoch(active_until - signup_at) / 86400.0 as span_days from e`);

  await warehouse.execute(`
    create or replace temp table demo_usr as
    select *,
      cast(least(400, greatest(1, floor(case persona
        when 'power' then 1 + span_days * (1.0 + 1.0 * pqd_r(${seed}, i, 'sess'))
        when 'spreader' then 1 + span_days * (0.5 + 0.6 * pqd_r(${seed}, i, 'sess'))
        when 'steady' then 1 + span_days * (0.15 + 0.35 * pqd_r(${seed}, i, 'sess'))
        when 'staller' then 2 + 6 * pqd_r(${seed}, i, 'sess')
        when 'tourist' then 1 + cast(pqd_r(${seed}, i, 'sess') < 0.3 as integer)
        else 1 + span_days * (0.3 + 0.4 * pqd_r(${seed}, i, 'sess')) end))) as integer) as n_sessions,
      cast(case persona when 'power' then 3 when 'spreader' then 3 when 'steady' then 2 when 'tourist' then 1 else 2 end as integer) as feat_per_session,
      cast(case persona when 'power' then 3 + floor(4 * pqd_r(${seed}, i, 'breadth'))
        when 'spreader' then 3 + floor(3 * pqd_r(${seed}, i, 'breadth'))
        when 'tourist' then 1 + floor(2 * pqd_r(${seed}, i, 'breadth'))
        else 1 + floor(4 * pqd_r(${seed}, i, 'breadth')) end as integer) as breadth,
      pqd_r(${seed}, i, 'act') < case persona when 'power' then 0.95 when 'spreader' then 0.92 when 'steady' then 0.6
        when 'staller' then 0.4 when 'fader' then 0.55 else 0.03 end as activates,
      case persona when 'power' then 3 when 'spreader' then 4 when 'steady' then 12 when 'staller' then 5 else 8 end
        * pqd_r(${seed}, i, 'actdelay') as activation_delay_days,
      cast(case persona
        when 'spreader' then least(greatest(n_users - 1, 3) + floor(4 * pqd_r(${seed}, i, 'inv')), 5 + floor(12 * pqd_r(${seed}, i, 'inv2')))
        when 'power' then floor(4 * pqd_r(${seed}, i, 'inv'))
        when 'steady' then case when pqd_r(${seed}, i, 'inv') < 0.2 then 1 + floor(2 * pqd_r(${seed}, i, 'inv2')) else 0 end
        else 0 end as integer) as n_invites,
      cast(case persona
        when 'power' then 1 + floor(3 * pqd_r(${seed}, i, 'integ'))
        when 'spreader' then floor(2.5 * pqd_r(${seed}, i, 'integ'))
        when 'steady' then cast(pqd_r(${seed}, i, 'integ') < 0.25 as integer)
        when 'staller' then cast(pqd_r(${seed}, i, 'integ') < 0.15 as integer)
        else 0 end as integer) as n_integrations,
      cast(case when pqd_r(${seed}, i, 'pay0') < intent * intent * 0.6 then 1 + floor(pqd_r(${seed}, i, 'pay') * intent * 3) else 0 end as integer) as n_paywall,
      cast(case when persona in ('power', 'spreader', 'staller') and pqd_r(${seed}, i, 'lim0') < intent * 0.5 then 1 + floor(pqd_r(${seed}, i, 'lim') * intent * 3) else 0 end as integer) as n_limit,
      cast(floor(pqd_r(${seed}, i, 'prem') * intent * 4) as integer) as n_premium,
      cast(case when atype in ('team', 'large') and pqd_r(${seed}, i, 'ent') < intent * 0.25 then 1 + floor(2 * pqd_r(${seed}, i, 'ent2'))
        when pqd_r(${seed}, i, 'ent') < 0.005 then 1 else 0 end as integer) as n_enterprise,
      cast(floor(pqd_r(${seed}, i, 'bill') * intent * 5) as integer) as n_billing,
      pqd_r(${seed}, i, 'onb') < case when persona = 'tourist' then 0.15 else 0.75 end as onboards,
      -- conversion outcome: from the same latent intent as the behaviour, or from the signals given
      pqd_r(${seed}, i, 'conv') < ${options.conversion ? conversionProbability(options.conversion) : `(0.01 + 0.45 * intent * intent
        + case when persona in ('power', 'spreader') then 0.10 else 0 end)`} as would_convert,
      signup_at + to_seconds(cast(floor(86400 * ${
        options.conversion?.timing === 'any_time'
          ? `-60 * ln(1 - pqd_r(${seed}, i, 'convt'))`
          : `(span_days * (0.4 + 0.6 * pqd_r(${seed}, i, 'convt')) + 12 * pqd_r(${seed}, i, 'convt2'))`
      }) as bigint)) as convert_time
    from demo_usr2`);

  // 3. raw.users, with messy emails, domains and titles.
  await warehouse.execute(`
    create or replace table raw.users as
    with base as (
      select u.*,
        ${pick(FIRST, `hash(${seed}, i, 'first')`)} as first_name,
        ${pick(LAST, `hash(${seed}, i, 'last')`)} as last_name,
        case when atype = 'personal' or pqd_r(${seed}, i, 'freemail') < 0.04
             then ${pick(FREE_MAIL, `hash(${seed}, i, 'fm')`)}
             else pqd_company_domain(${seed}, dom_a) end as mail_domain
      from demo_usr u
    ), mails as (
      select *,
        case when mail_domain in (${FREE_MAIL.map((d) => `'${d}'`).join(', ')})
             then concat(lower(first_name), '.', lower(last_name), cast(i % 9973 as varchar), '@', mail_domain)
             else concat(lower(first_name), '.', lower(last_name), case when k > 0 then cast(k as varchar) else '' end, '@', mail_domain) end as clean_email
      from base
    )
    select
      concat('usr_', i) as user_id,
      account_id,
      case
        when pqd_r(${seed}, i, 'mess') < 0.003 then null
        when pqd_r(${seed}, i, 'mess') < 0.006 then concat(lower(first_name), ' at ', mail_domain)
        when pqd_r(${seed}, i, 'mess') < 0.03 then upper(clean_email)
        when pqd_r(${seed}, i, 'mess') < 0.045 then concat('  ', clean_email, ' ')
        when pqd_r(${seed}, i, 'mess') < 0.05 and k > 0 then concat(lower(first_name), '.', lower(last_name), case when k > 1 then cast(k - 1 as varchar) else '' end, '@', upper(mail_domain))
        else clean_email end as email,
      first_name,
      last_name,
      signup_at,
      case
        when pqd_r(${seed}, i, 'cdom') < 0.03 then concat('www.', mail_domain)
        when pqd_r(${seed}, i, 'cdom') < 0.05 then upper(mail_domain)
        when pqd_r(${seed}, i, 'cdom') < 0.08 then null
        else mail_domain end as company_domain,
      case when pqd_r(${seed}, i, 'title') < 0.12 then null
           else ${pick(TITLES, `hash(${seed}, i, 'title2')`)} end as job_title,
      case when k = 0 then 'owner' when pqd_r(${seed}, i, 'role') < 0.1 then 'admin' else 'member' end as role
    from mails`);

  // 4. raw.events: sessions (a login plus core-feature use) and one-off milestone and intent events.
  await warehouse.execute(`
    create or replace table raw.events as
    with sessions as (
      select i, account_id, s, breadth,
        cast(hash(${seed}, i, s, 'nf') % cast(feat_per_session + 1 as ubigint) as bigint) as n_features,
        signup_at + to_seconds(cast(floor(
          case when s = 0 then 60 else
            case when persona = 'fader' then pow(pqd_r(${seed}, i * 1000 + s, 'st'), 2.0)
                 when persona in ('power', 'spreader') then pow(pqd_r(${seed}, i * 1000 + s, 'st'), 0.7)
                 else pqd_r(${seed}, i * 1000 + s, 'st') end * span_days * 86400 end) as bigint)) as ts
      from demo_usr, unnest(range(n_sessions)) as t(s)
    ), session_events as (
      select concat('ev_', i, '_s', s) as event_id, i, account_id, 'login' as event_name, cast(null as varchar) as feature, ts as occurred_at
      from sessions
      union all
      select concat('ev_', i, '_s', s, '_f', f), i, account_id, 'feature_used',
        ${pick(CORE_FEATURES, `(hash(${seed}, i, 'fbase') + (hash(${seed}, i, s, f) % cast(breadth as ubigint)))`)},
        ts + to_seconds(120 + 300 * f + cast(hash(${seed}, i, s, f, 'ft') % 240 as bigint))
      from sessions, unnest(range(n_features)) as t(f)
    ), one_offs as (
      select i, account_id, 'onboarding_completed' as event_name, cast(null as varchar) as feature, 0 as j,
        signup_at + to_seconds(600 + cast(hash(${seed}, i, 'onbt') % 7200 as bigint)) as ts
      from demo_usr where onboards
      union all
      select i, account_id, 'activation_reached', 'first_value', 0,
        least(active_until, signup_at + to_seconds(cast(floor(activation_delay_days * 86400) as bigint) + 900))
      from demo_usr where activates
      union all
      -- invites come in a burst of about a week (5+ in a week is a hot trigger)
      select i, account_id, 'teammate_invited', null, j,
        least(active_until, signup_at + to_seconds(cast(floor(86400 * (greatest(span_days - 7, 0) * pqd_r(${seed}, i, 'burst') + 7 * pqd_r4(${seed}, i, j, 'invt'))) as bigint)))
      from demo_usr, unnest(range(n_invites)) as t(j)
      union all
      select i, account_id, 'integration_connected', ${pick(INTEGRATIONS, `hash(${seed}, i, 'integ') + j`)}, j,
        signup_at + to_seconds(cast(floor(86400 * span_days * pqd_r4(${seed}, i, j, 'integt')) as bigint))
      from demo_usr, unnest(range(n_integrations)) as t(j)
      union all
      -- intent signals cluster toward the end of a user's activity: recent for active users
      select i, account_id, kind, feature, j,
        active_until - to_seconds(cast(floor(86400 * least(span_days, 14) * pow(pqd_r4(${seed}, i, j, kind), 2)) as bigint))
      from (
        select i, account_id, active_until, span_days, 'paywall_hit' as kind, ${pick(PREMIUM, `hash(${seed}, i, 'pw', j)`)} as feature, j
        from demo_usr, unnest(range(n_paywall)) as t(j)
        union all
        select i, account_id, active_until, span_days, 'usage_limit_hit', ${pick(LIMITS, `hash(${seed}, i, 'lim', j)`)}, j
        from demo_usr, unnest(range(n_limit)) as t(j)
        union all
        select i, account_id, active_until, span_days, 'premium_feature_attempted', ${pick(PREMIUM, `hash(${seed}, i, 'pf', j)`)}, j
        from demo_usr, unnest(range(n_premium)) as t(j)
        union all
        select i, account_id, active_until, span_days, 'enterprise_feature_attempted', ${pick(ENTERPRISE, `hash(${seed}, i, 'ef', j)`)}, j
        from demo_usr, unnest(range(n_enterprise)) as t(j)
        union all
        select i, account_id, active_until, span_days, 'billing_page_viewed', null, j
        from demo_usr, unnest(range(n_billing)) as t(j)
      ) x
    )
    -- the data ends at asOf: the few events a late session would spill past it are dropped
    select event_id, concat('usr_', i) as user_id, account_id, event_name, feature, occurred_at from session_events
    where occurred_at < ${asOf}
    union all
    select concat('ev_', i, '_', event_name, '_', j), concat('usr_', i), account_id, event_name, feature, ts from one_offs
    where ts < ${asOf}`);

  // 5. Outcomes: a user converts at convert_time if it falls before asOf; an account when its first user does.
  await warehouse.execute(`
    create or replace table raw.user_outcomes as
    select concat('usr_', i) as user_id,
      would_convert and convert_time < ${asOf} as converted,
      case when would_convert and convert_time < ${asOf} then convert_time end as converted_at
    from demo_usr`);
  await warehouse.execute(`
    create or replace table raw.account_outcomes as
    select u.account_id, coalesce(bool_or(o.converted), false) as converted, min(o.converted_at) as converted_at
    from raw.users u join raw.user_outcomes o using (user_id)
    group by u.account_id`);

  // 6. Subscriptions: a paid plan from each conversion; earlier ones for long-time customers and churned accounts.
  await warehouse.execute(`
    create or replace table raw.subscriptions as
    with acc as (
      select a.a, a.account_id, a.atype, a.history, a.n_users, a.created_at, o.converted, o.converted_at
      from demo_acc a join raw.account_outcomes o using (account_id)
    ), subs as (
      select a, account_id, atype, n_users, 'conv' as kind, converted_at as started_at, cast(null as timestamp) as ended_at
      from acc where converted
      union all
      select a, account_id, atype, n_users, 'prior',
        ${start} - to_days(cast(30 + floor(300 * pqd_r(${seed}, a, 'priorstart')) as integer)),
        case when history = 'churned' then ${start} + to_seconds(cast(floor(${days} * 0.6 * 86400 * pqd_r(${seed}, a, 'churnat')) as bigint)) end
      from acc where history in ('churned', 'customer')
    )
    select concat('sub_', a, '_', kind) as subscription_id, account_id,
      case when atype = 'large' then 'enterprise' when atype = 'team' or n_users >= 8 then 'business' else 'pro' end as plan,
      cast(greatest(n_users, case when atype = 'large' then 50 + floor(100 * pqd_r(${seed}, a, 'seats')) else 1 end
        + case when pqd_r(${seed}, a, 'seats2') < 0.03 then 50 else 0 end) as integer) as seats,
      cast(null as double) as mrr, started_at, ended_at
    from subs`);
  await warehouse.execute(`
    update raw.subscriptions set mrr = round(seats * case plan when 'enterprise' then 32.0 when 'business' then 18.0 else 10.0 end, 2)`);

  // 7. Trials: stallers start one and let it expire; many converters trial first. One trial per account.
  await warehouse.execute(`
    create or replace table raw.trials as
    with candidates as (
      select u.i, u.account_id, u.persona,
        case when o.converted and pqd_r(${seed}, u.i, 'trialconv') < 0.6
             then o.converted_at - to_seconds(cast(floor(86400 * (2 + 11 * pqd_r(${seed}, u.i, 'trialst'))) as bigint))
             when u.persona = 'staller' and pqd_r(${seed}, u.i, 'trial') < 0.85
             then u.signup_at + to_seconds(cast(floor(86400 * (0.2 + 2 * pqd_r(${seed}, u.i, 'trialst'))) as bigint))
             when u.persona = 'power' and pqd_r(${seed}, u.i, 'trial') < 0.3
             then u.signup_at + to_seconds(cast(floor(86400 * (1 + 5 * pqd_r(${seed}, u.i, 'trialst'))) as bigint))
        end as started_at,
        o.converted, o.converted_at
      from demo_usr u join raw.user_outcomes o on o.user_id = concat('usr_', u.i)
    ), firsts as (
      select *, row_number() over (partition by account_id order by started_at, i) as rn
      from candidates where started_at is not null and started_at < ${asOf}
    )
    select concat('trial_', account_id) as trial_id, account_id, concat('usr_', i) as user_id,
      case when pqd_r(${seed}, i, 'trialplan') < 0.7 then 'pro' else 'business' end as plan,
      started_at, started_at + to_days(14) as ends_at,
      case when converted and converted_at <= started_at + to_days(17) then 'converted'
           when started_at + to_days(14) > ${asOf} then 'active'
           else 'expired' end as status
    from firsts where rn = 1`);

  // 8. raw.accounts, last: plan and seats as they stand ts asOf.
  await warehouse.execute(`
    create or replace table raw.accounts as
    with active_sub as (
      select account_id, max(plan) as plan, max(seats) as seats
      from raw.subscriptions where started_at < ${asOf} and (ended_at is null or ended_at > ${asOf})
      group by account_id
    ), active_trial as (
      select account_id from raw.trials where status = 'active'
    )
    select a.account_id,
      case when a.atype = 'personal' then 'Personal workspace'
           else concat(upper(substr(pqd_word1(${seed}, a.dom_a), 1, 1)), substr(pqd_word1(${seed}, a.dom_a), 2), ' ',
                       upper(substr(pqd_word2(${seed}, a.dom_a), 1, 1)), substr(pqd_word2(${seed}, a.dom_a), 2)) end as name,
      case
        when a.atype = 'personal' then case when pqd_r(${seed}, a.a, 'pdom') < 0.3
             then ${pick(FREE_MAIL, `hash(${seed}, a.first_user, 'fm')`)} end
        when pqd_r(${seed}, a.a, 'dmess') < 0.05 then concat('www.', pqd_company_domain(${seed}, a.dom_a))
        when pqd_r(${seed}, a.a, 'dmess') < 0.08 then upper(pqd_company_domain(${seed}, a.dom_a))
        when pqd_r(${seed}, a.a, 'dmess') < 0.09 then concat('WWW.', upper(pqd_company_domain(${seed}, a.dom_a)))
        else pqd_company_domain(${seed}, a.dom_a) end as domain,
      case when a.atype = 'personal' or pqd_r(${seed}, a.a, 'empnull') < 0.06 then null
           else cast(case a.atype
             when 'solo' then 1 + floor(40 * pow(pqd_r(${seed}, a.a, 'emp'), 2))
             when 'small' then 5 + floor(400 * pow(pqd_r(${seed}, a.a, 'emp'), 2))
             when 'team' then 20 + floor(3000 * pow(pqd_r(${seed}, a.a, 'emp'), 2))
             else 200 + floor(20000 * pow(pqd_r(${seed}, a.a, 'emp'), 2)) end as integer) end as employees,
      case when a.atype = 'personal' then null when pqd_r(${seed}, a.a, 'indnull') < 0.05 then null
           else ${pick(INDUSTRIES, `hash(${seed}, a.a, 'ind')`)} end as industry,
      ${pick(COUNTRIES, `hash(${seed}, a.a, 'country')`)} as country,
      case when s.plan is not null then s.plan when t.account_id is not null then 'trial' else 'free' end as plan,
      cast(coalesce(s.seats, a.n_users) as integer) as seats,
      a.created_at
    from demo_acc a
    left join active_sub s on s.account_id = a.account_id
    left join active_trial t on t.account_id = a.account_id`);

  } finally {
    await warehouse.execute(`set preserve_insertion_order = ${insertionOrder === false ? 'false' : 'true'}`);
    for (const t of ['demo_acc_all', 'demo_acc', 'demo_usr0', 'demo_usr1', 'demo_usr2', 'demo_usr']) {
      await warehouse.execute(`drop table if exists ${t}`);
    }
  }
  return countRows(warehouse, [...DEMO_TABLES]);
}

/**
 * Appends one day of product events, starting at `day` (the previous asOf), for a
 * realistic subset of users: most of the recently active come back, a few dormant ones
 * return, and a handful of new users sign up (in personal workspaces or joining an
 * existing company). Deterministic for a given seed, day and prior data.
 */
export async function appendDemoDay(
  warehouse: DuckDBWarehouse,
  options: { seed: number; day: string },
): Promise<{ events: number; users: number }> {
  const seed = integer(options.seed, 'seed');
  const day = `timestamp '${isoToSql(options.day)}'`;
  const dayKey = isoToSql(options.day).slice(0, 10).replace(/-/g, '');
  await defineMacros(warehouse);

  const before = await countRows(warehouse, ['events', 'users']);

  // New signups: about 0.1% of the user base (at least 1); a third join an existing company workspace.
  await warehouse.execute(`
    create or replace temp table demo_new_users as
    with params as (select count(*) as n_users from raw.users),
    picks as (
      select range as j, n_users from params, range(cast(greatest(1, floor(n_users * 0.001)) as bigint))
    ), company_accounts as (
      select account_id, row_number() over (order by account_id) - 1 as idx, domain
      from raw.accounts where domain is not null and lower(domain) not in (${FREE_MAIL.map((d) => `'${d}'`).join(', ')})
    ), n_company as (select count(*) as n from company_accounts)
    select p.j, concat('usr_d${dayKey}_', p.j) as user_id,
      case when pqd_r(${seed}, p.j, '${dayKey}join') < 0.33 and nc.n > 0 then ca.account_id
           else concat('acc_d${dayKey}_', p.j) end as account_id,
      case when pqd_r(${seed}, p.j, '${dayKey}join') < 0.33 and nc.n > 0
           then regexp_replace(lower(ca.domain), '^www\\.', '') end as company_domain,
      ${pick(FIRST, `hash(${seed}, p.j, '${dayKey}first')`)} as first_name,
      ${pick(LAST, `hash(${seed}, p.j, '${dayKey}last')`)} as last_name,
      ${day} + to_seconds(cast(floor(80000 * pqd_r(${seed}, p.j, '${dayKey}at')) as bigint)) as signup_at
    from picks p cross join n_company nc
    left join company_accounts ca on ca.idx = cast(hash(${seed}, p.j, '${dayKey}acc') % cast(greatest(nc.n, 1) as ubigint) as bigint)`);
  await warehouse.execute(`
    insert into raw.accounts (account_id, name, domain, employees, industry, country, plan, seats, created_at)
    select account_id, 'Personal workspace', null, null, null,
      ${pick(COUNTRIES, `hash(${seed}, j, '${dayKey}country')`)}, 'free', 1, signup_at
    from demo_new_users where company_domain is null`);
  await warehouse.execute(`
    insert into raw.users (user_id, account_id, email, first_name, last_name, signup_at, company_domain, job_title, role)
    select user_id, account_id,
      concat(lower(first_name), '.', lower(last_name), '.d${dayKey}.', j, '@', coalesce(company_domain, ${pick(FREE_MAIL, `hash(${seed}, j, '${dayKey}fm')`)})),
      first_name, last_name, signup_at,
      coalesce(company_domain, ${pick(FREE_MAIL, `hash(${seed}, j, '${dayKey}fm')`)}),
      ${pick(TITLES, `hash(${seed}, j, '${dayKey}title')`)},
      case when company_domain is null then 'owner' else 'member' end
    from demo_new_users`);
  await warehouse.execute(`
    insert into raw.user_outcomes select user_id, false, null from demo_new_users`);

  // Who comes back today: recency decides (most of yesterday's users, few dormant ones).
  await warehouse.execute(`
    create or replace temp table demo_day_users as
    with last_seen as (
      select u.user_id, u.account_id, max(e.occurred_at) as last_at, count(e.event_id) as n_events
      from raw.users u left join raw.events e on e.user_id = u.user_id and e.occurred_at < ${day}
      group by u.user_id, u.account_id
    ), chance as (
      select *, case
        when last_at is null then 0.9 /* signed up, never active: today's new users */
        when last_at >= ${day} - interval 2 day then 0.35
        when last_at >= ${day} - interval 7 day then 0.15
        when last_at >= ${day} - interval 30 day then 0.03
        else 0.003 end as p
      from last_seen
    )
    select user_id, account_id, n_events from chance where pqd_r(${seed}, user_id, '${dayKey}active') < p`);
  await warehouse.execute(`
    insert into raw.events (event_id, user_id, account_id, event_name, feature, occurred_at)
    with s as (
      select d.user_id, d.account_id, s,
        greatest(coalesce(u.signup_at, ${day}), ${day}) + to_seconds(cast(floor(
          least(86000, greatest(0, epoch(${day} + interval 1 day - greatest(coalesce(u.signup_at, ${day}), ${day})) - 400))
          * pqd_r4(${seed}, d.user_id, s, '${dayKey}st')) as bigint)) as ts
      from demo_day_users d join raw.users u using (user_id),
        unnest(range(1 + cast(hash(${seed}, d.user_id, '${dayKey}ns') % 3 as bigint))) as t(s)
    )
    select concat('ev_d${dayKey}_', user_id, '_s', s), user_id, account_id, 'login', null, ts from s
    union all
    select concat('ev_d${dayKey}_', user_id, '_s', s, '_f', f), user_id, account_id, 'feature_used',
      ${pick(CORE_FEATURES, `hash(${seed}, user_id, s, f, '${dayKey}feat')`)}, ts + to_seconds(60 + 60 * f)
    from s, unnest(range(cast(hash(${seed}, user_id, s, '${dayKey}nf') % 4 as bigint))) as t(f)
    union all
    select concat('ev_d${dayKey}_', user_id, '_x'), user_id, account_id,
      ${pick(DAY_EXTRAS, `hash(${seed}, user_id, '${dayKey}kind')`)},
      null, ts + to_seconds(30)
    from s where s = 0 and pqd_r(${seed}, user_id, '${dayKey}x') < 0.08`);
  for (const t of ['demo_new_users', 'demo_day_users']) await warehouse.execute(`drop table if exists ${t}`);

  const after = await countRows(warehouse, ['events', 'users']);
  return { events: after.events - before.events, users: after.users - before.users };
}

/** Kinds of strong signals `touchUsers` can append. */
export const TOUCH_KINDS = {
  /** 2 paywall hits: a hot trigger. */
  paywall: [['paywall_hit', 'advanced_automations'], ['paywall_hit', 'custom_reports']],
  /** 5 invitations within the hour: the 5+ invites in a week trigger. */
  invites: [['teammate_invited', null], ['teammate_invited', null], ['teammate_invited', null], ['teammate_invited', null], ['teammate_invited', null]],
  /** An SSO set-up attempt: the enterprise-feature trigger. */
  enterprise: [['enterprise_feature_attempted', 'sso']],
  /** A login with core-feature use: activity without intent. */
  login: [['login', null], ['feature_used', 'reports']],
  /** All of the above at once (the default). */
  strong: [
    ['login', null],
    ['feature_used', 'reports'],
    ['paywall_hit', 'advanced_automations'],
    ['paywall_hit', 'custom_reports'],
    ['teammate_invited', null],
    ['teammate_invited', null],
    ['teammate_invited', null],
    ['teammate_invited', null],
    ['teammate_invited', null],
    ['billing_page_viewed', null],
  ],
} as const satisfies Record<string, ReadonlyArray<readonly [string, string | null]>>;

/**
 * Appends strong events for exactly these users at `at` (a few seconds apart, before
 * the run's as_of), so a test can change exactly k users. Users not in raw.users are
 * ignored. Returns the number of events appended.
 */
export async function touchUsers(
  warehouse: DuckDBWarehouse,
  options: { userIds: string[]; at: string; kind?: keyof typeof TOUCH_KINDS | string },
): Promise<number> {
  const kind = options.kind ?? 'strong';
  const events = (TOUCH_KINDS as Record<string, ReadonlyArray<readonly [string, string | null]>>)[kind];
  if (!events) throw new Error(`touchUsers: unknown kind '${kind}' (one of ${Object.keys(TOUCH_KINDS).join(', ')})`);
  if (options.userIds.length === 0) return 0;
  const at = isoToSql(options.at);
  const before = await countRows(warehouse, ['events']);
  // A per-call serial keeps event ids unique when the same users are touched twice.
  const [{ serial }] = await warehouse.query(`select count(*) as serial from raw.events where event_id like 'touch_%'`);
  const values = events.map(([name, feature], j) => `(${j}, '${name}', ${feature === null ? 'null' : `'${feature}'`})`).join(', ');
  const ids = options.userIds.map((id) => `'${id.replace(/'/g, "''")}'`).join(', ');
  await warehouse.execute(`
    insert into raw.events (event_id, user_id, account_id, event_name, feature, occurred_at)
    select concat('touch_', ${Number(serial)}, '_', u.user_id, '_', k.j), u.user_id, u.account_id, k.name, k.feature,
      timestamp '${at}' + to_seconds(k.j)
    from raw.users u cross join (values ${values}) as k(j, name, feature)
    where u.user_id in (${ids})`);
  const after = await countRows(warehouse, ['events']);
  return after.events - before.events;
}

async function countRows(warehouse: DuckDBWarehouse, tables: string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const t of tables) {
    const [row] = await warehouse.query(`select count(*) as n from raw.${t}`);
    counts[t] = Number(row.n);
  }
  return counts;
}

/** Temp macros (this connection only): uniform [0,1) from a hash, list picks, company names. */
async function defineMacros(warehouse: DuckDBWarehouse): Promise<void> {
  await warehouse.execute(`create or replace temp macro pqd_r(a, b, c) as (hash(a, b, c) % 1000003) / 1000003.0`);
  await warehouse.execute(`create or replace temp macro pqd_r4(a, b, c, d) as (hash(a, b, c, d) % 1000003) / 1000003.0`);
  await warehouse.execute(`create or replace temp macro pqd_word1(seed, a) as ${pick(WORD1, `hash(seed, a, 'w1')`)}`);
  await warehouse.execute(`create or replace temp macro pqd_word2(seed, a) as ${pick(WORD2, `hash(seed, a, 'w2')`)}`);
  await warehouse.execute(`
    create or replace temp macro pqd_company_domain(seed, a) as
      concat(pqd_word1(seed, a), pqd_word2(seed, a), cast(a as varchar), '.', ${pick(TLDS, `hash(seed, a, 'tld')`)})`);
}

/** One of `values`, chosen by a hash expression (an inline list literal: DuckDB folds it once). */
/** SQL for the chance a generated user converts, from the weighted signals. */
function conversionProbability(conversion: ConversionWeights): string {
  const terms = Object.entries(conversion.weights).map(([name, weight]) => {
    const signal = CONVERSION_SIGNALS[name as keyof typeof CONVERSION_SIGNALS];
    if (!signal) throw new Error(`conversion.weights: unknown signal '${name}' (known: ${Object.keys(CONVERSION_SIGNALS).join(', ')})`);
    if (!Number.isFinite(weight)) throw new Error(`conversion.weights.${name} must be a number, got ${weight}`);
    return ` + ${weight} * cast(${signal} as double)`;
  });
  if (!Number.isFinite(conversion.intercept)) throw new Error(`conversion.intercept must be a number, got ${conversion.intercept}`);
  return `(1.0 / (1.0 + exp(-(${conversion.intercept}${terms.join('')}))))`;
}

function pick(values: string[], hashExpr: string): string {
  return `(${list(values)})[1 + cast((${hashExpr}) % ${values.length} as bigint)]`;
}

function list(values: string[]): string {
  return `[${values.map((v) => `'${v.replace(/'/g, "''")}'`).join(', ')}]`;
}

function integer(value: number, name: string): number {
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${value}`);
  return value;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}
