/*
materialized: table
unique_key: domain
description: >
  What the companies sync sends: one row per normalised company domain (never a free-mail
  domain). When a company has several workspaces on one domain, their users, seats and
  activity are summed, the motion follows the summed seats, and the score, tier and reasons
  are the primary workspace's (highest account score, then most seats, then lowest account_id).
  Only the key and the columns mapped to HubSpot properties in pqlsync.yml.
tests:
  unique: [domain]
  not_null: [domain, account_id, account_score, account_tier, motion, seats, users, workspaces]
  accepted_values:
    account_tier: [cold, warm, hot, sales_ready]
    motion: [self_serve, sales_assisted]
    plan: [free, trial, pro, business, enterprise, other]
  relationships:
    account_id: { to: account_scores, field: account_id }
*/
with ranked as (
  select
    a.*,
    row_number() over (partition by a.domain order by a.account_score desc, a.seats desc, a.account_id) as domain_rank
  from {{ ref('account_scores') }} a
),

totals as (
  select
    domain,
    count(*) as workspaces,
    sum(seats) as seats,
    sum(users) as users,
    sum(active_users_7d) as active_users_7d,
    sum(active_users_30d) as active_users_30d,
    sum(activated_users) as activated_users,
    sum(hot_users) as hot_users,
    max(best_user_score) as best_user_score,
    max(last_active_at) as last_active_at
  from {{ ref('account_scores') }}
  group by domain
)

select
  r.domain,
  r.account_id,
  r.account_score,
  r.account_tier,
  case when t.seats >= p.sales_assisted_seats then 'sales_assisted' else 'self_serve' end as motion,
  r.plan,
  t.workspaces,
  t.seats,
  t.users,
  t.active_users_7d,
  t.active_users_30d,
  t.activated_users,
  t.hot_users,
  t.best_user_score,
  t.last_active_at,
  case
    when t.workspaces > 1 then concat({{ to_string(t.workspaces) }}, ' workspaces; ', coalesce(r.account_reasons, ''))
    else r.account_reasons
  end as account_reasons
from ranked r
join totals t on t.domain = r.domain
cross join {{ ref('scoring_points') }} p
where r.domain_rank = 1
