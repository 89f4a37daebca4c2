select
  event_id,
  user_id,
  account_id,
  lower(trim(event_name)) as event_name,
  lower(trim(feature)) as feature,
  occurred_at
from `raw`.`events`
where occurred_at <= TIMESTAMP '2026-11-01 00:00:00.000'
  and user_id is not null
