with latest_trial as (
  select account_id, started_at, ends_at
  from (
    select
      account_id,
      started_at,
      ends_at,
      row_number() over (partition by account_id order by started_at desc, trial_id) as rn
    from `raw`.`trials`
    where account_id is not null and started_at < TIMESTAMP '2026-11-01 00:00:00.000'
  ) t
  where rn = 1
),

paying as (
  select distinct account_id
  from `raw`.`subscriptions`
  where started_at < TIMESTAMP '2026-11-01 00:00:00.000' and (ended_at is null or ended_at > TIMESTAMP '2026-11-01 00:00:00.000')
)

select
  s.user_id,
  case
    when p.account_id is not null then 'self_checked_out'
    when t.account_id is not null and t.ends_at > TIMESTAMP '2026-11-01 00:00:00.000' then concat('trial_', s.activation_level)
    when t.account_id is not null and s.activation_level = 'red' then 'disqualified'
    when t.account_id is not null then 'trial_ended'
    when s.logins_14d > 0 or s.pql_tier <> 'cold' then 'interested'
    else 'new'
  end as lead_stage
from `pqlsync_models`.`user_scores` s
left join latest_trial t on t.account_id = s.account_id
left join paying p on p.account_id = s.account_id
