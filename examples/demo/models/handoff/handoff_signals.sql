/*
materialized: table
description: >
  What is true of each person right now, one row per (user_id, signal): its PQL tier
  (signal tier:<tier>, for every contact: pqlsync keeps tier episodes, so pql_tier_since says
  when the contact entered its current tier), each hot trigger firing
  (trigger:paywall, trigger:enterprise_feature, trigger:invites, trigger:domain_spike), and
  account:sales_ready on one contact of a company whose account tier is sales_ready: the
  senior-most (a decision-maker title, models/config/senior_title_keywords.sql), then the
  best-scored (seed 003: start the account conversation with its senior-most user). pqlsync
  turns these into episodes (src/handoff): a signal that stays true, or leaves for fewer than
  handoff.hysteresis_days, is one episode. A row with a task_subject makes one task per
  episode; its subject, body (the reasons in words and the usage summary, as HTML: HubSpot
  shows task notes as rich text), priority, type and response window are taken when the
  episode starts and never rewritten. route_group is the owner group of pqlsync.yml's handoff.routing
  (the account's motion: sales_assisted at 50 seats and more, else self_serve).
  company_domain and trial_id are the keys of the company and the deal the task is associated with.
tests:
  not_null: [user_id, email, signal, route_group]
  accepted_values:
    route_group: [self_serve, sales_assisted]
*/
with c as (
  select
    cs.*,
    coalesce(cs.account_motion, 'self_serve') as route_group,
    d.trial_id
  from {{ ref('contact_sync') }} cs
  left join (
    select account_id, trial_id
    from (
      select account_id, trial_id, row_number() over (partition by account_id order by trial_started_on desc, trial_id) as rn
      from {{ ref('deal_sync') }}
    ) ranked_deals
    where rn = 1
  ) d on d.account_id = cs.account_id
),

user_signals as (
  select c.user_id, c.email, concat('tier:', c.pql_tier) as signal,
    case when c.pql_tier = 'sales_ready' then concat('PQL: ', c.email, ' is sales-ready (score ', {{ to_string(c.pql_score) }}, ')') end as task_subject,
    case when c.route_group = 'sales_assisted' then r.sales_ready_assisted_priority else r.sales_ready_self_serve_priority end as task_priority,
    r.sales_ready_hours as response_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join {{ ref('handoff_rules') }} r
  union all
  select c.user_id, c.email, 'trigger:paywall', concat('Hot PQL: ', c.email, ' hit the paywall'), r.paywall_priority, r.paywall_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join {{ ref('handoff_rules') }} r where c.hot_trigger like '%paywall hit%'
  union all
  select c.user_id, c.email, 'trigger:enterprise_feature', concat('Hot PQL: ', c.email, ' tried an enterprise feature'), r.enterprise_priority, r.enterprise_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join {{ ref('handoff_rules') }} r where c.hot_trigger like '%enterprise feature attempt%'
  union all
  select c.user_id, c.email, 'trigger:invites', concat('Hot PQL: ', c.email, ' is inviting their team'), r.invites_priority, r.invites_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join {{ ref('handoff_rules') }} r where c.hot_trigger like '%invites in a week%'
  union all
  select c.user_id, c.email, 'trigger:domain_spike', concat('Hot account: colleagues of ', c.email, ' are activating at ', coalesce(c.account_domain, 'their domain')), r.domain_spike_priority, r.domain_spike_hours, c.route_group, c.account_domain, c.trial_id
  from c cross join {{ ref('handoff_rules') }} r where c.hot_trigger like '%activations at%'
),

senior as (
  select distinct u.user_id
  from {{ ref('user_scores') }} u
  join {{ ref('senior_title_keywords') }} k on lower(u.job_title) like concat('%', k.keyword, '%')
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
    join {{ ref('company_sync') }} co on co.domain = c.account_domain
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
  from account_contacts a cross join {{ ref('handoff_rules') }} r
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
      '<br>- Logins: ', {{ to_string(c.logins_14d) }},
      '<br>- Days active (30 days): ', {{ to_string(c.days_active_30d) }},
      '<br>- Core features used: ', {{ to_string(c.core_features_used) }},
      '<br>- Teammates invited: ', {{ to_string(c.invites_total) }},
      '<br>- Paywall hits (30 days): ', {{ to_string(c.paywall_hits_30d) }},
      '<br>- Activation: ', c.activation_level, case when c.activated then ' (milestone reached)' else ' (milestone not reached)' end,
      '<br>- Last active on: ', coalesce({{ to_string(cast(c.last_active_at as date)) }}, 'never'),
      '<br><br>Company: ', coalesce(c.account_domain, 'personal workspace'), ' (', replace(c.route_group, '_', '-'), ')',
      '<br>PQL score: ', {{ to_string(c.pql_score) }}, '/100 (', c.pql_tier, ')'
    ) as body
  from c
  -- Only contacts with a task get a body: the text is long, and most contacts have no task.
  where c.user_id in (select user_id from signals where task_subject is not null)
)

select
  -- Text, whatever the product's ids are: the handoff keys its state (episodes, owners, tasks) by it.
  {{ to_string(s.user_id) }} as user_id,
  s.email,
  s.signal,
  s.task_subject,
  case when s.task_subject is not null then concat(s.task_subject, '.<br>Respond within ', {{ to_string(s.response_hours) }}, ' hours.<br><br>', m.body) end as task_body,
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
cross join {{ ref('handoff_rules') }} r
