/*
materialized: table
description: >
  THE one place for every point value, cap and threshold of the PQL scoring: a single row of
  named constants. Every scoring model (user_scores, account_scores, and the activation level,
  tiers, hot triggers and decay inside them) reads this row and hard-codes no number of its own.
  To tune the scoring, edit a value here and rebuild; calibrate against the backtest (which score
  band converts). Layers and caps follow the seed guides: activation (cap 30), usage intensity
  (cap 30), firmographic fit (cap 25), commercial intent (cap 30), so the combined pql_score is
  clamped to 0-100; decay for inactivity at 14/30/60 days; tiers cold < 30 <= warm < 60 <= hot
  < 80 <= sales_ready; motion sales_assisted at 50 seats and above.
tests:
  not_null: [activation_cap, usage_cap, fit_cap, intent_cap, warm_min, hot_min, sales_ready_min, sales_assisted_seats]
*/
select
  -- Activation layer: the milestone, how fast, onboarding.
  20 as activation_points,
  10 as fast_activation_points,
  7 as fast_activation_days,
  5 as onboarding_points,
  30 as activation_cap,

  -- Usage intensity layer: sessions (logins) in 14 days, core feature use in 30 days, breadth, consistency.
  3 as logins_14d_low_min,
  10 as logins_14d_low_points,
  7 as logins_14d_high_min,
  20 as logins_14d_high_points,
  5 as core_uses_30d_min,
  10 as core_uses_30d_points,
  3 as core_features_min,
  5 as core_features_points,
  12 as days_active_30d_min,
  5 as days_active_30d_points,
  30 as usage_cap,

  -- Firmographic fit layer: company size, ICP industry (models/config/icp_industries.sql),
  -- a senior job title (models/config/senior_title_keywords.sql).
  50 as employees_mid_min,
  10 as employees_mid_points,
  200 as employees_large_min,
  20 as employees_large_points,
  5 as icp_industry_points,
  5 as senior_title_points,
  25 as fit_cap,

  -- Commercial intent layer (30-day windows unless said otherwise).
  15 as paywall_points,
  15 as enterprise_attempt_points,
  10 as premium_attempt_points,
  2 as invites_min,
  10 as invites_points,
  10 as integration_points,
  5 as billing_view_points,
  30 as intent_cap,

  -- Decay for inactivity (days since the last event; the largest step applies) and churn.
  14 as decay_1_days,
  10 as decay_1_points,
  30 as decay_2_days,
  20 as decay_2_points,
  60 as decay_3_days,
  40 as decay_3_points,
  10 as churned_account_points,

  -- Tiers on pql_score (0-100).
  30 as warm_min,
  60 as hot_min,
  80 as sales_ready_min,

  -- Activation level on activation + usage layers minus decay: red < 15 <= yellow < 40 <= green.
  15 as yellow_min,
  40 as green_min,

  -- Hot triggers: they bypass the score and lift the tier to at least hot.
  7 as trigger_window_days,
  1 as paywall_trigger_min,
  1 as enterprise_trigger_min,
  5 as invites_trigger_min,
  14 as domain_window_days,
  3 as domain_activations_min,

  -- Accounts: the score is a share of the best user's score plus adoption across the team.
  60 as account_best_user_pct,
  1 as account_activated_low_min,
  5 as account_activated_low_points,
  3 as account_activated_mid_min,
  15 as account_activated_mid_points,
  5 as account_activated_high_min,
  25 as account_activated_high_points,
  3 as account_active_7d_low_min,
  10 as account_active_7d_low_points,
  10 as account_active_7d_high_min,
  20 as account_active_7d_high_points,
  10 as account_trigger_points,
  50 as sales_assisted_seats
