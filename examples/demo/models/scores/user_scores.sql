/*
materialized: table
unique_key: user_id
description: >
  The PQL score of every user, in layers each capped (activation, usage intensity, firmographic
  fit, commercial intent), less decay for inactivity (14/30/60 days) and for an account that
  churned back to free. product_score (0-100: activation + usage + intent, less decay, scaled to
  their caps) and fit_score (0-100: the fit layer scaled to its cap) are kept apart; pql_score is
  the points of all four layers less decay, clamped to 0-100. pql_tier comes from pql_score
  (cold/warm/hot/sales_ready); a hot trigger (paywall or usage-limit hit, enterprise feature
  attempt, 5+ invites, within a week; 3+ activations from the user's company domain in 14 days,
  for the users who are part of that spike)
  bypasses the score and lifts the tier to at least hot, and is named in hot_trigger.
  rules_layer sums the points of the rows of scoring_rules whose signal (the user's counters, or
  the team activity of the user's account: users, seats, active users in 7 and 30 days,
  activations in 14 days, an active trial) is at or above their threshold; it adds to pql_score
  and each rule that holds is named in pql_reasons. With no rules (as shipped) it is 0.
  activation_level is red/yellow/green. pql_reasons lists, in a fixed order, the signals behind
  the score in words a sales rep can read. Every number comes from scoring_points.
tests:
  unique: [user_id]
  # A user without a valid email cannot become a HubSpot contact: reported (by user_id), never a stop.
  not_null: [user_id, { column: account_id, severity: warn }, { column: email, severity: warn }, pql_score, product_score, fit_score, pql_tier, activation_level, pql_reasons, activation_layer, usage_layer, fit_layer, intent_layer, decay_points, rules_layer]
  accepted_values:
    pql_tier: [cold, warm, hot, sales_ready]
    activation_level: [red, yellow, green]
    account_motion: [self_serve, sales_assisted]
  relationships:
    # A user with no workspace, or of a deleted one, is still a person: scored on their own
    # signals (no firmographic points) and synced as a contact; these tests only warn.
    account_id: { to: stg_accounts, field: account_id, severity: warn }
    company_account_id: { to: account_features, field: account_id }
*/
with senior as (
  select f.user_id
  from {{ ref('user_features') }} f
  join {{ ref('senior_title_keywords') }} k on lower(f.job_title) like concat('%', k.keyword, '%')
  group by f.user_id
),

team as (
  select
    f.account_id,
    count(*) as team_users,
    {{ count_if(coalesce(f.last_active_at > add_days(as_of(), -7), false)) }} as team_active_users_7d,
    {{ count_if(coalesce(f.last_active_at > add_days(as_of(), -30), false)) }} as team_active_users_30d,
    {{ count_if(coalesce(f.activated_at > add_days(as_of(), -14), false)) }} as team_activations_14d
  from {{ ref('user_features') }} f
  where f.account_id is not null
  group by f.account_id
),

base as (
  select
    f.*,
    coalesce(t.team_users, 0) as team_users,
    greatest(coalesce(a.seats, 0), coalesce(t.team_users, 0)) as team_seats,
    coalesce(t.team_active_users_7d, 0) as team_active_users_7d,
    coalesce(t.team_active_users_30d, 0) as team_active_users_30d,
    coalesce(t.team_activations_14d, 0) as team_activations_14d,
    case when a.trial_status = 'active' then 1 else 0 end as team_trial_active,
    a.is_company as account_is_company,
    a.employees,
    a.industry,
    a.industry_key,
    a.seats as account_seats,
    a.churned_to_free,
    case when i.industry is not null then true else false end as icp_industry,
    case when s.user_id is not null then true else false end as senior_title,
    case when f.is_free_email = false and f.company_domain is not null then coalesce(d.recent_activations, 0) else 0 end as domain_recent_activations
  from {{ ref('user_features') }} f
  left join {{ ref('stg_accounts') }} a on a.account_id = f.account_id
  left join {{ ref('icp_industries') }} i on i.industry = a.industry_key
  left join senior s on s.user_id = f.user_id
  left join {{ ref('domain_activity') }} d on d.company_domain = f.company_domain
  left join team t on t.account_id = f.account_id
),

