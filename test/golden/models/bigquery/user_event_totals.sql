select
  e.user_id,
  e.event_name,
  e.feature,
  count(*) as events,
  min(e.occurred_at) as first_at,
  max(e.occurred_at) as last_at
from `pqlsync_models`.`stg_events` e
where (e.occurred_at <= TIMESTAMP '2026-11-01 00:00:00.000')
group by e.user_id, e.event_name, e.feature
