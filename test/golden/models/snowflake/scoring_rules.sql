select
  'none' as rule_id,
  'none' as signal,
  0 as threshold,
  0 as points,
  'none' as reason
from (select 1 as one) shipped
where 1 = 0
