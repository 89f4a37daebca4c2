with trials as (
  select
    trial_id,
    account_id,
    user_id,
    lower(trim(plan)) as plan,
    started_at,
    ends_at
  from "RAW"."TRIALS"
  where trial_id is not null and started_at < cast('2026-11-01 00:00:00.000' as timestamp_ntz)
),

won as (
  select
    t.trial_id,
    min(s.started_at) as won_at
  from trials t
  join "RAW"."SUBSCRIPTIONS" s
    on s.account_id = t.account_id and s.started_at >= t.started_at and s.started_at < cast('2026-11-01 00:00:00.000' as timestamp_ntz)
  group by t.trial_id
),

won_seats as (
  select w.trial_id, max(s.seats) as seats, max(lower(trim(s.plan))) as plan
  from won w
  join trials t on t.trial_id = w.trial_id
  join "RAW"."SUBSCRIPTIONS" s on s.account_id = t.account_id and s.started_at = w.won_at
  group by w.trial_id
),

staged as (
  select
    t.trial_id,
    t.account_id,
    t.plan as trial_plan,
    t.started_at,
    t.ends_at,
    w.won_at,
    coalesce(ws.seats, a.seats, 1) as seats,
    coalesce(ws.plan, t.plan) as priced_plan,
    u.email,
    u.pql_score,
    u.activation_level,
    u.hot_trigger,
    sc.domain as company_domain,
    -- The company name; a personal (free-mail) workspace is named after its user.
    case when sc.domain is null then coalesce(u.email, a.name, cast(t.account_id as varchar)) else coalesce(a.name, sc.domain) end as account_name,
    case
      when w.won_at is not null then 'closed_won'
      when t.ends_at <= cast('2026-11-01 00:00:00.000' as timestamp_ntz) then 'closed_lost'
      when coalesce(a.seats, 0) >= p.sales_assisted_seats then 'trial_sales_assisted'
      when u.activation_level = 'red' and cast(floor(cast(datediff('microsecond', cast('2026-11-01 00:00:00.000' as timestamp_ntz), t.ends_at) as double) / 86400000000) as bigint) <= r.red_near_end_days then 'trial_sales_assisted'
      when u.hot_trigger is not null then 'trial_sales_assisted'
      else 'trial_self_served'
    end as deal_stage
  from trials t
  left join won w on w.trial_id = t.trial_id
  left join won_seats ws on ws.trial_id = t.trial_id
  left join "PQLSYNC_MODELS"."STG_ACCOUNTS" a on a.account_id = t.account_id
  left join "PQLSYNC_MODELS"."ACCOUNT_SCORES" sc on sc.account_id = t.account_id
  left join "PQLSYNC_MODELS"."USER_SCORES" u on u.user_id = t.user_id
  cross join "PQLSYNC_MODELS"."SCORING_POINTS" p
  cross join "PQLSYNC_MODELS"."DEAL_RULES" r
)

select
  s.trial_id,
  concat(s.account_name, ' - ', s.trial_plan, ' trial') as deal_name,
  s.deal_stage,
  cast(s.seats * case s.priced_plan
    when 'enterprise' then r.enterprise_seat_price
    when 'business' then r.business_seat_price
    else r.pro_seat_price end * r.amount_months as integer) as amount,
  case when s.deal_stage = 'closed_won' then s.won_at else s.ends_at end as close_date,
  cast(s.started_at as date) as trial_started_on,
  cast(s.ends_at as date) as trial_ends_on,
  s.trial_plan,
  s.seats,
  s.pql_score,
  s.activation_level,
  s.hot_trigger,
  s.account_id,
  cs.user_id as contact_user_id,
  s.company_domain
from staged s
cross join "PQLSYNC_MODELS"."DEAL_RULES" r
left join "PQLSYNC_MODELS"."CONTACT_SYNC" cs on cs.email = s.email
