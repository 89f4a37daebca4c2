/*
materialized: table
unique_key: company_domain
description: >
  Adoption per company email domain (free-mail domains excluded): users, activated users, and
  activations in the last domain_window_days (scoring_points), which feeds the "3+ activations
  from one company domain in 14 days" hot trigger.
tests:
  unique: [company_domain]
  not_null: [company_domain, users, activated_users, recent_activations]
*/
select
  f.company_domain,
  count(*) as users,
  {{ count_if(f.activated) }} as activated_users,
  {{ count_if(coalesce(f.activated_at > add_days(as_of(), -p.domain_window_days), false)) }} as recent_activations
from {{ ref('user_features') }} f
cross join {{ ref('scoring_points') }} p
where f.company_domain is not null
  and f.is_free_email = false
group by f.company_domain
