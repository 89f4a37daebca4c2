-- Two levels, per user and day, then per user: days active is a count of day rows. A
-- count(distinct) per user holds the set of days of every user in memory that DuckDB cannot
-- spill (at 1,000,000 users the build failed under a 384MB limit; this shape runs in 192MB).
with recent_days as (
  select
    e.user_id,
    cast(floor(cast(datediff('microsecond', e.occurred_at, cast('2026-11-01 00:00:00.000' as timestamp_ntz)) as double) / 86400000000) as bigint) as days_ago,
    count_if(e.event_name = 'login' and e.occurred_at > dateadd('day', cast(-7 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))) as logins_7d,
    count_if(e.event_name = 'login' and e.occurred_at > dateadd('day', cast(-14 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))) as logins_14d,
    count_if(e.event_name = 'login') as logins_30d,
    count_if(e.event_name = 'feature_used') as core_uses_30d,
    count_if(e.event_name = 'teammate_invited' and e.occurred_at > dateadd('day', cast(-7 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))) as invites_7d,
    count_if(e.event_name = 'paywall_hit' and e.occurred_at > dateadd('day', cast(-7 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))) as paywall_hits_7d,
    count_if(e.event_name = 'paywall_hit') as paywall_hits_30d,
    count_if(e.event_name = 'usage_limit_hit' and e.occurred_at > dateadd('day', cast(-7 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))) as limit_hits_7d,
    count_if(e.event_name = 'usage_limit_hit') as limit_hits_30d,
    count_if(e.event_name = 'premium_feature_attempted') as premium_attempts_30d,
    count_if(e.event_name = 'enterprise_feature_attempted' and e.occurred_at > dateadd('day', cast(-7 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))) as enterprise_attempts_7d,
    count_if(e.event_name = 'enterprise_feature_attempted') as enterprise_attempts_30d,
    count_if(e.event_name = 'billing_page_viewed') as billing_views_30d
  from "PQLSYNC_MODELS"."STG_EVENTS" e
  -- Every windowed signal is within 30 days: the scan stops there (engines prune by time).
  where e.occurred_at > dateadd('day', cast(-30 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz))
  group by e.user_id, cast(floor(cast(datediff('microsecond', e.occurred_at, cast('2026-11-01 00:00:00.000' as timestamp_ntz)) as double) / 86400000000) as bigint)
),

recent as (
  select
    d.user_id,
    cast(sum(d.logins_7d) as bigint) as logins_7d,
    cast(sum(d.logins_14d) as bigint) as logins_14d,
    cast(sum(d.logins_30d) as bigint) as logins_30d,
    count(*) as days_active_30d,
    cast(sum(d.core_uses_30d) as bigint) as core_uses_30d,
    cast(sum(d.invites_7d) as bigint) as invites_7d,
    cast(sum(d.paywall_hits_7d) as bigint) as paywall_hits_7d,
    cast(sum(d.paywall_hits_30d) as bigint) as paywall_hits_30d,
    cast(sum(d.limit_hits_7d) as bigint) as limit_hits_7d,
    cast(sum(d.limit_hits_30d) as bigint) as limit_hits_30d,
    cast(sum(d.premium_attempts_30d) as bigint) as premium_attempts_30d,
    cast(sum(d.enterprise_attempts_7d) as bigint) as enterprise_attempts_7d,
    cast(sum(d.enterprise_attempts_30d) as bigint) as enterprise_attempts_30d,
    cast(sum(d.billing_views_30d) as bigint) as billing_views_30d
  from recent_days d
  group by d.user_id
),

totals as (
  select
    t.user_id,
    -- user_event_totals has one row per user, event name and feature: counting rows counts
    -- distinct features, without the per-user sets a count(distinct …) holds in memory.
    count(case when t.event_name = 'feature_used' then t.feature end) as core_features_used,
    min(case when t.event_name = 'activation_reached' then t.first_at end) as activated_at,
    coalesce(boolor_agg(t.event_name = 'onboarding_completed'), false) as onboarding_completed,
    cast(sum(case when t.event_name = 'teammate_invited' then t.events else 0 end) as bigint) as invites_total,
    count(case when t.event_name = 'integration_connected' then 1 end) as integrations_connected,
    max(t.last_at) as last_active_at
  from "PQLSYNC_MODELS"."USER_EVENT_TOTALS" t
  group by t.user_id
)

select
  u.user_id,
  u.account_id,
  u.email,
  u.first_name,
  u.last_name,
  u.job_title,
  u.company_domain,
  u.is_free_email,
  u.signup_at,
  coalesce(e.logins_7d, 0) as logins_7d,
  coalesce(e.logins_14d, 0) as logins_14d,
  coalesce(e.logins_30d, 0) as logins_30d,
  coalesce(e.days_active_30d, 0) as days_active_30d,
  coalesce(t.core_features_used, 0) as core_features_used,
  coalesce(e.core_uses_30d, 0) as core_uses_30d,
  case when t.activated_at is not null then true else false end as activated,
  t.activated_at,
  case when t.activated_at is not null then greatest(cast(floor(cast(datediff('microsecond', u.signup_at, t.activated_at) as double) / 86400000000) as bigint), 0) end as days_to_activate,
  coalesce(t.onboarding_completed, false) as onboarding_completed,
  coalesce(t.invites_total, 0) as invites_total,
  coalesce(e.invites_7d, 0) as invites_7d,
  coalesce(t.integrations_connected, 0) as integrations_connected,
  coalesce(e.paywall_hits_7d, 0) as paywall_hits_7d,
  coalesce(e.paywall_hits_30d, 0) as paywall_hits_30d,
  coalesce(e.limit_hits_7d, 0) as limit_hits_7d,
  coalesce(e.limit_hits_30d, 0) as limit_hits_30d,
  coalesce(e.premium_attempts_30d, 0) as premium_attempts_30d,
  coalesce(e.enterprise_attempts_7d, 0) as enterprise_attempts_7d,
  coalesce(e.enterprise_attempts_30d, 0) as enterprise_attempts_30d,
  coalesce(e.billing_views_30d, 0) as billing_views_30d,
  t.last_active_at,
  cast(floor(cast(datediff('microsecond', coalesce(t.last_active_at, u.signup_at), cast('2026-11-01 00:00:00.000' as timestamp_ntz)) as double) / 86400000000) as bigint) as days_since_active
from "PQLSYNC_MODELS"."STG_USERS" u
left join recent e on e.user_id = u.user_id
left join totals t on t.user_id = u.user_id
