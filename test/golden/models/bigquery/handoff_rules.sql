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
