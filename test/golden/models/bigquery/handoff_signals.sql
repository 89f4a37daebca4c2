with c as (
  select
    cs.*,
    coalesce(cs.account_motion, 'self_serve') as route_group,
    d.trial_id
  from `pqlsync_models`.`contact_sync` cs
  left join (
    select account_id, trial_id
    from (
      select account_id, trial_id, row_number() over (partition by account_id order by trial_started_on desc, trial_id) as rn
      from `pqlsync_models`.`deal_sync`
    ) ranked_deals
    where rn = 1
  ) d on d.account_id = cs.account_id
),

user_signals as (
  select c.user_id, c.email, concat('tier:', c.pql_tier) as signal,
    case when c.pql_tier = 'sales_ready' then concat('PQL: ', c.email, ' is sales-ready (score ', CAST(c.pql_score AS STRING), ')') end as task_subject,
    case when c.route_group = 'sales_assisted' then r.sales_ready_assisted_priority else r.sales_ready_self_serve_priority end as task_priority,
    r.sales_ready_hours as response_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join `pqlsync_models`.`handoff_rules` r
  union all
  select c.user_id, c.email, 'trigger:paywall', concat('Hot PQL: ', c.email, ' hit the paywall'), r.paywall_priority, r.paywall_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join `pqlsync_models`.`handoff_rules` r where c.hot_trigger like '%paywall hit%'
  union all
  select c.user_id, c.email, 'trigger:enterprise_feature', concat('Hot PQL: ', c.email, ' tried an enterprise feature'), r.enterprise_priority, r.enterprise_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join `pqlsync_models`.`handoff_rules` r where c.hot_trigger like '%enterprise feature attempt%'
  union all
  select c.user_id, c.email, 'trigger:invites', concat('Hot PQL: ', c.email, ' is inviting their team'), r.invites_priority, r.invites_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join `pqlsync_models`.`handoff_rules` r where c.hot_trigger like '%invites in a week%'
  union all
  select c.user_id, c.email, 'trigger:domain_spike', concat('Hot account: colleagues of ', c.email, ' are activating at ', coalesce(c.account_domain, 'their domain')), r.domain_spike_priority, r.domain_spike_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join `pqlsync_models`.`handoff_rules` r where c.hot_trigger like '%activations at%'
),

senior as (
  select distinct u.user_id
  from `pqlsync_models`.`user_scores` u
  join `pqlsync_models`.`senior_title_keywords` k on lower(u.job_title) like concat('%', k.keyword, '%')
),

account_contacts as (
  select user_id, email, account_domain, route_group, trial_id
  from (
    select c.user_id, c.email, c.account_domain, c.route_group, c.trial_id,
      row_number() over (
        partition by c.account_domain
        order by case when sr.user_id is not null then 0 else 1 end, c.pql_score desc, c.email
      ) as rn
    from c
    join `pqlsync_models`.`company_sync` co on co.domain = c.account_domain
    left join senior sr on sr.user_id = c.user_id
    where co.account_tier = 'sales_ready'
  ) ranked
  where rn = 1
),

account_signals as (
  select a.user_id, a.email, 'account:sales_ready' as signal,
    concat('Sales-ready account: ', a.account_domain, ' (start with ', a.email, ')') as task_subject,
    r.account_sales_ready_priority as task_priority,
    r.account_sales_ready_hours as response_hours,
    a.route_group, a.account_domain, a.trial_id
  from account_contacts a cross join `pqlsync_models`.`handoff_rules` r
),

signals as (
  select * from user_signals
  union all
  select * from account_signals
),

summary as (
  select
    c.user_id,
    concat(
      'Why: ', coalesce(c.pql_reasons, 'no scored signal'),
      case when c.hot_trigger is not null then concat('<br>Hot trigger: ', c.hot_trigger) else '' end,
      '<br><br>Usage summary (last 14 days):',
      '<br>- Logins: ', CAST(c.logins_14d AS STRING),
      '<br>- Days active (30 days): ', CAST(c.days_active_30d AS STRING),
      '<br>- Core features used: ', CAST(c.core_features_used AS STRING),
      '<br>- Teammates invited: ', CAST(c.invites_total AS STRING),
      '<br>- Paywall hits (30 days): ', CAST(c.paywall_hits_30d AS STRING),
      '<br>- Activation: ', c.activation_level, case when c.activated then ' (milestone reached)' else ' (milestone not reached)' end,
      '<br>- Last active on: ', coalesce(CAST(cast(c.last_active_at as date) AS STRING), 'never'),
      '<br><br>Company: ', coalesce(c.account_domain, 'personal workspace'), ' (', replace(c.route_group, '_', '-'), ')',
      '<br>PQL score: ', CAST(c.pql_score AS STRING), '/100 (', c.pql_tier, ')'
    ) as body
  from c
  -- Only contacts with a task get a body: the text is long, and most contacts have no task.
  where c.user_id in (select user_id from signals where task_subject is not null)
)

select
  -- Text, whatever the product's ids are: the handoff keys its state (episodes, owners, tasks) by it.
  CAST(s.user_id AS STRING) as user_id,
  s.email,
  s.signal,
  s.task_subject,
  case when s.task_subject is not null then concat(s.task_subject, '.<br>Respond within ', CAST(s.response_hours AS STRING), ' hours.<br><br>', m.body) end as task_body,
  case when s.task_subject is not null then s.task_priority end as task_priority,
  case
    when s.task_subject is null then null
    when s.route_group = 'sales_assisted' then r.sales_assisted_task_type
    else r.self_serve_task_type
  end as task_type,
  case when s.task_subject is not null then s.response_hours end as response_hours,
  s.route_group,
  s.account_domain as company_domain,
  s.trial_id
-- Each signal carries the contact's columns it needs: joining the contacts back here built a
-- hash table of every contact row (at 1,000,000 contacts, more than a 512MB limit).
from signals s
left join summary m on m.user_id = s.user_id
cross join `pqlsync_models`.`handoff_rules` r
