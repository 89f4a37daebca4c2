with users as (
  select
    s.account_id,
    count(*) as users,
    COUNTIF(coalesce(s.last_active_at > TIMESTAMP_ADD(TIMESTAMP '2026-11-01 00:00:00.000', INTERVAL CAST(-7 AS INT64) DAY), false)) as active_users_7d,
    COUNTIF(coalesce(s.last_active_at > TIMESTAMP_ADD(TIMESTAMP '2026-11-01 00:00:00.000', INTERVAL CAST(-30 AS INT64) DAY), false)) as active_users_30d,
    COUNTIF(s.activated) as activated_users,
    COUNTIF(coalesce(s.activated_at > TIMESTAMP_ADD(TIMESTAMP '2026-11-01 00:00:00.000', INTERVAL CAST(-14 AS INT64) DAY), false)) as activations_14d,
    max(s.pql_score) as best_user_score,
    COUNTIF(s.pql_tier = 'hot' or s.pql_tier = 'sales_ready') as hot_users,
    COUNTIF(s.hot_trigger is not null) as triggered_users,
    max(s.last_active_at) as last_active_at
  from `pqlsync_models`.`user_scores` s
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
from `pqlsync_models`.`stg_accounts` a
left join users u on u.account_id = a.account_id
where a.is_company
