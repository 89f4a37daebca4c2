/*
materialized: table
unique_key: user_id
description: >
  What the contacts sync sends: one row per valid, normalised email (a person who signed up
  twice, in two workspaces, is one contact: the values of the row with the highest pql_score,
  then the latest activity, then the lowest user_id, under the key of the person's first user,
  earliest signup then lowest user_id, so that the contact's key does not move from one user
  to the other as their scores do: the contacts sync is keyed by user_id). Only the key and the columns mapped to HubSpot properties
  in pqlsync.yml. Values are stable while nothing changes: integer scores, reasons in a fixed
  order, last_active_at as a datetime instead of a "days since" counter. account_domain is the
  key of the company (companies sync) the contact is associated with: its workspace's domain
  when that workspace is a company, else null. lead_stage: the PLG lead stage (models/handoff/lead_stages.sql).
tests:
  unique: [email, user_id]
  not_null: [email, user_id, pql_score, product_score, fit_score, pql_tier, activation_level, activated]
  accepted_values:
    pql_tier: [cold, warm, hot, sales_ready]
    activation_level: [red, yellow, green]
    account_motion: [self_serve, sales_assisted]
    lead_stage: [new, interested, trial_red, trial_yellow, trial_green, trial_ended, self_checked_out, disqualified]
*/
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
      order by s.pql_score desc, coalesce({{ epoch_seconds(s.last_active_at) }}, 0) desc, s.user_id
    ) as email_rank,
    first_value(s.user_id) over (
      partition by s.email
      order by s.signup_at, s.user_id
      rows between unbounded preceding and unbounded following
    ) as person_user_id
  from {{ ref('user_scores') }} s
  left join {{ ref('stg_accounts') }} sc on sc.account_id = s.company_account_id
  left join {{ ref('lead_stages') }} ls on ls.user_id = s.user_id
  where s.email is not null
) ranked
where email_rank = 1
