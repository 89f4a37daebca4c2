/*
materialized: view
description: >
  Product events up to and including the run's as_of (later events are ignored: a run as of a
  past date sees only what was known then), with event names and features lower-cased and
  trimmed. A view: the events stay where they are and the feature model reads them once.
tests:
  not_null: [event_id, user_id, event_name, occurred_at]
*/
select
  event_id,
  user_id,
  account_id,
  lower(trim(event_name)) as event_name,
  lower(trim(feature)) as feature,
  occurred_at
from {{ source('events') }}
where occurred_at <= {{ as_of() }}
  and user_id is not null
