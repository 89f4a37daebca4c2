/*
materialized: table
unique_key: account_id
description: >
  Roll-up of each company account (workspace) from its users' features and scores: users,
  seats (the larger of the plan's seats and the users), active users in 7/30 days, activated
  users and activations in 14 days, the best user score, users in the hot or sales_ready tiers
  and users with a hot trigger. Only companies: workspaces without a domain or on a free-mail
  domain (gmail.com and the like) are left out, so they never become a company in HubSpot.
tests:
  unique: [account_id]
  not_null: [account_id, domain, users, seats, active_users_7d, active_users_30d, activated_users, best_user_score]
  accepted_values:
    plan: [free, trial, pro, business, enterprise, other]
    trial_status: [none, active, converted, expired, other]
  relationships:
    account_id: { to: stg_accounts, field: account_id }
*/
with users as (
  select
    s.account_id,
    count(*) as users,
    {{ count_if(coalesce(s.last_active_at > add_days(as_of(), -7), false)) }} as active_users_7d,
    {{ count_if(coalesce(s.last_active_at > add_days(as_of(), -30), false)) }} as active_users_30d,
    {{ count_if(s.activated) }} as activated_users,
    {{ count_if(coalesce(s.activated_at > add_days(as_of(), -14), false)) }} as activations_14d,
    max(s.pql_score) as best_user_score,
    {{ count_if(s.pql_tier = 'hot' or s.pql_tier = 'sales_ready') }} as hot_users,
    {{ count_if(s.hot_trigger is not null) }} as triggered_users,
    max(s.last_active_at) as last_active_at
  from {{ ref('user_scores') }} s
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
from {{ ref('stg_accounts') }} a
left join users u on u.account_id = a.account_id
where a.is_company
