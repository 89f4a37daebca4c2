with users as (
  select
    s.account_id,
    count(*) as users,
    count_if(coalesce(s.last_active_at > dateadd('day', cast(-7 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz)), false)) as active_users_7d,
    count_if(coalesce(s.last_active_at > dateadd('day', cast(-30 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz)), false)) as active_users_30d,
    count_if(s.activated) as activated_users,
    count_if(coalesce(s.activated_at > dateadd('day', cast(-14 as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz)), false)) as activations_14d,
    max(s.pql_score) as best_user_score,
    count_if(s.pql_tier = 'hot' or s.pql_tier = 'sales_ready') as hot_users,
    count_if(s.hot_trigger is not null) as triggered_users,
    max(s.last_active_at) as last_active_at
  from "PQLSYNC_MODELS"."USER_SCORES" s
  group by s.account_id
)

select
  a.account_id,
  a.name,
  a.domain,
  a.employees,
  a.industry,
  a.country,
  a.plan,
  a.trial_status,
  a.has_active_subscription,
  a.churned_to_free,
  a.mrr,
  coalesce(u.users, 0) as users,
  greatest(coalesce(a.seats, 0), coalesce(u.users, 0)) as seats,
  coalesce(u.active_users_7d, 0) as active_users_7d,
  coalesce(u.active_users_30d, 0) as active_users_30d,
  coalesce(u.activated_users, 0) as activated_users,
  coalesce(u.activations_14d, 0) as activations_14d,
  coalesce(u.best_user_score, 0) as best_user_score,
  coalesce(u.hot_users, 0) as hot_users,
  coalesce(u.triggered_users, 0) as triggered_users,
  u.last_active_at
from "PQLSYNC_MODELS"."STG_ACCOUNTS" a
left join users u on u.account_id = a.account_id
where a.is_company