-- Each rule of scoring_rules beside the value of its signal, one line per signal it may name.
rule_values as (
  select
    b.user_id,
    r.threshold,
    r.points,
    r.reason,
    case r.signal
      when 'logins_7d' then b.logins_7d
      when 'logins_30d' then b.logins_30d
      when 'days_active_30d' then b.days_active_30d
      when 'core_features_used' then b.core_features_used
      when 'invites_total' then b.invites_total
      when 'invites_7d' then b.invites_7d
      when 'integrations_connected' then b.integrations_connected
      when 'paywall_hits_30d' then b.paywall_hits_30d
      when 'team_users' then b.team_users
      when 'team_seats' then b.team_seats
      when 'team_active_users_7d' then b.team_active_users_7d
      when 'team_active_users_30d' then b.team_active_users_30d
      when 'team_activations_14d' then b.team_activations_14d
      when 'team_trial_active' then b.team_trial_active
    end as signal_value
  from base b
  cross join {{ ref('scoring_rules') }} r
),

-- The rules that hold for each user: their points, and each named with its value.
rule_hits as (
  select
    user_id,
    cast(sum(points) as integer) as rules_layer,
    {{ string_agg_sorted(concat('; ', reason, ': ', to_string(signal_value)), '') }} as rule_reasons
  from rule_values
  where signal_value >= threshold
  group by user_id
),

layers as (
  select
    b.*,
    coalesce(h.rules_layer, 0) as rules_layer,
    h.rule_reasons,
    least(p.activation_cap,
      case when b.activated then p.activation_points else 0 end
      + case when b.activated and b.days_to_activate <= p.fast_activation_days then p.fast_activation_points else 0 end
      + case when b.onboarding_completed then p.onboarding_points else 0 end
    ) as activation_layer,
    least(p.usage_cap,
      case
        when b.logins_14d >= p.logins_14d_high_min then p.logins_14d_high_points
        when b.logins_14d >= p.logins_14d_low_min then p.logins_14d_low_points
        else 0
      end
      + case when b.core_uses_30d >= p.core_uses_30d_min then p.core_uses_30d_points else 0 end
      + case when b.core_features_used >= p.core_features_min then p.core_features_points else 0 end
      + case when b.days_active_30d >= p.days_active_30d_min then p.days_active_30d_points else 0 end
    ) as usage_layer,
    least(p.fit_cap,
      case
        when coalesce(b.employees, 0) >= p.employees_large_min then p.employees_large_points
        when coalesce(b.employees, 0) >= p.employees_mid_min then p.employees_mid_points
        else 0
      end
      + case when b.icp_industry then p.icp_industry_points else 0 end
      + case when b.senior_title then p.senior_title_points else 0 end
    ) as fit_layer,
    least(p.intent_cap,
      case when b.paywall_hits_30d + b.limit_hits_30d > 0 then p.paywall_points else 0 end
      + case when b.enterprise_attempts_30d > 0 then p.enterprise_attempt_points else 0 end
      + case when b.premium_attempts_30d > 0 then p.premium_attempt_points else 0 end
      + case when b.invites_total >= p.invites_min then p.invites_points else 0 end
      + case when b.integrations_connected > 0 then p.integration_points else 0 end
      + case when b.billing_views_30d > 0 then p.billing_view_points else 0 end
    ) as intent_layer,
    case
      when b.days_since_active >= p.decay_3_days then p.decay_3_points
      when b.days_since_active >= p.decay_2_days then p.decay_2_points
      when b.days_since_active >= p.decay_1_days then p.decay_1_points
      else 0
    end
    + case when coalesce(b.churned_to_free, false) then p.churned_account_points else 0 end as decay_points,
    case when b.paywall_hits_7d + b.limit_hits_7d >= p.paywall_trigger_min then true else false end as trigger_paywall,
    case when b.enterprise_attempts_7d >= p.enterprise_trigger_min then true else false end as trigger_enterprise,
    case when b.invites_7d >= p.invites_trigger_min then true else false end as trigger_invites,
    case
      when b.domain_recent_activations >= p.domain_activations_min
        and b.activated_at > {{ add_days(as_of(), -p.domain_window_days) }} then true
      else false
    end as trigger_domain
  from base b
  left join rule_hits h on h.user_id = b.user_id
  cross join {{ ref('scoring_points') }} p
),

