/*
materialized: table
unique_key: user_id
description: >
  The PLG lead stage of each user (seed 001: New → Interested → Free trial active red / yellow /
  green → Trial ended → Self-checked-out / Disqualified), from the account's subscriptions and
  latest trial and the user's activation, as of the run. self_checked_out: the account has a
  paid subscription running (pqlsync cannot tell a self-serve purchase from a sales-assisted
  one; both are customers). trial_red / trial_yellow / trial_green: the account's latest trial
  is running, by the user's activation level. disqualified: that trial ended without a
  subscription and the user's activation was still red; trial_ended: it ended otherwise.
  interested: no trial, but active in the product in the last 14 days or warm or better;
  new: everyone else.
tests:
  unique: [user_id]
  not_null: [user_id, lead_stage]
  accepted_values:
    lead_stage: [new, interested, trial_red, trial_yellow, trial_green, trial_ended, self_checked_out, disqualified]
*/
with latest_trial as (
  select account_id, started_at, ends_at
  from (
    select
      account_id,
      started_at,
      ends_at,
      row_number() over (partition by account_id order by started_at desc, trial_id) as rn
    from {{ source('trials') }}
    where account_id is not null and started_at < {{ as_of() }}
  ) t
  where rn = 1
),

paying as (
  select distinct account_id
  from {{ source('subscriptions') }}
  where started_at < {{ as_of() }} and (ended_at is null or ended_at > {{ as_of() }})
)

select
  s.user_id,
  case
    when p.account_id is not null then 'self_checked_out'
    when t.account_id is not null and t.ends_at > {{ as_of() }} then concat('trial_', s.activation_level)
    when t.account_id is not null and s.activation_level = 'red' then 'disqualified'
    when t.account_id is not null then 'trial_ended'
    when s.logins_14d > 0 or s.pql_tier <> 'cold' then 'interested'
    else 'new'
  end as lead_stage
from {{ ref('user_scores') }} s
left join latest_trial t on t.account_id = s.account_id
left join paying p on p.account_id = s.account_id
