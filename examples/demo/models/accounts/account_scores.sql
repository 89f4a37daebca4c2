/*
materialized: table
unique_key: account_id
description: >
  The account score (0-100): account_best_user_pct percent of the best user's pql_score, plus
  points for activated users and for users active this week, plus a point bonus when a user
  has a hot trigger (all from scoring_points). account_tier uses the user tiers' thresholds and
  is lifted to at least hot by a user's hot trigger. motion is sales_assisted at
  sales_assisted_seats (50) seats and above, else self_serve. account_reasons says why, in
  a fixed order.
tests:
  unique: [account_id]
  not_null: [account_id, domain, account_score, account_tier, motion, seats]
  accepted_values:
    account_tier: [cold, warm, hot, sales_ready]
    motion: [self_serve, sales_assisted]
  relationships:
    account_id: { to: account_features, field: account_id }
*/
with scored as (
  select
    f.*,
    least(greatest(
      cast(floor(f.best_user_score * p.account_best_user_pct / 100.0 + 0.5) as integer)
      + case
          when f.activated_users >= p.account_activated_high_min then p.account_activated_high_points
          when f.activated_users >= p.account_activated_mid_min then p.account_activated_mid_points
          when f.activated_users >= p.account_activated_low_min then p.account_activated_low_points
          else 0
        end
      + case
          when f.active_users_7d >= p.account_active_7d_high_min then p.account_active_7d_high_points
          when f.active_users_7d >= p.account_active_7d_low_min then p.account_active_7d_low_points
          else 0
        end
      + case when f.triggered_users > 0 then p.account_trigger_points else 0 end,
    0), 100) as account_score,
    case when f.seats >= p.sales_assisted_seats then 'sales_assisted' else 'self_serve' end as motion
  from {{ ref('account_features') }} f
  cross join {{ ref('scoring_points') }} p
)

select
  s.account_id,
  s.domain,
  s.name,
  s.plan,
  s.seats,
  s.users,
  s.active_users_7d,
  s.active_users_30d,
  s.activated_users,
  s.best_user_score,
  s.hot_users,
  s.triggered_users,
  s.last_active_at,
  s.account_score,
  case
    when s.account_score >= p.sales_ready_min then 'sales_ready'
    when s.account_score >= p.hot_min then 'hot'
    when s.triggered_users > 0 then 'hot'
    when s.account_score >= p.warm_min then 'warm'
    else 'cold'
  end as account_tier,
  s.motion,
  nullif(substr(concat(
    case when s.triggered_users > 0 then concat('; ', {{ to_string(s.triggered_users) }}, case when s.triggered_users = 1 then ' user' else ' users' end, ' with a hot trigger') else '' end,
    case when s.activations_14d >= 2 then concat('; ', {{ to_string(s.activations_14d) }}, ' activations in 14 days') else '' end,
    case when s.active_users_7d > 0 then concat('; ', {{ to_string(s.active_users_7d) }}, ' active ', case when s.active_users_7d = 1 then 'user' else 'users' end, ' this week') else '' end,
    case when s.activated_users > 0 then concat('; ', {{ to_string(s.activated_users) }}, ' activated ', case when s.activated_users = 1 then 'user' else 'users' end) else '' end,
    case when s.hot_users > 0 then concat('; ', {{ to_string(s.hot_users) }}, ' hot or sales-ready ', case when s.hot_users = 1 then 'user' else 'users' end) else '' end,
    concat('; best user score ', {{ to_string(s.best_user_score) }}),
    concat('; ', {{ to_string(s.seats) }}, case when s.seats = 1 then ' seat' else ' seats' end,
      case when s.motion = 'sales_assisted' then ' (sales-assisted)' else ' (self-serve)' end),
    case
      when s.trial_status = 'active' then '; trial running'
      when s.trial_status = 'expired' and not s.has_active_subscription then '; trial expired'
      else ''
    end,
    case when s.churned_to_free then '; churned back to free' else '' end
  ), 3), '') as account_reasons
from scored s
cross join {{ ref('scoring_points') }} p
