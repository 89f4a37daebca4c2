select
  e.user_id,
  e.event_name,
  e.feature,
  count(*) as events,
  min(e.occurred_at) as first_at,
  max(e.occurred_at) as last_at
from "PQLSYNC_MODELS"."STG_EVENTS" e
where (e.occurred_at <= cast('2026-11-01 00:00:00.000' as timestamp_ntz))
group by e.user_id, e.event_name, e.feature
