/*
materialized: table
description: >
  The handoff's response windows and priorities, in one row the sales team edits. Windows are
  hours from the moment pqlsync sees the signal to the task's due time (seed 003: a paywall hit
  within 4 hours, an enterprise feature attempt 24, 5+ invites in a week 24, a domain adoption
  spike 48; seed 000: a new sales-ready PQL within 24 hours). Priorities are HubSpot's task
  priorities (HIGH, MEDIUM, LOW); task types by motion (CALL for sales-assisted, TODO otherwise).
tests:
  not_null: [paywall_hours, enterprise_hours, invites_hours, domain_spike_hours, sales_ready_hours, account_sales_ready_hours]
*/
select
  4 as paywall_hours,
  24 as enterprise_hours,
  24 as invites_hours,
  48 as domain_spike_hours,
  24 as sales_ready_hours,
  24 as account_sales_ready_hours,
  'HIGH' as paywall_priority,
  'HIGH' as enterprise_priority,
  'MEDIUM' as invites_priority,
  'MEDIUM' as domain_spike_priority,
  -- A sales-ready user of a sales-assisted account (50+ seats) is urgent; a self-serve one less so.
  'HIGH' as sales_ready_assisted_priority,
  'MEDIUM' as sales_ready_self_serve_priority,
  'HIGH' as account_sales_ready_priority,
  -- HubSpot task types (TODO, CALL, EMAIL): seed 000 calls a sales-assisted PQL, and sends the others a to-do.
  'CALL' as sales_assisted_task_type,
  'TODO' as self_serve_task_type
