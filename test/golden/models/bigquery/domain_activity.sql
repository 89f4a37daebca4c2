select
  f.company_domain,
  count(*) as users,
  COUNTIF(f.activated) as activated_users,
  COUNTIF(coalesce(f.activated_at > TIMESTAMP_ADD(TIMESTAMP '2026-11-01 00:00:00.000', INTERVAL CAST(-p.domain_window_days AS INT64) DAY), false)) as recent_activations
from `pqlsync_models`.`user_features` f
cross join `pqlsync_models`.`scoring_points` p
where f.company_domain is not null
  and f.is_free_email = false
group by f.company_domain