scored as (
  select
    l.*,
    -- A layer switched off (cap 0) scores 0, not a division by zero.
    coalesce(cast(floor(100.0 * greatest(l.activation_layer + l.usage_layer + l.intent_layer - l.decay_points, 0)
      / nullif(p.activation_cap + p.usage_cap + p.intent_cap, 0) + 0.5) as integer), 0) as product_score,
    coalesce(cast(floor(100.0 * l.fit_layer / nullif(p.fit_cap, 0) + 0.5) as integer), 0) as fit_score,
    least(greatest(l.activation_layer + l.usage_layer + l.fit_layer + l.intent_layer + l.rules_layer - l.decay_points, 0), 100) as pql_score,
    case
      when l.activated and l.activation_layer + l.usage_layer - l.decay_points >= p.green_min then 'green'
      when l.activation_layer + l.usage_layer - l.decay_points >= p.yellow_min then 'yellow'
      else 'red'
    end as activation_level,
    nullif(substr(concat(
      case when l.trigger_paywall then ', paywall hit' else '' end,
      case when l.trigger_enterprise then ', enterprise feature attempt' else '' end,
      case when l.trigger_invites then concat(', ', {{ to_string(p.invites_trigger_min) }}, '+ invites in a week') else '' end,
      case when l.trigger_domain then concat(', ', {{ to_string(p.domain_activations_min) }}, '+ activations at ', l.company_domain, ' in ', {{ to_string(p.domain_window_days) }}, ' days') else '' end
    ), 3), '') as hot_trigger
  from layers l
  cross join {{ ref('scoring_points') }} p
),

