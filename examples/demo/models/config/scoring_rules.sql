/*
materialized: table
unique_key: rule_id
description: >
  Point rules beyond the layers of scoring_points, one row each: when the user's `signal` is at
  or above `threshold`, the score gains `points` and the reasons a rep reads gain `reason`
  (followed by the signal's value). user_scores sums them generically into rules_layer, added to
  pql_score (clamped to 0-100 with the rest); `pqlsync evaluate --suggest` proposes rows for it
  from the candidate columns declared in pqlsync.yml (docs/evaluate.md). Each signal is a column
  user_scores knows (accepted_values below): the user's own counters and the account's team
  activity. Empty as shipped: the scoring is exactly the layers of scoring_points. A row reads,
  for example:
    select 'team_active_7d_5' as rule_id, 'team_active_users_7d' as signal, 5 as threshold,
      10 as points, 'teammates active this week' as reason
tests:
  unique: [rule_id]
  not_null: [rule_id, signal, threshold, points, reason]
  accepted_values:
    signal: [logins_7d, logins_30d, days_active_30d, core_features_used, invites_total, invites_7d, integrations_connected, paywall_hits_30d, team_users, team_seats, team_active_users_7d, team_active_users_30d, team_activations_14d, team_trial_active]
*/
select
  'none' as rule_id,
  'none' as signal,
  0 as threshold,
  0 as points,
  'none' as reason
from (select 1 as one) shipped
where 1 = 0
