/*
materialized: table
unique_key: alias_key
description: >
  How staging reads the values other systems spell their own way: for each field (plan,
  trial_status, industry), every spelling (lower case, trimmed) and the value pqlsync uses.
  Each accepted value maps to itself. A plan or trial status found nowhere here becomes
  'other' (reported by the warn-level accepted_values tests downstream, never a stopped run);
  an industry found nowhere here is kept as written, lower-cased, and simply earns no ICP
  points. Add a row when a source system brings a new spelling.
tests:
  unique: [alias_key]
  not_null: [field, alias, value]
*/
select concat(field, ':', alias) as alias_key, field, alias, value
from (
  select 'plan' as field, 'free' as alias, 'free' as value
  union all select 'plan', 'trial', 'trial'
  union all select 'plan', 'pro', 'pro'
  union all select 'plan', 'business', 'business'
  union all select 'plan', 'enterprise', 'enterprise'
  union all select 'plan', 'other', 'other'
  union all select 'plan', 'free plan', 'free'
  union all select 'plan', 'freemium', 'free'
  union all select 'plan', 'trialing', 'trial'
  union all select 'plan', 'professional', 'pro'
  union all select 'plan', 'team', 'business'
  union all select 'plan', 'teams', 'business'
  union all select 'plan', 'ent', 'enterprise'

  union all select 'trial_status', 'active', 'active'
  union all select 'trial_status', 'converted', 'converted'
  union all select 'trial_status', 'expired', 'expired'
  union all select 'trial_status', 'trialing', 'active'
  union all select 'trial_status', 'in_trial', 'active'
  union all select 'trial_status', 'running', 'active'
  union all select 'trial_status', 'paid', 'converted'
  union all select 'trial_status', 'won', 'converted'
  union all select 'trial_status', 'upgraded', 'converted'
  union all select 'trial_status', 'canceled', 'expired'
  union all select 'trial_status', 'cancelled', 'expired'
  union all select 'trial_status', 'ended', 'expired'
  union all select 'trial_status', 'lapsed', 'expired'

  union all select 'industry', 'software', 'software'
  union all select 'industry', 'saas', 'software'
  union all select 'industry', 'computer software', 'software'
  union all select 'industry', 'software development', 'software'
  union all select 'industry', 'fintech', 'fintech'
  union all select 'industry', 'financial technology', 'fintech'
  union all select 'industry', 'fin tech', 'fintech'
  union all select 'industry', 'e-commerce', 'e-commerce'
  union all select 'industry', 'ecommerce', 'e-commerce'
  union all select 'industry', 'e commerce', 'e-commerce'
  union all select 'industry', 'online retail', 'e-commerce'
  union all select 'industry', 'media', 'media'
  union all select 'industry', 'media & entertainment', 'media'
  union all select 'industry', 'digital media', 'media'
) aliases