tiered as (
  select
    s.*,
    case
      when s.pql_score >= p.sales_ready_min then 'sales_ready'
      when s.pql_score >= p.hot_min then 'hot'
      when s.hot_trigger is not null then 'hot'
      when s.pql_score >= p.warm_min then 'warm'
      else 'cold'
    end as pql_tier,
    -- Reasons, strongest first, each only when it scored (or, for decay, cost) points.
    coalesce(nullif(substr(concat(
      case
        when s.paywall_hits_7d > 0 then concat('; hit the paywall ', case s.paywall_hits_7d when 1 then 'once' when 2 then 'twice' else concat({{ to_string(s.paywall_hits_7d) }}, ' times') end, ' this week')
        when s.paywall_hits_30d > 0 then concat('; hit the paywall ', case s.paywall_hits_30d when 1 then 'once' when 2 then 'twice' else concat({{ to_string(s.paywall_hits_30d) }}, ' times') end, ' in 30 days')
        else ''
      end,
      case
        when s.limit_hits_7d > 0 then concat('; reached a usage limit ', case s.limit_hits_7d when 1 then 'once' when 2 then 'twice' else concat({{ to_string(s.limit_hits_7d) }}, ' times') end, ' this week')
        when s.limit_hits_30d > 0 then concat('; reached a usage limit ', case s.limit_hits_30d when 1 then 'once' when 2 then 'twice' else concat({{ to_string(s.limit_hits_30d) }}, ' times') end, ' in 30 days')
        else ''
      end,
      case
        when s.enterprise_attempts_7d > 0 then '; tried an enterprise feature (SSO, SCIM, audit log) this week'
        when s.enterprise_attempts_30d > 0 then '; tried an enterprise feature (SSO, SCIM, audit log) in 30 days'
        else ''
      end,
      case
        when s.invites_total >= p.invites_min or s.invites_7d > 0 then concat('; invited ', {{ to_string(s.invites_total) }},
          case when s.invites_total = 1 then ' teammate' else ' teammates' end,
          case when s.invites_7d > 0 and s.invites_7d < s.invites_total then concat(' (', {{ to_string(s.invites_7d) }}, ' this week)') else '' end)
        else ''
      end,
      case when s.trigger_domain then concat('; ', {{ to_string(s.domain_recent_activations) }}, ' colleagues at ', s.company_domain, ' activated in ', {{ to_string(p.domain_window_days) }}, ' days') else '' end,
      case
        when s.integrations_connected = 1 then '; connected an integration'
        when s.integrations_connected > 1 then concat('; connected ', {{ to_string(s.integrations_connected) }}, ' integrations')
        else ''
      end,
      case when s.premium_attempts_30d > 0 then concat('; tried premium features ', case s.premium_attempts_30d when 1 then 'once' when 2 then 'twice' else concat({{ to_string(s.premium_attempts_30d) }}, ' times') end) else '' end,
      case when s.billing_views_30d > 0 then '; looked at billing' else '' end,
      case
        when s.activated and s.days_to_activate = 0 then '; activated on day one'
        when s.activated and s.days_to_activate = 1 then '; activated in 1 day'
        when s.activated then concat('; activated in ', {{ to_string(s.days_to_activate) }}, ' days')
        else ''
      end,
      case when s.logins_14d >= p.logins_14d_low_min then concat('; logged in ', {{ to_string(s.logins_14d) }}, ' times in 14 days') else '' end,
      case when s.days_active_30d >= p.days_active_30d_min then concat('; active ', {{ to_string(s.days_active_30d) }}, ' of the last 30 days') else '' end,
      case when s.core_features_used >= p.core_features_min then concat('; uses ', {{ to_string(s.core_features_used) }}, ' core features') else '' end,
      case when coalesce(s.employees, 0) >= p.employees_mid_min then concat('; ', {{ to_string(s.employees) }}, '-person company') else '' end,
      case when s.icp_industry then concat('; ', s.industry_key, ' (ICP industry)') else '' end,
      case when s.senior_title then concat('; ', s.job_title, ' (decision-maker title)') else '' end,
      coalesce(s.rule_reasons, ''),
      case
        when s.days_since_active >= p.decay_3_days then concat('; inactive ', {{ to_string(p.decay_3_days) }}, '+ days')
        when s.days_since_active >= p.decay_2_days then concat('; inactive ', {{ to_string(p.decay_2_days) }}, '+ days')
        when s.days_since_active >= p.decay_1_days then concat('; inactive ', {{ to_string(p.decay_1_days) }}, '+ days')
        else ''
      end,
      case when coalesce(s.churned_to_free, false) then '; account churned back to free' else '' end
    ), 3), ''), 'no buying signals yet') as pql_reasons
  from scored s
  cross join {{ ref('scoring_points') }} p
)

select
  t.user_id,
  t.account_id,
  case when t.account_is_company then t.account_id end as company_account_id,
  t.email,
  t.first_name,
  t.last_name,
  t.job_title,
  t.company_domain,
  t.is_free_email,
  t.signup_at,
  t.activated,
  t.activated_at,
  t.last_active_at,
  t.days_since_active,
  t.logins_7d,
  t.logins_14d,
  t.logins_30d,
  t.days_active_30d,
  t.core_features_used,
  t.invites_total,
  t.invites_7d,
  t.integrations_connected,
  t.paywall_hits_7d,
  t.paywall_hits_30d,
  t.limit_hits_30d,
  t.enterprise_attempts_30d,
  t.activation_layer,
  t.usage_layer,
  t.fit_layer,
  t.intent_layer,
  t.decay_points,
  t.rules_layer,
  t.product_score,
  t.fit_score,
  t.pql_score,
  t.pql_tier,
  t.activation_level,
  t.hot_trigger,
  t.pql_reasons,
  case
    when t.account_is_company is null then null
    when coalesce(t.account_seats, 0) >= p.sales_assisted_seats then 'sales_assisted'
    else 'self_serve'
  end as account_motion
from tiered t
cross join {{ ref('scoring_points') }} p
