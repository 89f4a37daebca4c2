/*
materialized: incremental
description: >
  All-time totals per user, event name and feature (events, first and last time), the base of
  user_features' all-time signals (distinct features, activation, onboarding, invites,
  integrations, last activity). Incremental: each run folds in only the events that became
  older than lookback_days since the last run, exactly once, and recomputes the last
  lookback_days, where late events may still land; an event that reaches the warehouse more
  than lookback_days after it happened needs `pqlsync build --full-refresh`.
incremental:
  key: [user_id, event_name, feature]
  lookback_days: 3
  merge:
    events: sum
    first_at: min
    last_at: max
tests:
  not_null: [user_id, event_name, events, first_at, last_at]
*/
select
  e.user_id,
  e.event_name,
  e.feature,
  count(*) as events,
  min(e.occurred_at) as first_at,
  max(e.occurred_at) as last_at
from {{ ref('stg_events') }} e
where {{ time_range(e.occurred_at) }}
group by e.user_id, e.event_name, e.feature
