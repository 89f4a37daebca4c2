with ranked as (
  select
    a.*,
    row_number() over (partition by a.domain order by a.account_score desc, a.seats desc, a.account_id) as domain_rank
  from `pqlsync_models`.`account_scores` a
),

totals as (
  select
    domain,
    count(*) as workspaces,
    sum(seats) as seats,
    sum(users) as users,
    sum(active_users_7d) as active_users_7d,
    sum(active_users_30d) as active_users_30d,
    sum(activated_users) as activated_users,
    sum(hot_users) as hot_users,
    max(best_user_score) as best_user_score,
    max(last_active_at) as last_active_at
  from `pqlsync_models`.`account_scores`
  group by domain
)

select
  r.domain,
  r.account_id,
  r.account_score,
  r.account_tier,
  case when t.seats >= p.sales_assisted_seats then 'sales_assisted' else 'self_serve' end as motion,
  r.plan,
  t.workspaces,
  t.seats,
  t.users,
  t.active_users_7d,
  t.active_users_30d,
  t.activated_users,
  t.hot_users,
  t.best_user_score,
  t.last_active_at,
  case
    when t.workspaces > 1 then concat(CAST(t.workspaces AS STRING), ' workspaces; ', coalesce(r.account_reasons, ''))
    else r.account_reasons
  end as account_reasons
from ranked r
join totals t on t.domain = r.domain
cross join `pqlsync_models`.`scoring_points` p
where r.domain_rank = 1
