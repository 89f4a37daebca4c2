select
  f.company_domain,
  count(*) as users,
  count_if(f.activated) as activated_users,
  count_if(coalesce(f.activated_at > dateadd('day', cast(-p.domain_window_days as integer), cast('2026-11-01 00:00:00.000' as timestamp_ntz)), false)) as recent_activations
from "PQLSYNC_MODELS"."USER_FEATURES" f
cross join "PQLSYNC_MODELS"."SCORING_POINTS" p
where f.company_domain is not null
  and f.is_free_email = false
group by f.company_domain
