/*
materialized: table
unique_key: industry
description: >
  Industries of the ideal customer profile (lower case), worth icp_industry_points in the fit layer.
  Accounts match through stg_accounts.industry_key: case and spaces do not matter, and the
  synonyms in value_aliases ('SaaS', 'Computer Software') count as the industry they stand for.
tests:
  unique: [industry]
  not_null: [industry]
*/
select 'software' as industry
union all select 'fintech'
union all select 'e-commerce'
union all select 'media'
