/*
materialized: table
unique_key: account_id
description: >
  Accounts (workspaces) as of as_of, with the domain normalised (lower case, no 'www.'), and
  what subscriptions and trials say at as_of: an active paid subscription and its seats, a churn
  back to free (a subscription that ended, none active), the trial status. Plan and trial status
  are read through value_aliases, case- and space-insensitively ('Professional' is pro,
  'Trialing' is active); a value it does not know becomes 'other' (source_plan keeps what the
  source said), so a legacy plan never stops a run. industry_key is the industry as the ICP list
  spells it ('SaaS' and 'Computer Software' are software). is_company is false for workspaces
  without a domain or on a free-mail domain: those never become a company.
tests:
  unique: [account_id]
  not_null: [account_id, is_company, churned_to_free, has_active_subscription, seats]
  accepted_values:
    plan: [free, trial, pro, business, enterprise, other]
    trial_status: [none, active, converted, expired, other]
  relationships:
    # A plan or trial status value_aliases does not know: scored as 'other', reported as a warning.
    source_plan: { to: value_aliases, field: alias, severity: warn }
    source_trial_status: { to: value_aliases, field: alias, severity: warn }
*/
with accounts as (
  select
    account_id,
    nullif(trim(name), '') as name,
    nullif(regexp_replace(lower(trim(domain)), '^www[.]', ''), '') as domain,
    employees,
    nullif(trim(industry), '') as industry,
    upper(trim(country)) as country,
    lower(trim(plan)) as source_plan,
    nullif(lower(trim(industry)), '') as industry_raw,
    seats,
    created_at
  from {{ source('accounts') }}
  where account_id is not null
    and (created_at is null or created_at <= {{ as_of() }})
),

subscriptions as (
  select
    account_id,
    {{ count_if(coalesce(ended_at is null or ended_at > as_of(), false)) }} as active_subscriptions,
    {{ count_if(coalesce(ended_at is not null and ended_at <= as_of(), false)) }} as ended_subscriptions,
    max(case when ended_at is null or ended_at > {{ as_of() }} then seats end) as paid_seats,
    sum(case when ended_at is null or ended_at > {{ as_of() }} then mrr else 0 end) as mrr
  from {{ source('subscriptions') }}
  where started_at <= {{ as_of() }}
  group by account_id
),

trials as (
  select latest.account_id, coalesce(v.value, 'other') as status, latest.source_status, latest.started_at, latest.ends_at
  from (
    select
      account_id,
      lower(trim(status)) as source_status,
      started_at,
      ends_at,
      row_number() over (partition by account_id order by started_at desc, trial_id) as rn
    from {{ source('trials') }}
    where started_at <= {{ as_of() }}
  ) latest
  left join {{ ref('value_aliases') }} v on v.field = 'trial_status' and v.alias = latest.source_status
  where rn = 1
)

select
  a.account_id,
  a.name,
  a.domain,
  case when a.domain is not null and f.domain is null then true else false end as is_company,
  a.employees,
  a.industry,
  coalesce(ia.value, a.industry_raw) as industry_key,
  a.country,
  case when a.source_plan is null then null else coalesce(pa.value, 'other') end as plan,
  a.source_plan,
  greatest(coalesce(a.seats, 0), coalesce(s.paid_seats, 0)) as seats,
  s.paid_seats,
  coalesce(s.mrr, 0) as mrr,
  case when coalesce(s.active_subscriptions, 0) > 0 then true else false end as has_active_subscription,
  case when coalesce(s.active_subscriptions, 0) = 0 and coalesce(s.ended_subscriptions, 0) > 0 then true else false end as churned_to_free,
  case
    when t.status is null then 'none'
    when t.status = 'active' and t.ends_at <= {{ as_of() }} then 'expired'
    else t.status
  end as trial_status,
  t.source_status as source_trial_status,
  a.created_at
from accounts a
left join {{ ref('free_email_domains') }} f on f.domain = a.domain
left join {{ ref('value_aliases') }} pa on pa.field = 'plan' and pa.alias = a.source_plan
left join {{ ref('value_aliases') }} ia on ia.field = 'industry' and ia.alias = a.industry_raw
left join subscriptions s on s.account_id = a.account_id
left join trials t on t.account_id = a.account_id
