with users as (
  select
    user_id,
    account_id,
    lower(trim(email)) as email_clean,
    nullif(trim(first_name), '') as first_name,
    nullif(trim(last_name), '') as last_name,
    nullif(trim(job_title), '') as job_title,
    lower(trim(role)) as role,
    signup_at,
    regexp_replace(lower(trim(company_domain)), '^www[.]', '') as company_domain_raw
  from "RAW"."USERS"
  where user_id is not null
    and signup_at <= cast('2026-11-01 00:00:00.000' as timestamp_ntz)
),

emails as (
  select
    *,
    case
      when email_clean like '%_@_%._%'
        and email_clean not like '% %'
        and length(email_clean) - length(replace(email_clean, '@', '')) = 1
      then email_clean
    end as email
  from users
),

domains as (
  select
    *,
    coalesce(regexp_replace(regexp_replace(email, '^.*@', ''), '^www[.]', ''), nullif(company_domain_raw, '')) as company_domain
  from emails
)

select
  d.user_id,
  d.account_id,
  d.email,
  d.first_name,
  d.last_name,
  d.job_title,
  d.role,
  d.signup_at,
  d.company_domain,
  case when f.domain is not null then true else false end as is_free_email
from domains d
left join "PQLSYNC_MODELS"."FREE_EMAIL_DOMAINS" f on f.domain = d.company_domain
