/*
materialized: table
unique_key: user_id
description: >
  Users as of the run's as_of: emails lower-cased and trimmed (NULL when they do not look like
  an email: one '@', something before it, a dot after it, no spaces), names and titles trimmed,
  the company domain normalised (lower case, no 'www.'; from the email, else the product's
  company_domain field) and flagged when it is a free-mail domain. Users who signed up after
  as_of do not exist yet.
tests:
  unique: [user_id]
  # A user with no workspace is kept (a person, a contact); the test warns.
  not_null: [user_id, { column: account_id, severity: warn }, signup_at, is_free_email]
*/
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
  from {{ source('users') }}
  where user_id is not null
    and signup_at <= {{ as_of() }}
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
left join {{ ref('free_email_domains') }} f on f.domain = d.company_domain
