select
  email,
  person_user_id as user_id,
  account_id,
  pql_score,
  pql_tier,
  product_score,
  fit_score,
  activation_level,
  hot_trigger,
  pql_reasons,
  activated,
  activated_at,
  cast(signup_at as date) as signup_date,
  last_active_at,
  logins_14d,
  days_active_30d,
  core_features_used,
  invites_total,
  paywall_hits_30d,
  account_motion,
  account_domain,
  lead_stage
from (
  select
    s.*,
    sc.domain as account_domain,
    ls.lead_stage,
    row_number() over (
      partition by s.email
      order by s.pql_score desc, coalesce(date_part(epoch_second, s.last_active_at), 0) desc, s.user_id
    ) as email_rank,
    first_value(s.user_id) over (
      partition by s.email
      order by s.signup_at, s.user_id
      rows between unbounded preceding and unbounded following
    ) as person_user_id
  from "PQLSYNC_MODELS"."USER_SCORES" s
  left join "PQLSYNC_MODELS"."STG_ACCOUNTS" sc on sc.account_id = s.company_account_id
  left join "PQLSYNC_MODELS"."LEAD_STAGES" ls on ls.user_id = s.user_id
  where s.email is not null
) ranked
where email_rank = 1
